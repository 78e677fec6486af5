"""Absolute links. Every link the portal writes for use away from the page that carries it (QR codes
on posters, Atom and CAP feeds, Open Graph, JSON-LD, canonical and share links, SMS texts, the API's
URLs) starts with the `portal.public_url` setting, never with the request's Host header: any client
can send a forged Host, and a feed, a cached or stored page or a printed poster would pass it on.

Production refuses to start without the setting. In development an empty setting falls back to the
request's own address, so a server on any port links to itself."""
from urllib.parse import urlsplit

SETTING = "portal.public_url"  # checked at start-up: core/settings.py check_public_url


def public_base(request) -> str:
    """The site's public address without a trailing slash, e.g. https://safety.example.gov.cn."""
    base = request.registry.settings.get(SETTING, "").strip().rstrip("/")
    return base or request.application_url


def public_url(request, route: str, *elements, **kw) -> str:
    """The absolute public URL of a route (route_url's arguments, on the configured base)."""
    return request.route_url(route, *elements, _app_url=public_base(request), **kw)


def public_static_url(request, spec: str) -> str:
    """The absolute public URL of a static file, with its version (Open Graph's default image)."""
    return request.static_url(spec, _app_url=public_base(request))


def public_host(request) -> str:
    """The public host name (CAP sender, Atom tag ids)."""
    return urlsplit(public_base(request)).hostname or "localhost"


def includeme(config):
    # request.public_url("notice", id=1) for templates and views.
    config.add_request_method(public_url, "public_url")
