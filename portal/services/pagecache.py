"""A micro-cache for the busiest anonymous pages (home, notice list, notice detail).

A missing-person appeal shared widely brings bursts of identical requests; serving them for a few
seconds from memory keeps the portal up under that load. Only anonymous GETs without cookies
that change anything are cached; any change to public content clears the cache, and entries
expire after `portal.page_cache_seconds` anyway (the bound when several servers run)."""
import re
import threading
import time
from collections import OrderedDict

from pyramid.response import Response

from ..i18n import negotiate_locale

CACHEABLE = re.compile(r"^/((notices|api/v1/notices)(/\d+)?)?$")
SESSION_COOKIE = "portal_session"
KEPT_HEADERS = ("Content-Type", "Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                "Permissions-Policy", "X-Frame-Options", "Cache-Control", "Content-Language")


class PageCache:
    def __init__(self, seconds: float, max_entries: int = 2000, clock=time.monotonic):
        self.seconds = seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

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

    def put(self, key, value) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + self.seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def invalidate(request) -> None:
    """Call after any change that a public page shows (publication, resolution, unit names)."""
    cache = request.registry.get("page_cache")
    if cache is not None:
        cache.clear()


def _cache_key(request):
    if request.method != "GET" or SESSION_COOKIE in request.cookies or "lang" in request.GET:
        return None
    if not CACHEABLE.match(request.path):
        return None
    return negotiate_locale(request), request.path_qs


def page_cache_tween_factory(handler, registry):
    cache = registry.get("page_cache")
    if cache is None:
        return handler

    def page_cache_tween(request):
        key = _cache_key(request)
        if key is None:
            return handler(request)
        hit = cache.get(key)
        if hit is not None:
            status, headers, body = hit
            response = Response(body=body, status=status)
            response.headers.update(headers)
            response.headers["X-Page-Cache"] = "hit"
            return response
        response = handler(request)
        if response.status_int == 200 and "Set-Cookie" not in response.headers:
            kept = {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers}
            cache.put(key, (response.status, kept, response.body))
        return response

    return page_cache_tween
