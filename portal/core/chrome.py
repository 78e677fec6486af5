"""The public layout's chrome, made once per process and kind of page instead of on every request.

Every public page repeats the same HTML around its content: the head's links, the skip link, the
emergency strip (fallbacks.html), the header and its navigation, the language switcher, the footer
(templates/_chrome.html). Rendering it cost about a fifth of a notice page's CPU: five `route_path`,
five `static_path`, about twenty `_()`. It depends on nothing of the request but:

- the language (the words, `<html lang dir>`, which language the switcher marks current);
- the mount point (`request.script_name`: every link starts with it);
- whether an officer is signed in (the Staff link);
- which navigation item is the current page (`aria-current="page"`): the page's path when it is one of
  the items' paths, else none, so every notice page shares one entry;
- the page's path in the language switcher's links, put back per request (`switch_path`).

The view's context (flash messages, CSRF tokens, nonces, the notice) never enters it: the macros
see only the names `MacroContext` lists. The memo is bounded (`MEMO_LIMIT`, oldest out first): a
client choosing an odd SCRIPT_NAME cannot grow it. With `pyramid.reload_templates` (development) the
chrome is rendered on every request, so an edited template shows at once."""
import threading
from typing import NamedTuple

from jinja2 import pass_context
from markupsafe import Markup, escape
from pyramid.events import ApplicationCreated
from pyramid_jinja2 import IJinja2Environment

TEMPLATE = "_chrome.html"
# The navigation's routes in _chrome.html's main_nav (the last one shown to officers only).
NAV_ROUTES = ("notices", "tips_new", "alarm", "trip_new", "status", "staff")
# Stands for the page's path in the switcher's links; escaping leaves it as it is, no path contains it.
PATH_MARK = "\x1fswitch-path\x1f"
MEMO_LIMIT = 256  # 3 languages x 2 sign-in states x 7 navigation states = 42 per mount point


class Chrome(NamedTuple):
    opening: Markup
    after_title: Markup
    after_description: Markup
    after_head: Markup
    after_body_class: Markup
    main_nav: Markup
    after_main_nav: Markup
    closing: Markup


class ChromeMemo:
    def __init__(self, environment, limit: int = MEMO_LIMIT):
        self.environment = environment
        self.limit = limit
        self.enabled = not environment.auto_reload
        self._entries = {}  # key -> (Chrome, the switcher's part split at PATH_MARK)
        self._nav_paths = {}  # script name -> the navigation items' paths
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._entries)

    def chrome(self, context) -> Chrome:
        request = context["request"]
        officer = context.get("officer")
        locale = context["locale"]
        path = request.path
        if not self.enabled:
            return self._place_path(*self._render(context), path)
        script_name = request.script_name
        current = path if path in self._nav_paths_for(request, script_name) else None
        key = (locale, script_name, bool(officer), current)
        entry = self._entries.get(key)
        if entry is None:
            entry = self._render(context)
            self._remember(self._entries, key, entry)
        return self._place_path(*entry, path)

    def _nav_paths_for(self, request, script_name) -> frozenset:
        paths = self._nav_paths.get(script_name)
        if paths is None:
            paths = frozenset(request.route_path(route) for route in NAV_ROUTES)
            self._remember(self._nav_paths, script_name, paths)
        return paths

    def _remember(self, memo: dict, key, value) -> None:
        with self._lock:
            while len(memo) >= self.limit:
                memo.pop(next(iter(memo)))
            memo[key] = value

    def _render(self, context) -> tuple[Chrome, tuple[Markup, ...]]:
        names = ("request", "locale", "lang", "languages", "fallback", "officer")
        values = {name: context.get(name) for name in names}
        module = self.environment.get_template(TEMPLATE).make_module({**values, "switch_path": PATH_MARK})
        parts = {name: getattr(module, name)() for name in Chrome._fields}
        switcher = tuple(Markup(piece) for piece in parts["after_main_nav"].split(PATH_MARK))  # noqa: S704
        return Chrome(**parts), switcher

    @staticmethod
    def _place_path(chrome: Chrome, switcher: tuple[Markup, ...], path: str) -> Chrome:
        return chrome._replace(after_main_nav=escape(path).join(switcher))


@pass_context
def public_chrome(context) -> Chrome:
    """layout.html's `public_chrome()`: this request's chrome."""
    return context["request"].registry["public_chrome"].chrome(context)


def install(event):
    """Once the renderers exist: the memo (per application) and the templates' `public_chrome`."""
    registry = event.app.registry
    environment = registry.queryUtility(IJinja2Environment, name=".html")
    if environment is None:
        return
    registry["public_chrome"] = ChromeMemo(environment)
    environment.globals["public_chrome"] = public_chrome


def includeme(config):
    config.add_subscriber(install, ApplicationCreated)
