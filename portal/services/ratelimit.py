"""Rate limits for public forms, receipt look-ups and sign-in."""
import threading
import time
from collections import deque

from zope.interface import Interface, implementer


class IRateLimiter(Interface):
    def hit(key, limit, window):
        """Count one attempt for key; True while at most `limit` attempts fell in `window` s."""

    def retry_after(key, window):
        """Seconds until the oldest counted attempt leaves the window."""

    def reset(key):
        """Forget the attempts counted for key."""


@implementer(IRateLimiter)
class MemoryRateLimiter:
    """Sliding-window counter in this process; a shared backend replaces it for several servers."""

    def __init__(self, clock=time.monotonic, max_keys: int = 100_000):
        self._clock = clock
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def hit(self, key: str, limit: int, window: float) -> bool:
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            hits.append(now)
            if len(self._hits) > self._max_keys:  # bound memory under a flood of distinct keys
                self._prune(now, window)
            return len(hits) <= limit

    def retry_after(self, key: str, window: float) -> int:
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return 0
            return max(1, int(hits[0] + window - self._clock()) + 1)

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def _prune(self, now, window):
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - window]:
            del self._hits[key]
        # Still too many live keys (a flood from many addresses): forget the oldest ones first.
        while len(self._hits) > self._max_keys:
            del self._hits[next(iter(self._hits))]


class RateLimited(Exception):
    """Over a public form's limit; retry_after is in seconds (for the Retry-After header)."""

    def __init__(self, retry_after: int):
        super().__init__("rate limited")
        self.retry_after = retry_after


def count_per_hour(request, name: str, setting: str) -> None:
    """Count one attempt from the visitor's address against the hourly limit named by `setting`,
    valid or not (a flood of bad submissions costs as much as good ones); raise RateLimited over it."""
    per_hour = int(request.registry.settings[setting])
    key = f"{name}:{request.client_addr}"
    if not request.rate_limiter.hit(key, per_hour, 3600):
        raise RateLimited(request.rate_limiter.retry_after(key, 3600))
