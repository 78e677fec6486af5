"""Serve one app for the benchmark: the portal, or a bare "hello" Pyramid app, with the same
waitress settings (threads as in development.ini)."""
import json
import logging
import os
import sys
from pathlib import Path

import waitress
from pyramid.config import Configurator
from pyramid.response import Response

THREADS = 8
STATIC_PATH = "/bench/static.html"
# The portal of the tree this script sits in, not whatever the virtual environment installed.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def hello_app():
    with Configurator() as config:
        config.add_route("hello", "/hello")
        config.add_view(lambda request: Response("hello"), route_name="hello")
    return config.make_wsgi_app()


def portal_app(settings):
    import portal

    return portal.main({}, **settings)


def with_static_file(app, path: str):
    """`app`, but STATIC_PATH answers the bytes of the file `path`, as cacheable as a public page
    (bench/proxy_throughput.py's reference: a file of a notice page's size through the same proxy)."""
    body = Path(path).read_bytes()
    headers = [("Content-Type", "text/html; charset=UTF-8"), ("Content-Length", str(len(body))),
               ("Cache-Control", "public, max-age=30, s-maxage=86400, stale-while-revalidate=30, stale-if-error=86400")]

    def serve(environ, start_response):
        if environ.get("PATH_INFO") != STATIC_PATH:
            return app(environ, start_response)
        start_response("200 OK", headers)
        return [body]

    return serve


def main(argv):
    kind, port = argv[1], int(argv[2])
    # Waitress warns at every queued request under saturating load: thousands of lines, and time.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    app = hello_app() if kind == "hello" else portal_app(json.loads(argv[3]))
    if len(argv) > 4:
        app = with_static_file(app, argv[4])
    waitress.serve(app, listen=f"127.0.0.1:{port}", threads=THREADS, _quiet=True)


if __name__ == "__main__":
    main(sys.argv)
