"""Notice statistics on a known set: published per kind and closed per kind and way, in a Beijing-date
range (both days inclusive), within the officer's unit and the units below it."""
from datetime import UTC, date, datetime

import pytest

from portal.core.localtime import LOCAL_TZ
from portal.core.stats_range import DateRange
from portal.notices import stats as notice_stats
from tests.factories import make_notice, make_officer

NOVEMBER = DateRange(date(2026, 11, 10), date(2026, 11, 20))


def beijing(*args):
    return datetime(*args, tzinfo=LOCAL_TZ).astimezone(UTC)


@pytest.fixture
def world(dbsession, units):
    def notice(unit, kind, published, closed_as=None, closed=None):
        made = make_notice(dbsession, units[unit], kind=kind)
        if closed_as:
            made.state = closed_as
            made.ended_at = closed
        made.published_at = published
        return made

    notice("city_a", "wanted", beijing(2026, 11, 10, 0, 5))  # just after the first day starts
    notice("city_a", "missing_person", beijing(2026, 11, 12, 9), "resolved", beijing(2026, 11, 20, 23, 50))
    notice("city_a", "vehicle", beijing(2026, 11, 1, 9), "retracted", beijing(2026, 11, 5, 9))
    notice("county_a", "wanted", beijing(2026, 11, 15, 9), "expired", beijing(2026, 11, 21, 0, 10))
    notice("city_a", "wanted", beijing(2026, 11, 21, 0, 1))  # the day after the range
    notice("city_b", "wanted", beijing(2026, 11, 12, 9), "resolved", beijing(2026, 11, 13, 9))  # the sibling
    make_notice(dbsession, units["city_a"], state="draft")  # never published: in no figure
    dbsession.flush()
    return {name: make_officer(dbsession, units[name], ["moderator"]) for name in ("city_a", "city_b", "county_a")}


def test_published_and_closed_per_kind_within_the_range(dbsession, units, world):
    stats = notice_stats.collect(dbsession, world["city_a"], NOVEMBER)
    assert [u.code for u in stats.units] == ["990100", "990101"]
    assert stats.published == {"missing_person": 1, "wanted": 2, "lost_found": 0, "case_appeal": 0, "vehicle": 0,
                               "reward_task": 0}
    assert stats.published_by_unit == {units["city_a"].id: 2, units["county_a"].id: 1}
    assert stats.closed["missing_person"] == {"resolved": 1, "expired": 0, "retracted": 0}
    assert stats.total_published == 3 and stats.total_closed == 1


def test_without_a_range_every_notice_counts(dbsession, units, world):
    stats = notice_stats.collect(dbsession, world["city_a"], DateRange())
    assert stats.published["wanted"] == 3 and stats.published["vehicle"] == 1
    assert stats.closed["vehicle"]["retracted"] == 1 and stats.closed["wanted"]["expired"] == 1
    assert stats.total_published == 5 and stats.total_closed == 3


def test_another_unit_sees_nothing_of_this_one(dbsession, units, world):
    sibling = notice_stats.collect(dbsession, world["city_b"], DateRange())
    assert sibling.total_published == 1 and sibling.closed["wanted"]["resolved"] == 1
    assert set(sibling.published_by_unit) == {units["city_b"].id}
    county = notice_stats.collect(dbsession, world["county_a"], DateRange())
    assert county.published_by_unit == {units["county_a"].id: 1} and county.total_closed == 1


def test_an_empty_range_gives_zeros(dbsession, world):
    stats = notice_stats.collect(dbsession, world["city_a"], DateRange(date(2020, 1, 1), date(2020, 1, 31)))
    assert stats.total_published == 0 and stats.total_closed == 0 and set(stats.published.values()) == {0}
