"""405 Method Not Allowed, once for every route: a request whose route matched but whose method no view
of that route takes is refused before the context loads anything, with an `Allow` header listing the
methods the route does take. Without this, Pyramid answers a wrong method with 404 (no view's predicates
match), and a view that declares no method answers every method."""
from pyramid.events import BeforeTraversal
from pyramid.httpexceptions import HTTPMethodNotAllowed

# A view that names no method serves a page: it is reached by a link (GET, HEAD) or its own form (POST).
PAGE_METHODS = frozenset({"GET", "HEAD", "POST"})
ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(registry, route_name: str) -> frozenset:
    """The methods any view of the route declares (GET brings HEAD, as in Pyramid's own predicate)."""
    cache = registry.__dict__.setdefault("_portal_allowed_methods", {})
    if route_name not in cache:
        methods = set()
        introspector = registry.introspector
        route = introspector.get("routes", route_name)
        for view in introspector.related(route) if route is not None else ():
            if view.category_name != "views":
                continue
            declared = view["request_methods"]
            methods |= PAGE_METHODS if declared is None else {declared} if isinstance(declared, str) else set(declared)
        if "GET" in methods:
            methods.add("HEAD")
        cache[route_name] = frozenset(methods or PAGE_METHODS)
    return cache[route_name]


def allow_header(methods) -> str:
    return ", ".join(sorted(methods, key=lambda m: (ORDER.index(m) if m in ORDER else len(ORDER), m)))


def refuse_wrong_method(event):
    request = event.request
    route = request.matched_route
    if route is None:
        return  # no route: the not-found page answers
    methods = allowed_methods(request.registry, route.name)
    if request.method not in methods:
        raise HTTPMethodNotAllowed(headers={"Allow": allow_header(methods)})


def includeme(config):
    config.add_subscriber(refuse_wrong_method, BeforeTraversal)
