"""Families' requests on a known set: counts by state and command center, and the time from the request
to the published appeal (median, 90th percentile) with even, odd and no published requests."""
from datetime import UTC, date, datetime, timedelta

import pytest

from portal.core.durations import Durations
from portal.core.localtime import LOCAL_TZ
from portal.core.stats_range import DateRange
from portal.missing import stats as missing_stats
from tests.factories import make_missing_request, make_officer

HOUR = 3600


def beijing(*args):
    return datetime(*args, tzinfo=LOCAL_TZ).astimezone(UTC)


@pytest.fixture
def world(dbsession, registry, units):
    cipher = registry["field_cipher"]

    def request(center, day, state="submitted", hours_to_publish=None):
        made = make_missing_request(dbsession, cipher, units[center], units[center],
                                    state="published" if hours_to_publish is not None else state)
        made.created_at = beijing(2026, 11, day, 9)
        made.state = state
        made.notice.published_at = (made.created_at + timedelta(hours=hours_to_publish)
                                    if hours_to_publish is not None else None)
        return made

    request("city_a", 10, "published", 1)
    request("city_a", 11, "published", 3)
    request("county_a", 12, "published", 2)
    request("county_a", 13, "resolved", 10)  # published, then found: still counts for the time to publish
    request("city_a", 14)  # waiting: counted, but not in the times
    request("city_b", 12, "published", 100)  # the sibling city's center
    dbsession.flush()
    return {name: make_officer(dbsession, units[name], ["dispatcher"]) for name in ("city_a", "city_b")}


def test_counts_and_times_to_publication_of_an_even_set(dbsession, units, world):
    stats = missing_stats.collect(dbsession, world["city_a"], DateRange())
    assert stats.total == 5
    assert stats.by_state == {"submitted": 1, "verifying": 0, "published": 3, "resolved": 1, "withdrawn": 0,
                              "rejected": 0}
    assert stats.by_center == {units["city_a"].id: 3, units["county_a"].id: 2}
    # 1 h, 2 h, 3 h, 10 h: the median halfway between 2 and 3; p90 at rank 2.7, 3 h + 0.7 * 7 h.
    assert stats.to_publication == Durations(4, pytest.approx(2.5 * HOUR), pytest.approx(7.9 * HOUR))
    assert stats.to_publication_by_center == {
        units["city_a"].id: Durations(2, pytest.approx(2 * HOUR), pytest.approx(2.8 * HOUR)),
        units["county_a"].id: Durations(2, pytest.approx(6 * HOUR), pytest.approx(9.2 * HOUR))}


def test_an_odd_set_in_a_date_range(dbsession, world):
    stats = missing_stats.collect(dbsession, world["city_a"], DateRange(date(2026, 11, 11), date(2026, 11, 13)))
    assert stats.total == 3
    # 2 h, 3 h, 10 h: the middle one; p90 at rank 1.8, 3 h + 0.8 * 7 h.
    assert stats.to_publication == Durations(3, pytest.approx(3 * HOUR), pytest.approx(8.6 * HOUR))


def test_nothing_published_gives_no_times(dbsession, world):
    stats = missing_stats.collect(dbsession, world["city_a"], DateRange(date(2026, 11, 14), date(2026, 11, 14)))
    assert stats.total == 1 and stats.to_publication == Durations(0, None, None)
    assert stats.to_publication_by_center == {}


def test_another_center_sees_nothing_of_this_one(dbsession, units, world):
    stats = missing_stats.collect(dbsession, world["city_b"], DateRange())
    assert stats.total == 1 and set(stats.by_center) == {units["city_b"].id}
    assert stats.to_publication == Durations(1, pytest.approx(100 * HOUR), pytest.approx(100 * HOUR))
