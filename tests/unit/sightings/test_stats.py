"""Sightings on a known set: per notice (busiest first, bounded), their outcomes, the range and the scope."""
from datetime import UTC, date, datetime

import pytest

from portal.core.localtime import LOCAL_TZ
from portal.core.stats_range import DateRange
from portal.sightings import stats as sighting_stats
from tests.factories import make_notice, make_officer, make_sighting


def beijing(*args):
    return datetime(*args, tzinfo=LOCAL_TZ).astimezone(UTC)


@pytest.fixture
def world(dbsession, units):
    busy = make_notice(dbsession, units["city_a"], kind="missing_person")
    quiet = make_notice(dbsession, units["county_a"], kind="wanted")
    elsewhere = make_notice(dbsession, units["city_b"], kind="wanted")

    def sighting(notice, day, state="received"):
        made = make_sighting(dbsession, notice, state=state)
        made.created_at = beijing(2026, 11, day, 12)

    for day, state in ((10, "forwarded"), (11, "closed"), (12, "closed"), (13, "reviewed"), (25, "received")):
        sighting(busy, day, state)
    sighting(quiet, 12, "forwarded")
    sighting(elsewhere, 12, "closed")
    dbsession.flush()
    officers = {name: make_officer(dbsession, units[name], ["moderator"]) for name in ("city_a", "city_b")}
    return officers, busy, quiet


def test_sightings_per_notice_and_their_outcomes(dbsession, units, world):
    officers, busy, quiet = world
    stats = sighting_stats.collect(dbsession, officers["city_a"], DateRange(date(2026, 11, 1), date(2026, 11, 20)))
    assert stats.total == 5 and stats.notices == 2 and stats.per_notice == 2.5
    assert stats.by_state == {"received": 0, "reviewed": 1, "forwarded": 2, "closed": 2}
    assert stats.by_unit == {units["city_a"].id: 4, units["county_a"].id: 1}
    assert [(n.notice_id, n.kind, n.total) for n in stats.top] == [(busy.id, "missing_person", 4),
                                                                 (quiet.id, "wanted", 1)]
    assert stats.top[0].by_state == {"received": 0, "reviewed": 1, "forwarded": 1, "closed": 2}


def test_the_list_of_notices_is_bounded(dbsession, units, world, monkeypatch):
    officers, busy, _ = world
    monkeypatch.setattr(sighting_stats, "TOP_NOTICES", 1)
    stats = sighting_stats.collect(dbsession, officers["city_a"], DateRange())
    assert [n.notice_id for n in stats.top] == [busy.id] and stats.notices == 2 and stats.total == 6


def test_nothing_in_range_and_another_unit(dbsession, units, world):
    officers, _, _ = world
    empty = sighting_stats.collect(dbsession, officers["city_a"], DateRange(date(2026, 12, 1), None))
    assert empty.total == 0 and empty.notices == 0 and empty.per_notice is None and empty.top == []
    sibling = sighting_stats.collect(dbsession, officers["city_b"], DateRange())
    assert sibling.total == 1 and set(sibling.by_unit) == {units["city_b"].id}
    assert [n.total for n in sibling.top] == [1]
