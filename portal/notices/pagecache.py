"""A cache of rendered anonymous public pages (home, notice list, notice detail, the notice API).

A missing-person appeal shared widely brings bursts of identical requests; serving them from memory
keeps the portal up under that load. Only anonymous GETs without cookies that change anything are
cached. Any change to public content bumps the shared public generation in its own transaction
(`invalidate`); every server checks that number at most once per `portal.page_cache_check_seconds`
and drops its pages when it moved, so no server shows a closed appeal for longer than that. Entries
also expire after `portal.page_cache_seconds` (what bounds changes that come with time alone, such as
a notice passing its expiry time).

Behind the memory, the notice pages (`/notices/{id}`, `/api/v1/notices/{id}`) come from pages stored
per notice in the database (services/notice_pages.py; `portal.notice_pages = false` turns that off):
a page this server has not kept costs one row read there, not a render, and is exact at once on
every server. Memory entries made from a lookup or render that began before a clear are not kept,
so a clear is never undone by a request that was already under way."""
import functools
import logging
import re
import threading
import time
from collections import OrderedDict
from urllib.parse import parse_qsl

from pyramid.settings import asbool
from webob import BaseRequest

from portal.core.i18n import negotiate_locale
from portal.notices.page_store import NoticePages

CACHEABLE = re.compile(r"^/((notices|api/v1/notices)(/\d+)?)?$")
SESSION_COOKIE = "portal_session"
# A hit carries every header the application gave the page (security headers included), but its length.
DROPPED_HEADERS = ("content-length",)


class PageCache:
    def __init__(self, seconds: float, max_entries: int = 2000, clock=time.monotonic):
        self.seconds = seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.epoch = 0  # how many clears so far

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key, value, epoch=None) -> None:
        """Keep `value`; when `epoch` is given, only if the cache has not been cleared since it was read."""
        with self._lock:
            if epoch is not None and epoch != self.epoch:
                return
            self._entries[key] = (self._clock() + self.seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.epoch += 1


log = logging.getLogger(__name__)






class _LocaleQuestion:
    """What negotiate_locale reads, taken from a bare WebOb request (no Pyramid request is made)."""

    def __init__(self, environ, registry):
        request = BaseRequest(environ)
        self.GET, self.cookies, self.accept_language = request.GET, request.cookies, request.accept_language
        self.registry = registry


def _visitor_locale(registry, cookie: str, accept_language: str | None) -> str | None:
    """The language of an anonymous request without ?lang=, from its only inputs (the lang cookie and
    Accept-Language); None for a request with a session cookie (never cached)."""
    environ = {"REQUEST_METHOD": "GET", "QUERY_STRING": "", "HTTP_COOKIE": cookie}
    if accept_language is not None:
        environ["HTTP_ACCEPT_LANGUAGE"] = accept_language
    question = _LocaleQuestion(environ, registry)
    return None if SESSION_COOKIE in question.cookies else negotiate_locale(question)


def _cache_key(environ, locale_of):
    if environ["REQUEST_METHOD"] != "GET" or not CACHEABLE.match(environ.get("PATH_INFO", "")):
        return None
    query = environ.get("QUERY_STRING")
    # Parsed as WebOb parses request.GET.
    if query and any(name == "lang" for name, _ in parse_qsl(query, keep_blank_values=True)):
        return None
    # Negotiating costs more than the rest of a hit: each server remembers the answers for the
    # header values it meets (most visitors send one of a few).
    locale = locale_of(environ.get("HTTP_COOKIE", ""), environ.get("HTTP_ACCEPT_LANGUAGE"))
    if locale is None:
        return None
    # Pages hold absolute links (Open Graph, share links, JSON-LD) built from the request's host: a page
    # rendered for one host name must never be served for another (a forged Host would poison it).
    origin = (environ.get("wsgi.url_scheme", ""), environ.get("HTTP_HOST", ""))
    return locale, origin, environ.get("PATH_INFO", "") + (f"?{query}" if query else "")


def _not_modified(environ, headers) -> bool:
    asked = environ.get("HTTP_IF_NONE_MATCH")
    if not asked:
        return False
    tag = next((v for h, v in headers if h.lower() == "etag"), None)
    if tag is None:
        return False
    tags = {t.strip().removeprefix("W/") for t in asked.split(",")}
    return tag in tags or "*" in tags


def _respond(environ, start_response, status, headers, body, marker=None):
    extra = [("X-Page-Cache", marker)] if marker else []
    if status.startswith("200") and _not_modified(environ, headers):
        kept = [(h, v) for h, v in headers if h.lower() in ("etag", "cache-control", "vary")]
        start_response("304 Not Modified", kept + extra)
        return [b""]
    start_response(status, headers + [("Content-Length", str(len(body)))] + extra)
    return [body]


def _cacheable(status, headers) -> bool:
    return status.startswith("200") and not any(h.lower() == "set-cookie" for h, _ in headers)


class PageCacheMiddleware:
    """In front of the whole Pyramid stack (no request object, no transaction, no subscribers): a hit
    costs a dictionary look-up; a notice page this server has not kept costs a row read (the page
    store). A miss goes through the application and, if it is a plain 200 page without cookies, is
    kept with the headers the application and its subscribers gave it."""

    def __init__(self, app):
        self.app = app
        self.registry = app.registry
        self.cache = app.registry["page_cache"]
        self.watch = app.registry.get("page_cache_watch")
        self.pages = app.registry.get("notice_pages")
        self.locale_of = functools.lru_cache(maxsize=1024)(functools.partial(_visitor_locale, self.registry))

    def __getattr__(self, name):  # the router's other attributes, for callers of the WSGI app
        return getattr(self.app, name)

    def __call__(self, environ, start_response):
        key = _cache_key(environ, self.locale_of)
        if key is None:
            return self.app(environ, start_response)
        if self.watch is not None and self.watch.moved():
            self.cache.clear()
        epoch = self.cache.epoch
        hit = self.cache.get(key)
        if hit is not None:
            return _respond(environ, start_response, *hit, marker="hit")
        page = self.pages.page(environ, key[0]) if self.pages is not None else None
        if page is not None:
            if page.source == "stored" or _cacheable(page.status, page.headers):
                self.cache.put(key, (page.status, page.headers, page.body), epoch)
            return _respond(environ, start_response, page.status, page.headers, page.body,
                            marker="stored" if page.source == "stored" else None)
        seen = {}

        def remember(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        chunks = self.app(environ, remember)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        headers = seen.get("headers", [])
        if _cacheable(seen.get("status", ""), headers):
            kept = [(h, v) for h, v in headers if h.lower() not in DROPPED_HEADERS]
            self.cache.put(key, (seen["status"], kept, body), epoch)
        return [body]


def wrap(app):
    """The WSGI application with the page cache in front, when the settings turn the cache on (and
    the notice page store behind it, unless `portal.notice_pages` is false)."""
    registry = app.registry
    if "page_cache" not in registry:
        return app
    if asbool(registry.settings.get("portal.notice_pages", "true")):
        registry["notice_pages"] = NoticePages(app, registry)
    return PageCacheMiddleware(app)
