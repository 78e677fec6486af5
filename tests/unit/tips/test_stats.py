"""Tip statistics on a small known data set: exact counts, Beijing-time weeks and day bounds, the
median and 90th percentile durations, and unit scope (a city sees its counties, not its sibling)."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.core.localtime import LOCAL_TZ
from portal.tips import stats as tip_stats
from portal.tips.models import TipCategory
from portal.tips.stats import StatsFilter
from tests.factories import make_officer, make_tip

TODAY = date(2026, 11, 25)  # a Wednesday; its week starts on Monday 23 November
HOUR = 3600


def beijing(*args):
    return datetime(*args, tzinfo=LOCAL_TZ).astimezone(UTC)


@pytest.fixture
def world(dbsession, units):
    drugs, fraud = (dbsession.execute(select(TipCategory).where(TipCategory.slug == slug)).scalar_one()
                    for slug in ("drugs", "fraud"))

    def tip(unit, category, created, state="received", triaged=None, closed=None):
        made = make_tip(dbsession, units[unit], category=category, state=state)
        made.created_at = created
        made.triaged_at = created + timedelta(hours=triaged) if triaged is not None else None
        made.closed_at = created + timedelta(hours=closed) if closed is not None else None
        if state == "closed":
            made.outcome = "actionable"
        return made

    tip("city_a", drugs, beijing(2026, 11, 24, 10, 0))
    tip("county_a", drugs, beijing(2026, 11, 23, 0, 30), "triaged", triaged=1)  # Monday in Beijing, Sunday in UTC
    tip("county_a", fraud, beijing(2026, 11, 22, 23, 30), "closed", triaged=3, closed=10)  # Sunday night
    tip("city_a", fraud, beijing(2026, 10, 1, 12, 0), "closed", triaged=2, closed=4)
    tip("city_a", drugs, beijing(2026, 6, 1, 9, 0), "assigned", triaged=5)  # before the twelve weeks
    tip("city_b", drugs, beijing(2026, 11, 24, 9, 0), "closed", triaged=100, closed=200)  # the sibling city
    tip("county_b", fraud, beijing(2026, 11, 24, 9, 0))
    tip("province", fraud, beijing(2026, 11, 24, 9, 0))
    dbsession.flush()
    officers = {"city": make_officer(dbsession, units["city_a"], ["moderator"]),
                "province": make_officer(dbsession, units["province"], ["admin"])}
    return officers, drugs, fraud


def test_a_city_sees_its_own_and_its_countys_tips_with_exact_figures(dbsession, units, world):
    officers, drugs, fraud = world
    stats = tip_stats.collect(dbsession, officers["city"], StatsFilter(), today=TODAY)
    assert [u.code for u in stats.units] == ["990100", "990101"]
    assert stats.total == 5
    assert stats.by_category == {drugs.id: 3, fraud.id: 2}
    assert stats.by_unit == {units["city_a"].id: 3, units["county_a"].id: 2}
    assert stats.by_state == {"received": 1, "triaged": 1, "assigned": 1, "in_progress": 0, "closed": 2}
    assert stats.weeks[0] == date(2026, 9, 7) and stats.weeks[-1] == date(2026, 11, 23) and len(stats.weeks) == 12
    # 24 Nov and Monday 00:30 fall in the last week, Sunday 23:30 in the one before, 1 October in
    # the week of 28 September; June is older than the chart.
    assert stats.by_week == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 2]
    # Triage after 1, 2, 3, 5 hours; closing after 4 and 10 hours (interpolated percentiles).
    assert stats.triage.count == 4
    assert stats.triage.median == pytest.approx(2.5 * HOUR, abs=1)
    assert stats.triage.p90 == pytest.approx(4.4 * HOUR, abs=1)
    assert stats.close.count == 2
    assert stats.close.median == pytest.approx(7 * HOUR, abs=1)
    assert stats.close.p90 == pytest.approx(9.4 * HOUR, abs=1)


def test_the_province_sees_every_tip(dbsession, world):
    officers, _drugs, _fraud = world
    stats = tip_stats.collect(dbsession, officers["province"], StatsFilter(), today=TODAY)
    assert stats.total == 8 and len(stats.units) == 5
    assert stats.close.count == 3 and stats.close.p90 == pytest.approx((10 + 0.8 * 190) * HOUR, abs=1)


def test_date_bounds_are_beijing_days(dbsession, world):
    officers, _drugs, _fraud = world
    since = tip_stats.collect(dbsession, officers["city"], StatsFilter(since=date(2026, 11, 23)), today=TODAY)
    assert since.total == 2 and since.by_state["closed"] == 0
    until = tip_stats.collect(dbsession, officers["city"], StatsFilter(until=date(2026, 11, 22)), today=TODAY)
    assert until.total == 3
    # The weeks end with the range: the last one is the week of 16 November, which holds Sunday night.
    assert until.weeks[-1] == date(2026, 11, 16) and until.by_week[-1] == 1
    both = tip_stats.collect(dbsession, officers["city"], StatsFilter(since=date(2026, 10, 1), until=date(2026, 10, 1)),
                             today=TODAY)
    assert both.total == 1 and both.triage.median == pytest.approx(2 * HOUR, abs=1)


def test_category_filter_and_empty_results(dbsession, world):
    officers, drugs, fraud = world
    stats = tip_stats.collect(dbsession, officers["city"], StatsFilter(category_id=fraud.id), today=TODAY)
    assert stats.total == 2 and stats.by_category == {fraud.id: 2}
    assert stats.triage.median == pytest.approx(2.5 * HOUR, abs=1)
    empty = tip_stats.collect(dbsession, officers["city"], StatsFilter(since=date(2027, 1, 1)), today=TODAY)
    assert empty.total == 0 and empty.by_week == [0] * 12
    assert empty.triage == tip_stats.Durations(0, None, None) and empty.close == tip_stats.Durations(0, None, None)


def test_one_tip_has_its_own_duration_as_every_percentile(dbsession, world):
    officers, drugs, _fraud = world
    stats = tip_stats.collect(dbsession, officers["city"], StatsFilter(until=date(2026, 6, 30)), today=TODAY)
    assert stats.triage == tip_stats.Durations(1, pytest.approx(5 * HOUR, abs=1), pytest.approx(5 * HOUR, abs=1))


def test_week_starts_are_mondays():
    assert tip_stats.week_starts(date(2026, 11, 22), 3) == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    assert tip_stats.local_midnight(date(2026, 11, 23)) == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
