"""405 Method Not Allowed, once for every route: a request whose route matched but whose method no view
of that route takes is refused before the context loads anything, with an `Allow` header listing the
methods the route does take. Without this, Pyramid answers a wrong method with 404 (no view's predicates
match), and a view that declares no method answers every method."""
from pyramid.events import BeforeTraversal
from pyramid.httpexceptions import HTTPMethodNotAllowed

# A view that names no method serves a page: it is reached by a link (GET, HEAD) or its own form (POST).
PAGE_METHODS = frozenset({"GET", "HEAD", "POST"})
ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _match_params(declared) -> dict:
    """A view's match_param predicate as a dict ("action=updates", a tuple of those, or a dict)."""
    if not declared:
        return {}
    if isinstance(declared, dict):
        return dict(declared)
    items = (declared,) if isinstance(declared, str) else declared
    return dict(item.split("=", 1) for item in items)


def _route_views(registry, route_name: str) -> list[tuple[dict, frozenset]]:
    """(match params, methods) of each view of the route; cached per route."""
    cache = registry.__dict__.setdefault("_portal_route_views", {})
    if route_name not in cache:
        introspector = registry.introspector
        route = introspector.get("routes", route_name)
        views = []
        for view in introspector.related(route) if route is not None else ():
            if view.category_name != "views":
                continue
            declared = view["request_methods"]
            methods = set(PAGE_METHODS if declared is None else {declared} if isinstance(declared, str) else declared)
            views.append((_match_params(view.get("match_param")), frozenset(methods)))
        cache[route_name] = views
    return cache[route_name]


def allowed_methods(registry, route_name: str, matchdict=None) -> frozenset:
    """The methods the route's views take (GET brings HEAD, as in Pyramid's own predicate); with a
    matchdict, only of the views whose match_param fits it (/trips/{token}/{action}: each action its own)."""
    methods = set()
    for params, view_methods in _route_views(registry, route_name):
        if matchdict is None or all(str(matchdict.get(k)) == v for k, v in params.items()):
            methods |= view_methods
    if "GET" in methods:
        methods.add("HEAD")
    return frozenset(methods)


def allow_header(methods) -> str:
    return ", ".join(sorted(methods, key=lambda m: (ORDER.index(m) if m in ORDER else len(ORDER), m)))


def refuse_wrong_method(event):
    request = event.request
    route = request.matched_route
    if route is None:
        return  # no route: the not-found page answers
    methods = allowed_methods(request.registry, route.name, request.matchdict)
    if methods and request.method not in methods:  # none: no view for these parameters, a 404
        raise HTTPMethodNotAllowed(headers={"Allow": allow_header(methods)})


def includeme(config):
    config.add_subscriber(refuse_wrong_method, BeforeTraversal)
