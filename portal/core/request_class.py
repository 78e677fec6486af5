"""One request class, made once, with every `config.add_request_method` on it.

Pyramid gives each request the methods and properties the packages add with `add_request_method` when
the request is made: it binds each method to the request and, for the properties (`request.dbsession`,
`request.tm`, the rate limiter, the tip categories...), makes a new class for that one request. Making
a class costs about 50 µs and leaves a reference cycle for the garbage collector: a sixth of a
`/healthz`, on every request, the alarms' included. Here the router makes its requests from one subclass
of its request factory that carries them all, built once the configuration is complete (the
extensions never change after that), and no longer applies them per request. A subrequest given a
request of another class still gets them applied, as Pyramid would. Scripts (`pyramid.scripting`)
and tests that make their own requests are untouched: Pyramid applies the extensions to those."""
from pyramid.events import ApplicationCreated
from pyramid.request import apply_request_extensions


def request_class(base, extensions) -> type:
    """`base` with the extensions' methods and properties as its own attributes."""
    attributes = {**extensions.methods, **dict(extensions.descriptors)}
    attributes["__module__"] = base.__module__
    attributes["__doc__"] = base.__doc__
    return type(base.__name__, (base,), attributes)


def install(event):
    router = event.app
    extensions = router.request_extensions
    if extensions is None or not isinstance(router.request_factory, type):
        return
    made = request_class(router.request_factory, extensions)
    router.request_factory = made
    router.request_extensions = None
    invoke = router.invoke_subrequest

    def invoke_subrequest(request, use_tweens=False):
        if not isinstance(request, made):
            apply_request_extensions(request, extensions=extensions)
        return invoke(request, use_tweens=use_tweens)

    router.invoke_subrequest = invoke_subrequest


def includeme(config):
    config.add_subscriber(install, ApplicationCreated)
