"""The Redis rate limiter behaves like the memory one, against a throwaway redis-server.

Tests that need Redis start `redis-server` on a free port (no persistence) and skip, saying why,
when the binary is not installed."""
import logging
import os
import shutil
import socket
import subprocess
import time

import pytest

import portal
from portal.abuse import make_rate_limiter
from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter, RedisRateLimiter
from portal.core.settings import SettingsError
from tests.factories import FakeClock

redis = pytest.importorskip("redis", reason="the redis client is not installed (pip install redis)")
KEY_SECRET = b"k" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed; install it to test the Redis rate limiter"
        if os.environ.get("PORTAL_REQUIRE_REDIS") == "1":  # CI: the Redis backend must be tested
            pytest.fail(message + " (PORTAL_REQUIRE_REDIS=1 makes this a failure)", pytrace=False)
        pytest.skip(message)
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail(f"redis-server did not start on port {port}")
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(params=["memory", "redis"])
def make_limiter(request):
    """limiter(clock) for each backend; the Redis one against the throwaway server."""
    if request.param == "memory":
        return lambda clock: MemoryRateLimiter(clock=clock)
    client = request.getfixturevalue("redis_client")
    return lambda clock: RedisRateLimiter(client, KEY_SECRET, clock=clock)


# The same behaviour on both backends --------------------------------------------------------------

def test_sliding_window_allows_the_limit_then_refuses_until_it_slides(make_limiter):
    clock = FakeClock()
    limiter = make_limiter(clock)
    assert all(limiter.hit("ip", 3, 60) for _ in range(3))
    assert not limiter.hit("ip", 3, 60)
    assert limiter.retry_after("ip", 60) == 61
    assert limiter.hit("other", 3, 60)  # keys are independent
    clock.now += 30
    assert not limiter.hit("ip", 3, 60)  # refused attempts count too: a flood never gets through
    clock.now += 31  # the first four left the window; the one at +30 still counts
    assert limiter.hit("ip", 3, 60)
    assert limiter.retry_after("ip", 60) == 30
    assert limiter.hit("ip", 3, 60)
    assert not limiter.hit("ip", 3, 60)


def test_the_window_slides_attempt_by_attempt(make_limiter):
    clock = FakeClock()
    limiter = make_limiter(clock)
    assert limiter.hit("ip", 2, 10)
    clock.now += 5
    assert limiter.hit("ip", 2, 10)
    clock.now += 5  # the first attempt is exactly a window old: it no longer counts
    assert limiter.hit("ip", 2, 10)
    assert not limiter.hit("ip", 2, 10)


def test_retry_after_and_reset(make_limiter):
    clock = FakeClock()
    limiter = make_limiter(clock)
    assert limiter.retry_after("never", 60) == 0
    limiter.hit("a", 1, 3600)
    clock.now += 100
    assert limiter.retry_after("a", 3600) == 3501
    assert not limiter.hit("a", 1, 3600)
    limiter.reset("a")
    assert limiter.retry_after("a", 3600) == 0
    assert limiter.hit("a", 1, 3600)


def test_a_one_time_key_works_once(make_limiter):
    """How services/pow.py remembers used challenges: the second use of an id is refused."""
    limiter = make_limiter(FakeClock())
    assert limiter.hit("pow:abc", 1, 7200)
    assert not limiter.hit("pow:abc", 1, 7200)
    assert limiter.hit("pow:abd", 1, 7200)


# Redis specifics ---------------------------------------------------------------------------------

def test_two_servers_share_the_counts(redis_client):
    clock = FakeClock()
    server_a = RedisRateLimiter(redis_client, KEY_SECRET, clock=clock)
    server_b = RedisRateLimiter(redis.Redis(connection_pool=redis_client.connection_pool), KEY_SECRET, clock=clock)
    assert server_a.hit("tip:203.0.113.7", 2, 3600)
    assert server_b.hit("tip:203.0.113.7", 2, 3600)
    assert not server_a.hit("tip:203.0.113.7", 2, 3600)
    assert server_b.retry_after("tip:203.0.113.7", 3600) == 3601


def test_the_redis_server_clock_is_used_by_default(redis_client):
    limiter = RedisRateLimiter(redis_client, KEY_SECRET)
    assert limiter.hit("k", 2, 60) and limiter.hit("k", 2, 60)
    assert not limiter.hit("k", 2, 60)
    assert 59 <= limiter.retry_after("k", 60) <= 61


