from portal.services.ratelimit import MemoryRateLimiter
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
