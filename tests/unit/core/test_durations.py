"""Median and 90th percentile: the pure reference on known values (odd, even, one, none), and the
database's figures (percentile_cont on PostgreSQL, ranked rows on SQLite) equal to it, grouped and not."""
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import literal

from portal.alarms.models import Alarm
from portal.core.durations import Durations, grouped_durations, overall, percentile, seconds_between
from tests.factories import make_alarm

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("values", "median", "p90"), [
    ([], None, None),
    ([7.0], 7.0, 7.0),
    ([1.0, 2.0, 3.0, 4.0, 5.0], 3.0, 4.6),  # odd: the middle value; p90 at rank 3.6
    ([1.0, 2.0, 3.0, 4.0], 2.5, 3.7),  # even: halfway between the two middle values; p90 at rank 2.7
    ([10.0, 20.0], 15.0, 19.0),
    ([5.0] * 10 + [1000.0], 5.0, 5.0),  # eleven values: p90 is exactly the tenth
])
def test_percentile_interpolates_as_percentile_cont(values, median, p90):
    assert percentile(values, 0.5) == (None if median is None else pytest.approx(median))
    assert percentile(values, 0.9) == (None if p90 is None else pytest.approx(p90))


def _alarms(dbsession, unit, waits_in_seconds):
    for wait in waits_in_seconds:
        alarm, _ = make_alarm(dbsession, unit, created_at=START,
                              acknowledged_at=None if wait is None else START + timedelta(seconds=wait))
    dbsession.flush()


def _durations(dbsession, group, unit_ids):
    seconds = seconds_between(dbsession, Alarm.created_at, Alarm.acknowledged_at)
    [found] = grouped_durations(dbsession, group, [seconds], Alarm.unit_id.in_(unit_ids))
    return found


def test_the_database_gives_the_known_medians_per_group_and_overall(dbsession, units):
    _alarms(dbsession, units["city_a"], [60, 120, 180, 240, 300, None])  # odd count reached; one never
    _alarms(dbsession, units["city_b"], [100, 200, 300, 400])  # even count
    _alarms(dbsession, units["county_a"], [None, None])  # none reached
    ids = [units[name].id for name in ("city_a", "city_b", "county_a")]
    grouped = _durations(dbsession, Alarm.unit_id, ids)
    assert grouped.keys() == {units["city_a"].id, units["city_b"].id}  # county A: nothing reached the step
    assert grouped[units["city_a"].id] == Durations(5, pytest.approx(180.0), pytest.approx(276.0))
    assert grouped[units["city_b"].id] == Durations(4, pytest.approx(250.0), pytest.approx(370.0))
    everything = overall(_durations(dbsession, literal(0), ids))
    assert everything.count == 9
    assert everything.median == pytest.approx(200.0)  # 60 100 120 180 [200] 240 300 300 400
    assert everything.p90 == pytest.approx(320.0)  # rank 7.2: 300 + 0.2 * (400 - 300)
    assert overall(_durations(dbsession, literal(0), [units["county_a"].id])) == Durations(0, None, None)


@pytest.mark.parametrize("seed", range(6))
def test_the_database_agrees_with_the_reference_on_random_sets(dbsession, units, seed):
    rng = random.Random(seed)
    waits = {name: [rng.randint(0, 90_000) for _ in range(rng.randint(1, 23))] for name in ("city_a", "county_b")}
    for name, values in waits.items():
        _alarms(dbsession, units[name], values)
    grouped = _durations(dbsession, Alarm.unit_id, [units[name].id for name in waits])
    for name, values in waits.items():
        ordered = sorted(float(v) for v in values)
        got = grouped[units[name].id]
        assert got.count == len(values)
        # Same numbers on both databases, to the millisecond the SQLite figure is rounded to.
        assert got.median == pytest.approx(percentile(ordered, 0.5), abs=1e-3)
        assert got.p90 == pytest.approx(percentile(ordered, 0.9), abs=1e-3)