def test_key_names_are_keyed_hashes_that_expire_and_stay_small(redis_client):
    limiter = RedisRateLimiter(redis_client, KEY_SECRET, clock=FakeClock())
    code, address = "4921738205616634", "198.51.100.23"
    for _ in range(50):
        limiter.hit(f"tip-reply-receipt:{code}", 3, 3600)
        limiter.hit(f"receipt:{address}", 3, 60)
    names = [name.decode() for name in redis_client.keys("*")]
    assert len(names) == 2
    assert all(name.startswith("portal:rl:") for name in names)
    for secret in (code, address, "receipt", "tip-reply", code[:8], "198.51"):
        assert not any(secret in name for name in names)
    assert RedisRateLimiter(redis_client, b"other" * 8).redis_key("k") != limiter.redis_key("k")
    ttls = sorted(redis_client.ttl(name) for name in names)
    assert 0 < ttls[0] <= 60 and 60 < ttls[1] <= 3600  # each key lives as long as its window
    assert all(redis_client.zcard(name) <= 4 for name in names)  # a flood keeps limit+1 entries, no more


def test_an_unreachable_redis_lets_attempts_through_quickly_and_logs_it_once(caplog, monkeypatch):
    limiter = RedisRateLimiter.from_settings({"portal.ratelimit.redis_url": f"redis://127.0.0.1:{free_port()}/0",
                                              "portal.session_secret": "s" * 40})
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="portal.abuse.ratelimit"):
        assert limiter.hit("receipt:4921738205616634", 1, 60)
        assert limiter.hit("receipt:4921738205616634", 1, 60)
        assert limiter.retry_after("receipt:4921738205616634", 60) == 0
        limiter.reset("receipt:4921738205616634")
    assert time.monotonic() - started < 3  # no seconds of retries per request
    assert caplog.text.count("Redis did not answer (ConnectionError)") == 1  # then left alone a while
    assert "4921738205616634" not in caplog.text
    monkeypatch.setattr(limiter, "_down_until", 0.0)  # the pause is over: it tries (and logs) again
    with caplog.at_level(logging.ERROR, logger="portal.abuse.ratelimit"):
        assert limiter.hit("k", 1, 60)
    assert caplog.text.count("Redis did not answer") == 2


# Choosing the backend ----------------------------------------------------------------------------

def app_settings(tmp_path, **extra):
    return {
        "sqlalchemy.url": f"sqlite:///{tmp_path / 'unused.sqlite'}",  # never connected to here
        "portal.session_secret": "test-session-secret-0123456789abcdef0123456789",
        "portal.field_keys": "t1:dGVzdC1maWVsZC1rZXktMzItYnl0ZXMtMDAwMDAwMDA",
        "portal.field_key_id": "t1",
        "portal.receipt_pepper": "test-receipt-pepper-0123456789",
        "portal.media_dir": str(tmp_path / "media"),
        "portal.audit_key": "t1:test-audit-key-0123456789abcdef0123456789",
        **extra,
    }


def test_the_app_uses_the_memory_limiter_by_default(tmp_path):
    app = portal.main({}, **app_settings(tmp_path))
    assert isinstance(app.registry.getUtility(IRateLimiter), MemoryRateLimiter)


def test_the_app_uses_redis_when_configured(tmp_path, redis_url, redis_client):
    app = portal.main({}, **app_settings(tmp_path, **{
        "portal.ratelimit.backend": "redis", "portal.ratelimit.redis_url": redis_url}))
    limiter = app.registry.getUtility(IRateLimiter)
    assert isinstance(limiter, RedisRateLimiter)
    assert limiter.hit("pow:x", 1, 60) and not limiter.hit("pow:x", 1, 60)
    assert len(redis_client.keys("portal:rl:*")) == 1  # it talks to the configured server


def test_an_unknown_backend_fails_clearly_at_start_up(tmp_path):
    with pytest.raises(SettingsError, match="portal.ratelimit.backend must be one of memory, redis, not 'memcache'"):
        portal.main({}, **app_settings(tmp_path, **{"portal.ratelimit.backend": "memcache"}))
    with pytest.raises(SettingsError):
        make_rate_limiter({"portal.ratelimit.backend": ""})


def test_recent_counts_what_is_in_the_window_and_the_age_of_the_newest_without_counting(make_limiter):
    """How sign-in throttling reads failures (accounts/throttle.py)."""
    clock = FakeClock()
    limiter = make_limiter(clock)
    assert limiter.recent("fails", 3600) == (0, None)
    limiter.hit("fails", 100, 3600)
    clock.now += 10
    limiter.hit("fails", 100, 3600)
    clock.now += 5
    assert limiter.recent("fails", 3600) == (2, 5.0)
    assert limiter.recent("fails", 3600) == (2, 5.0)  # reading counts nothing
    assert limiter.recent("fails", 12) == (1, 5.0)  # only the newest is within 12 s
    clock.now += 3600
    assert limiter.recent("fails", 3600) == (0, None)
