"""Static files with a version in every URL and long-lived caching.

Every `request.static_path/static_url` carries `?v=<hash of the file's content>`, computed once at
start-up: a changed file gets a new URL, so a versioned answer can be kept a year and never
revalidated (`immutable`). The version goes in the query string, not the path, so the unversioned URL
still serves the same file: the alarm's service worker (static/js/sw.js) keeps files by their path, and
the static error page nginx shows (static/errors/unavailable.html) links a plain path. An answer asked
for without the current version is kept an hour only (deploy/nginx/safety-portal.conf does the same)."""
import hashlib
from pathlib import Path

from pyramid.events import NewResponse
from pyramid.path import AssetResolver
from pyramid.static import QueryStringCacheBuster

ROOT_SPEC = "portal:static"
PARAM = "v"
PREFIX = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=3600"
TOKEN_LENGTH = 12


def content_tokens(root: Path) -> dict[str, str]:
    """Each file's path under `root` ("css/portal.css") and the start of its content's SHA-256."""
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:TOKEN_LENGTH]
            for path in sorted(root.rglob("*")) if path.is_file()}


class ContentHashCacheBuster(QueryStringCacheBuster):
    def __init__(self, root: Path):
        super().__init__(param=PARAM)
        self.tokens = content_tokens(root)
        # A file added after start-up still gets a version, one that changes at the next start.
        self.fallback = hashlib.sha256("".join(sorted(self.tokens.values())).encode()).hexdigest()[:TOKEN_LENGTH]

    def tokenize(self, request, subpath, kw):
        relative = kw.get("pathspec", "").partition(":static/")[2] or subpath
        return self.tokens.get(relative, self.fallback)


def static_caching(event):
    """A versioned static answer may be kept a year; anything else under /static/ an hour."""
    request, response = event.request, event.response
    path = request.path_info  # below the mount point, as the static view's
    if not path.startswith(PREFIX) or response.status_int != 200:
        return
    versioned = request.GET.get(PARAM) == request.registry.static_buster.tokenize(
        request, path[len(PREFIX):], {"pathspec": f"{ROOT_SPEC}/{path[len(PREFIX):]}"})
    response.headers["Cache-Control"] = IMMUTABLE if versioned else SHORT
    response.headers.pop("Expires", None)


def includeme(config):
    root = Path(AssetResolver().resolve(ROOT_SPEC).abspath())
    buster = ContentHashCacheBuster(root)
    config.registry.static_buster = buster
    config.add_static_view("static", ROOT_SPEC)
    config.add_cache_buster(ROOT_SPEC, buster)
    config.add_subscriber(static_caching, NewResponse)
