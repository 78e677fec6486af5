"""Serve one app for the benchmark: the portal, or a bare "hello" Pyramid app, with the same
waitress settings (threads as in development.ini)."""
import json
import sys

import waitress
from pyramid.config import Configurator
from pyramid.response import Response

THREADS = 8


def hello_app():
    with Configurator() as config:
        config.add_route("hello", "/hello")
        config.add_view(lambda request: Response("hello"), route_name="hello")
    return config.make_wsgi_app()


def portal_app(settings):
    import portal

    return portal.main({}, **settings)


def main(argv):
    kind, port = argv[1], int(argv[2])
    app = hello_app() if kind == "hello" else portal_app(json.loads(argv[3]))
    waitress.serve(app, listen=f"127.0.0.1:{port}", threads=THREADS, _quiet=True)


if __name__ == "__main__":
    main(sys.argv)
