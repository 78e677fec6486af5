"""Alarms on a known set: per command center, how they ended, and the time to acknowledge and to
dispatch (median, 90th percentile) with odd, even and empty sets, in a range and a scope."""
from datetime import UTC, date, datetime, timedelta

import pytest

from portal.alarms import stats as alarm_stats
from portal.core.durations import Durations
from portal.core.localtime import LOCAL_TZ
from portal.core.stats_range import DateRange
from tests.factories import make_alarm, make_officer

ARRIVED = datetime(2026, 11, 12, 9, 0, tzinfo=LOCAL_TZ).astimezone(UTC)


@pytest.fixture
def world(dbsession, units):
    units["city_a"].is_command_center = units["city_b"].is_command_center = True

    def alarm(center, state, ack=None, dispatch=None, arrived=ARRIVED):
        make_alarm(dbsession, units[center], state=state, created_at=arrived,
                   acknowledged_at=arrived + timedelta(seconds=ack) if ack is not None else None,
                   dispatched_at=arrived + timedelta(seconds=dispatch) if dispatch is not None else None)

    alarm("city_a", "acknowledged", ack=30)
    alarm("city_a", "dispatched", ack=60, dispatch=300)
    alarm("city_a", "closed", ack=90, dispatch=500)
    alarm("city_a", "cancelled")  # cancelled before anyone took it: in the counts, in no time
    alarm("county_a", "dispatched", ack=10, dispatch=100)  # a county routed its own alarm
    alarm("city_a", "new", arrived=ARRIVED + timedelta(days=20))  # outside the range below
    alarm("city_b", "acknowledged", ack=999)
    dbsession.flush()
    return {name: make_officer(dbsession, units[name], ["dispatcher"]) for name in ("city_a", "city_b")}


NOVEMBER = DateRange(date(2026, 11, 1), date(2026, 11, 20))


def test_alarms_per_center_and_the_times_to_acknowledge_and_dispatch(dbsession, units, world):
    stats = alarm_stats.collect(dbsession, world["city_a"], NOVEMBER)
    assert stats.total == 5
    assert stats.by_state == {"new": 0, "acknowledged": 1, "dispatched": 2, "closed": 1, "cancelled": 1}
    assert stats.by_center == {units["city_a"].id: 4, units["county_a"].id: 1}
    assert [u.code for u in stats.centers] == ["990100", "990101"]
    # Acknowledged after 10, 30, 60, 90 s (even): median 45; p90 at rank 2.7, 60 + 0.7 * 30.
    assert stats.acknowledge == Durations(4, pytest.approx(45.0), pytest.approx(81.0))
    # Dispatched after 100, 300, 500 s (odd): the middle one; p90 at rank 1.8, 300 + 0.8 * 200.
    assert stats.dispatch == Durations(3, pytest.approx(300.0), pytest.approx(460.0))
    assert stats.acknowledge_by_center[units["city_a"].id] == Durations(3, pytest.approx(60.0), pytest.approx(84.0))
    assert stats.dispatch_by_center == {units["city_a"].id: Durations(2, pytest.approx(400.0), pytest.approx(480.0)),
                                        units["county_a"].id: Durations(1, pytest.approx(100.0), pytest.approx(100.0))}


def test_an_empty_range_has_no_times(dbsession, world):
    stats = alarm_stats.collect(dbsession, world["city_a"], DateRange(date(2026, 10, 1), date(2026, 10, 31)))
    assert stats.total == 0 and stats.acknowledge == Durations(0, None, None) == stats.dispatch
    assert stats.acknowledge_by_center == {}


def test_another_center_sees_nothing_of_this_one(dbsession, units, world):
    stats = alarm_stats.collect(dbsession, world["city_b"], DateRange())
    assert stats.by_center == {units["city_b"].id: 1}
    assert stats.acknowledge == Durations(1, pytest.approx(999.0), pytest.approx(999.0))
    assert stats.dispatch == Durations(0, None, None)
