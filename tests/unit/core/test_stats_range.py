"""The statistics' date range: Beijing days turned into UTC bounds, and whatever is typed either a
range or a clear refusal (never an error page)."""
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.core.stats_range import BadRange, DateRange, local_midnight, parse_range


def test_a_beijing_day_starts_at_sixteen_hundred_utc_the_day_before():
    assert local_midnight(date(2026, 11, 10)).astimezone(UTC) == datetime(2026, 11, 9, 16, 0, tzinfo=UTC)


def test_both_days_are_inclusive():
    rng = parse_range("2026-11-10", "2026-11-20")
    assert rng == DateRange(date(2026, 11, 10), date(2026, 11, 20))
    assert parse_range("", "") == DateRange()
    assert parse_range("2026-11-10", "2026-11-10").until == date(2026, 11, 10)


@pytest.mark.parametrize(("since", "until"), [("2026-11-31", ""), ("", "tomorrow"), ("1999-12-31", ""),
                                              ("", "2101-01-01"), ("2026-11-20", "2026-11-10")])
def test_bad_days_are_refused_with_a_message(since, until):
    with pytest.raises(BadRange) as refused:
        parse_range(since, until)
    assert refused.value.args[0]


@given(st.text(max_size=40), st.text(max_size=40))
def test_whatever_is_typed_is_a_range_or_a_refusal(since, until):
    try:
        got = parse_range(since.strip(), until.strip())
    except BadRange:
        return
    for day in (got.since, got.until):
        assert day is None or date(2000, 1, 1) <= day <= date(2100, 12, 31)
