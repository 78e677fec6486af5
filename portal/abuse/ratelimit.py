"""Rate limits for public forms, receipt look-ups and sign-in."""
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import deque

from zope.interface import Interface, implementer

from portal.core.i18n import _
from portal.core.refused import Refused


class IRateLimiter(Interface):
    def hit(key, limit, window):
        """Count one attempt for key; True while at most `limit` attempts fell in `window` s."""

    def retry_after(key, window):
        """Seconds until the oldest counted attempt leaves the window."""

    def reset(key):
        """Forget the attempts counted for key."""

    def recent(key, window):
        """(attempts counted for key in the last `window` s, seconds since the newest of them or None),
        counting nothing. A key is only as long as its hits keep: count with a limit above what you read."""


@implementer(IRateLimiter)
class MemoryRateLimiter:
    """Sliding-window counter in this process; a shared backend replaces it for several servers."""

    def __init__(self, clock=time.monotonic, max_keys: int = 200_000):
        self._clock = clock
        # key -> (the window it is counted over, the attempt times in it); the dict is kept in order
        # of last use, so under a flood the keys forgotten first are the ones idle longest.
        self._hits: dict[str, tuple[float, deque]] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def hit(self, key: str, limit: int, window: float) -> bool:
        now = self._clock()
        with self._lock:
            _, hits = self._hits.pop(key, (window, deque()))
            self._hits[key] = (window, hits)  # now the most recently used
            while hits and hits[0] <= now - window:
                hits.popleft()
            hits.append(now)
            if len(self._hits) > self._max_keys:  # bound memory under a flood of distinct keys
                self._prune(now)
            return len(hits) <= limit

    def retry_after(self, key: str, window: float) -> int:
        with self._lock:
            _, hits = self._hits.get(key, (window, None))
            if not hits:
                return 0
            return max(1, int(hits[0] + window - self._clock()) + 1)

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def recent(self, key: str, window: float) -> tuple[int, float | None]:
        now = self._clock()
        with self._lock:
            _, hits = self._hits.get(key, (window, ()))
            inside = [t for t in hits if t > now - window]
        return (len(inside), now - inside[-1]) if inside else (0, None)

    def _prune(self, now):
        # Each key expires by its own window (a used proof-of-work challenge is kept for two hours,
        # a form counter for one), never by the window of whichever call happens to prune.
        for key in [k for k, (window, v) in self._hits.items() if not v or v[-1] <= now - window]:
            del self._hits[key]
        # Still too many live keys (a flood from many addresses): forget the least recently used.
        while len(self._hits) > self._max_keys:
            del self._hits[next(iter(self._hits))]


# One round trip, atomic: drop what left the window, count this attempt (refused ones count too, like
# the memory limiter), keep only the newest limit+1 (enough to decide, bounded under a flood), and
# let the key expire with its window. ARGV[1] < 0: use the Redis server's clock, the same for all
# application servers.
# Every script's "now": the caller's clock (ARGV[1] >= 0), or the Redis server's (the same for every
# application server).
_NOW = """
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
"""
_HIT_SCRIPT = _NOW + """
local window, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(limit + 2))
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return redis.call('ZCARD', KEYS[1])
"""
_RETRY_SCRIPT = _NOW + """
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #oldest == 0 then return '' end
return tostring(tonumber(oldest[2]) - now)
"""
_RECENT_SCRIPT = _NOW + """
local count = redis.call('ZCOUNT', KEYS[1], '(' .. tostring(now - tonumber(ARGV[2])), '+inf')
if count == 0 then return {0, ''} end
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
return {count, tostring(now - tonumber(newest[2]))}
"""

log = logging.getLogger(__name__)


