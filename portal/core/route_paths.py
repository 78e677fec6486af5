"""request.route_path's answer for the links a public page writes many times (a list's cards: each
notice and its photo), made by formatting the route's pattern.

route_path parses its keywords, matches the route's generator and quotes every value: about a tenth of
the notice list's CPU for its 40 links (issue 14). For a route whose placeholders take only numbers
and plain words, and values that are such, there is nothing to quote: the script name and the pattern
filled in are the same string. Anything else (another value, a query, an element) goes to route_path."""
import re

from pyramid.interfaces import IRoutesMapper

_PLACEHOLDER = re.compile(r"\{(\w+)(?::[^{}]*)?\}")
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")
_LITERAL = re.compile(r"[A-Za-z0-9/._-]*")


def _format_of(pattern: str) -> str:
    """The pattern as a format string, or "" when it holds anything but placeholders and plain path text."""
    pattern = pattern if pattern.startswith("/") else "/" + pattern  # as Pyramid reads it
    if not _LITERAL.fullmatch(_PLACEHOLDER.sub("", pattern)):
        return ""
    return _PLACEHOLDER.sub(lambda match: "{" + match.group(1) + "}", pattern)


class RoutePaths:
    def __init__(self):
        self._formats = {}

    def path(self, request, name: str, **values) -> str:
        template = self._formats.get(name)
        if template is None:
            route = request.registry.getUtility(IRoutesMapper).get_route(name)
            template = self._formats[name] = _format_of(route.pattern) if route is not None else ""
        if not template or not all(type(value) is int or (type(value) is str and _PLAIN.fullmatch(value))
                                   for value in values.values()):
            return request.route_path(name, **values)
        return request.script_name + template.format(**values)


def includeme(config):
    paths = RoutePaths()
    config.add_request_method(lambda request, name, **values: paths.path(request, name, **values), "plain_path")
