from portal.abuse.ratelimit import MemoryRateLimiter
from tests.factories import FakeClock


def test_sliding_window_allows_the_limit_then_refuses_until_it_slides():
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    assert all(limiter.hit("ip", 3, 60) for _ in range(3))
    assert not limiter.hit("ip", 3, 60)
    assert limiter.retry_after("ip", 60) == 61
    assert limiter.hit("other", 3, 60)  # keys are independent
    clock.now += 61
    assert limiter.hit("ip", 3, 60)


def test_reset_and_memory_bound():
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock, max_keys=10)
    limiter.hit("a", 1, 60)
    limiter.reset("a")
    assert limiter.hit("a", 1, 60)
    clock.now += 120
    for i in range(50):
        limiter.hit(f"k{i}", 1, 60)
    assert len(limiter._hits) <= 10
    assert "k49" in limiter._hits and "k0" not in limiter._hits  # the newest are kept


def test_a_key_outlives_the_shorter_window_of_whoever_prunes():
    """A used proof-of-work challenge is remembered for two hours; a flood of one-minute counters
    pruning the store must not forget it after one minute (it could be replayed)."""
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock, max_keys=5)
    assert limiter.hit("pow:used", 1, 7200)
    clock.now += 600
    for i in range(20):
        limiter.hit(f"form:{i}", 5, 60)
        clock.now += 61  # every form counter is stale by the next hit, so pruning keeps the store small
    assert not limiter.hit("pow:used", 1, 7200)  # still refused: a replay


def test_under_a_flood_the_least_recently_used_keys_go_first():
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock, max_keys=10)
    limiter.hit("attacker", 1, 3600)
    for i in range(30):
        limiter.hit(f"k{i}", 1, 3600)
        assert not limiter.hit("attacker", 1, 3600)  # kept alive by use, so never forgotten
    assert "k0" not in limiter._hits and len(limiter._hits) <= 10
