from portal.notices.pagecache import PageCache
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


def test_a_page_read_before_a_clear_is_not_kept_after_it():
    cache = PageCache(5, clock=FakeClock(0.0))
    began = cache.epoch  # a request starts reading a page...
    cache.clear()  # ...the public generation moves meanwhile...
    cache.put("a", "old page", began)  # ...so what it read must not outlive the clear
    assert cache.get("a") is None
    cache.put("a", "new page", cache.epoch)
    assert cache.get("a") == "new page"


def _bump(engine):
    from sqlalchemy import update

    from portal.core.generation import PublicGeneration

    with engine.begin() as connection:  # committed, as another server's change would be
        connection.execute(update(PublicGeneration).values(generation=PublicGeneration.generation + 1))


def test_generation_watch_reads_at_most_once_per_interval_and_sees_other_servers_changes(engine):
    from portal.core.generation import GenerationWatch

    clock = FakeClock(0.0)
    watch = GenerationWatch(engine, interval=1.0, clock=clock)
    assert watch.moved() is False  # the first reading only learns the number
    _bump(engine)
    clock.now = 0.5
    assert watch.moved() is False  # not read again within the interval
    clock.now = 1.0
    assert watch.moved() is True
    clock.now = 2.0
    assert watch.moved() is False  # nothing changed since


def test_generation_watch_keeps_pages_when_the_database_is_away():
    from sqlalchemy import create_engine

    from portal.core.generation import GenerationWatch

    broken = create_engine("sqlite:////nonexistent-dir/none.sqlite")
    watch = GenerationWatch(broken, interval=1.0, clock=FakeClock(0.0))
    assert watch.moved() is False


def test_invalidate_bumps_the_shared_generation_in_the_request_transaction(dummy_request, dbsession):
    from sqlalchemy import select

    from portal.core.generation import PublicGeneration, invalidate

    before = dbsession.execute(select(PublicGeneration.generation)).scalar_one()
    invalidate(dummy_request)
    assert dbsession.execute(select(PublicGeneration.generation)).scalar_one() == before + 1
