from portal.services.pagecache import PageCache
from tests.factories import FakeClock


def test_entries_expire_and_the_oldest_go_first():
    clock = FakeClock(0.0)
    cache = PageCache(5, max_entries=2, clock=clock)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1
    clock.now = 6
    assert cache.get("a") is None and cache.get("c") is None
