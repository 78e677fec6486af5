"""The one position validator: examples of what phones, maps and attackers send, and Hypothesis
for everything else: whatever arrives, the answer is a usable position, None, or a Refused with a
status a person can act on; never another exception, and never a number that is not finite or lies
outside the world."""
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.core.refused import Refused
from portal.geo.position import Position, is_on_earth, parse_fix_time, read_position

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def refusal(*args, **kw) -> Refused:
    with pytest.raises(Refused) as refused:
        read_position(*args, now=NOW, **kw)
    return refused.value


def test_reads_what_browsers_send():
    assert read_position("36.5", "111.5", "20", ms(NOW), now=NOW) == Position(36.5, 111.5, 20.0, NOW)
    assert read_position(36.5, 111.5, now=NOW) == Position(36.5, 111.5, None, NOW)  # no fix time: now
    assert read_position("36.5", "111.5", None, "2026-12-05T19:59:00+08:00", now=NOW).located_at == (
        NOW - timedelta(minutes=1))
    assert read_position(None, "", now=NOW) is None and read_position("  ", None, now=NOW) is None


@pytest.mark.parametrize("lat,lon,status,words", [
    ("nan", "1", 400, "latitude is not a number"),
    ("1", "NaN", 400, "longitude is not a number"),
    ("inf", "1", 400, "not a number"),
    ("-Infinity", "1", 400, "not a number"),
    (10 ** 400, 1, 400, "not a number"),  # a huge JSON integer
    (True, 1, 400, "not a number"),
    ("abc", "1", 400, "not a number"),
    ("91", "1", 400, "latitude lies outside the world"),
    ("1", "-180.0001", 400, "longitude lies outside the world"),
    ("1", "", 400, "come together"),
    (None, "1", 400, "come together"),
])
def test_refuses_numbers_that_are_not_coordinates(lat, lon, status, words):
    refused = refusal(lat, lon)
    assert refused.status == status and words in str(refused)


def test_accuracy_must_be_a_sane_number_within_the_callers_limit():
    assert refusal(1, 1, "nan").status == 400
    assert refusal(1, 1, "-5").status == 400
    refused = refusal(1, 1, "6000", max_accuracy_m=5000)
    assert refused.status == 422 and "too inaccurate" in str(refused) and "5000 m" in str(refused)
    assert read_position(1, 1, "5000", max_accuracy_m=5000, now=NOW).accuracy_m == 5000


def test_a_position_is_required_where_the_caller_needs_one():
    assert "needs a latitude and a longitude" in str(refusal(None, None, required=True))


@pytest.mark.parametrize("located_at", [
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "yesterday", "", "1e400", "99999999999999999999",
    "-99999999999999999999", float("nan"), True, "2026-13-01T00:00:00",
])
def test_fix_times_that_are_no_dates_are_refused_not_a_crash(located_at):
    if located_at == "":
        assert read_position(1, 1, None, located_at, now=NOW).located_at == NOW  # nothing given: now
        return
    refused = refusal(1, 1, None, located_at)
    assert refused.status == 400 and "time of the position is not understood" in str(refused)


def test_stale_and_future_fixes_are_refused_where_the_caller_bounds_them():
    old, ahead = ms(NOW - timedelta(minutes=11)), ms(NOW + timedelta(hours=1))
    bounds = {"max_age": timedelta(minutes=10), "max_future": timedelta(minutes=2)}
    assert refusal(1, 1, None, old, **bounds).status == 422 and "stale" in str(refusal(1, 1, None, old, **bounds))
    assert "in the future" in str(refusal(1, 1, None, ahead, **bounds))
    # The alarm itself keeps an old fix (better than nothing) and takes a clock running ahead as now.
    assert read_position(1, 1, None, old, keep_old=True, now=NOW).located_at == NOW - timedelta(minutes=11)
    assert read_position(1, 1, None, ahead, keep_old=True, now=NOW).located_at == NOW


def test_parse_fix_time_takes_naive_text_as_utc():
    assert parse_fix_time("2026-12-05T11:00:00", NOW) == NOW - timedelta(hours=1)


def test_is_on_earth():
    assert is_on_earth("38.5", 115.5) and not is_on_earth("nan", 1) and not is_on_earth(None, 1)
    assert not is_on_earth(90.5, 0) and not is_on_earth("x", "y")


anything = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                     st.text(max_size=40), st.sampled_from(["nan", "inf", "-inf", "1e309", "٣", "1_000", " 12 "]))


@given(anything, anything, anything, anything)
def test_any_input_gives_a_usable_position_none_or_a_refusal(lat, lon, accuracy, located_at):
    try:
        position = read_position(lat, lon, accuracy, located_at, max_age=timedelta(minutes=10),
                                 max_future=timedelta(minutes=2), now=NOW)
    except Refused as refused:
        assert refused.status in (400, 422) and str(refused)
        return
    if position is None:
        return
    assert math.isfinite(position.lat) and -90 <= position.lat <= 90
    assert math.isfinite(position.lon) and -180 <= position.lon <= 180
    assert position.accuracy_m is None or (math.isfinite(position.accuracy_m) and position.accuracy_m >= 0)
    assert position.located_at.tzinfo is not None and abs(position.located_at - NOW) <= timedelta(minutes=10)


@given(st.text(max_size=60))
def test_any_fix_time_text_parses_or_is_refused(text):
    try:
        parsed = parse_fix_time(text, NOW)
    except Refused as refused:
        assert refused.status == 400
        return
    assert parsed.tzinfo is not None
