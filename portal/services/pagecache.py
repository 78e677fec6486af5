"""A cache of rendered anonymous public pages (home, notice list, notice detail, the notice API).

A missing-person appeal shared widely brings bursts of identical requests; serving them from memory
keeps the portal up under that load. Only anonymous GETs without cookies that change anything are
cached. Any change to public content bumps the shared public generation in its own transaction
(`invalidate`); every server checks that number at most once per `portal.page_cache_check_seconds`
and drops its pages when it moved, so no server shows a closed appeal for longer than that. Entries
also expire after `portal.page_cache_seconds` (what bounds changes that come with time alone, such as
a notice passing its expiry time)."""
import logging
import re
import threading
import time
from collections import OrderedDict

from pyramid.response import Response
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from ..i18n import negotiate_locale
from ..models import PublicGeneration

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


log = logging.getLogger(__name__)


class GenerationWatch:
    """Reads the shared public generation at most once per interval; says when it has moved."""

    def __init__(self, engine, interval: float, clock=time.monotonic):
        self.engine = engine
        self.interval = interval
        self._clock = clock
        self._seen = None
        self._next_check = 0.0
        self._lock = threading.Lock()

    def moved(self) -> bool:
        now = self._clock()
        with self._lock:
            if now < self._next_check:
                return False
            self._next_check = now + self.interval
        try:
            with self.engine.connect() as connection:
                current = connection.execute(select(PublicGeneration.generation)).scalar()
        except SQLAlchemyError:
            # The database is away: cached public pages are the best we can serve meanwhile.
            log.warning("public generation unreadable; keeping cached pages")
            return False
        with self._lock:
            moved, self._seen = self._seen is not None and current != self._seen, current
        return moved


def invalidate(request) -> None:
    """Call in the transaction of any change that a public page shows (publication, an edit, a
    resolution, unit names): every server's cache drops its pages once the change commits."""
    request.dbsession.execute(update(PublicGeneration).values(generation=PublicGeneration.generation + 1))
    cache = request.registry.get("page_cache")
    if cache is None:
        return
    cache.clear()
    # Again after the commit: a page rendered from the old rows meanwhile must not stay cached here.
    tm = getattr(request, "tm", None)
    if tm is not None:
        tm.get().addAfterCommitHook(lambda committed: cache.clear())


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
    watch = registry.get("page_cache_watch")

    def page_cache_tween(request):
        key = _cache_key(request)
        if key is None:
            return handler(request)
        if watch is not None and watch.moved():
            cache.clear()
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