@implementer(IRateLimiter)
class RedisRateLimiter:
    """The same sliding window in Redis (a sorted set of attempt times per key), shared by several
    application servers. Key names are keyed hashes: a limit keyed by an address or a receipt never
    puts it into Redis in clear. When Redis does not answer, attempts are let through and the failure
    is logged: an outage of the limiter must not stop people from reporting. After a failure Redis is
    left alone for `pause` seconds, so requests do not each wait for a dead server."""

    def __init__(self, client, key_secret: bytes, clock=None, prefix: str = "portal:rl:", pause: float = 5.0):
        self._client = client
        self._key_secret = key_secret
        self._clock = clock  # None: the Redis server's clock
        self._prefix = prefix
        self._pause = pause
        self._down_until = 0.0
        self._hit = client.register_script(_HIT_SCRIPT)
        self._oldest_age = client.register_script(_RETRY_SCRIPT)
        self._recent = client.register_script(_RECENT_SCRIPT)

    @classmethod
    def from_settings(cls, settings) -> "RedisRateLimiter":
        import redis  # only needed by deployments that choose this backend
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = redis.Redis.from_url(settings["portal.ratelimit.redis_url"], socket_timeout=1,
                                      socket_connect_timeout=1, health_check_interval=30,
                                      retry=Retry(NoBackoff(), 1))  # one quick retry, not seconds of backoff
        key_secret = hmac.new(settings["portal.session_secret"].encode("utf-8"),
                              b"portal.ratelimit.redis-key-names.v1", hashlib.sha256).digest()
        return cls(client, key_secret)

    def redis_key(self, key: str) -> str:
        return self._prefix + hmac.new(self._key_secret, key.encode("utf-8"), hashlib.sha256).hexdigest()[:40]

    def _now(self) -> float:
        return -1.0 if self._clock is None else float(self._clock())

    def _call(self, function, *args, **kw):
        """function's answer, or None when Redis is down (logged once per outage)."""
        if time.monotonic() < self._down_until:
            return None
        try:
            return function(*args, **kw)
        except Exception as exc:  # redis.RedisError and socket errors alike
            self._down_until = time.monotonic() + self._pause
            log.error("rate limiter: Redis did not answer (%s); attempts are let through for %s s",
                      type(exc).__name__, self._pause)
            return None

    def hit(self, key: str, limit: int, window: float) -> bool:
        count = self._call(self._hit, keys=[self.redis_key(key)],
                           args=[repr(self._now()), repr(float(window)), int(limit), secrets.token_hex(8)])
        return count is None or int(count) <= limit

    def retry_after(self, key: str, window: float) -> int:
        age = self._call(self._oldest_age, keys=[self.redis_key(key)], args=[repr(self._now())])
        if age in (b"", "", None):
            return 0
        return max(1, int(float(age) + window) + 1)

    def reset(self, key: str) -> None:
        self._call(self._client.delete, self.redis_key(key))

    def recent(self, key: str, window: float) -> tuple[int, float | None]:
        answer = self._call(self._recent, keys=[self.redis_key(key)], args=[repr(self._now()), repr(float(window))])
        if not answer or not int(answer[0]):
            return 0, None  # nothing counted, or Redis down: let the attempt through, like hit()
        return int(answer[0]), max(0.0, float(answer[1]))


class RateLimited(Refused):
    """Over a public form's limit: a 429 refusal; retry_after is in seconds (the Retry-After header).
    Views that say more (how many minutes, the call link) catch it first."""

    def __init__(self, retry_after: int, message=None):
        super().__init__(message or _("Too many attempts from your connection. Please wait ${minutes} minutes and "
                                      "try again; if it is urgent, call the police.",
                                      mapping={"minutes": minutes(retry_after)}), 429)
        self.retry_after = retry_after

    def saying(self, message) -> "RateLimited":
        """The same limit with a message of the page's own."""
        return RateLimited(self.retry_after, message)


def minutes(retry_after) -> int:
    """Whole minutes to wait, rounded up, at least one: what people are told."""
    return max(1, (int(retry_after) + 59) // 60)


def count_per_hour(request, name: str, setting: str) -> None:
    """Count one attempt from the visitor's address against the hourly limit named by `setting`,
    valid or not (a flood of bad submissions costs as much as good ones); raise RateLimited over it."""
    per_hour = int(request.registry.settings[setting])
    key = f"{name}:{request.client_addr}"
    if not request.rate_limiter.hit(key, per_hour, 3600):
        raise RateLimited(request.rate_limiter.retry_after(key, 3600))
