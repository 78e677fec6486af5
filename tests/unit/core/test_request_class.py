"""One request class made once with every `add_request_method` on it (core/request_class.py): each
request still gets its own reified values and bound methods, no class is made per request, and a
subrequest of Pyramid's plain class still gets the extensions."""
import itertools

import webtest
from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response


def tiny_app():
    made = itertools.count(1)
    seen = []

    def view(request):
        seen.append(request)
        token = request.token
        assert request.token is token  # reified: once per request
        return Response(f"{type(request).__name__} {token} {request.shout('hi')} {request.counted}")

    def outer(request):
        inner = request.invoke_subrequest(Request.blank("/inner"))
        return Response(f"outer {inner.text}")

    with Configurator() as config:
        config.add_request_method(lambda request: next(made), "token", reify=True)
        config.add_request_method(lambda request: len(seen), "counted", property=True)
        config.add_request_method(lambda request, word: f"{word.upper()} from {request.path}", "shout")
        config.include("portal.core.request_class")
        config.add_route("inner", "/inner")
        config.add_route("outer", "/outer")
        config.add_view(view, route_name="inner")
        config.add_view(outer, route_name="outer")
        router = config.make_wsgi_app()
    return router, seen


def test_each_request_gets_its_own_values_from_one_class():
    router, seen = tiny_app()
    app = webtest.TestApp(router)
    assert app.get("/inner").text == "Request 1 HI from /inner 1"
    assert app.get("/inner").text == "Request 2 HI from /inner 2"
    first, second = seen
    assert type(first) is type(second) is router.request_factory  # no class made per request
    assert issubclass(router.request_factory, Request) and router.request_extensions is None
    assert vars(first)["token"] == 1 and vars(second)["token"] == 2  # kept on each instance, not the class


def test_a_subrequest_of_pyramids_plain_class_still_gets_the_extensions():
    router, seen = tiny_app()
    assert webtest.TestApp(router).get("/outer").text == "outer Request 1 HI from /inner 1"
    assert type(seen[0]) is not router.request_factory and seen[0].token == 1


def test_the_portal_makes_its_requests_from_one_class(app):
    router = app.app  # inside the UTF-8 check
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
               "wsgi.url_scheme": "http"}
    with router.request_context(dict(environ)) as one, router.request_context(dict(environ)) as two:
        assert type(one) is type(two) is router.request_factory
        for name in ("dbsession", "tm", "rate_limiter", "plain_path", "tip_categories"):
            assert name in vars(router.request_factory), name
