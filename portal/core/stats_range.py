"""The date range of a statistics page: Beijing dates as typed, turned into UTC bounds so the SQL is
the same on SQLite and PostgreSQL."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from portal.core.i18n import _
from portal.core.localtime import LOCAL_TZ

# Far-off days overflow when turned into Beijing-time instants and then UTC (year 1, year 9999).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
DATE_RANGE = _("Give a date between ${first} and ${last}.",
               mapping={"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})


class BadRange(ValueError):
    pass


@dataclass(frozen=True)
class DateRange:
    since: date | None = None  # Beijing dates, both inclusive
    until: date | None = None

    def conditions(self, column) -> list:
        """WHERE clauses keeping `column` (a UTC timestamp) within the range."""
        kept = []
        if self.since is not None:
            kept.append(column >= local_midnight(self.since))
        if self.until is not None:
            kept.append(column < local_midnight(self.until + timedelta(days=1)))
        return kept


def local_midnight(day: date) -> datetime:
    """The instant a Beijing day starts."""
    return datetime.combine(day, time(), LOCAL_TZ)


def _day(value: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadRange(_("Give dates as YYYY-MM-DD, such as 2026-11-01.")) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadRange(DATE_RANGE)
    return day


def parse_range(since: str, until: str) -> DateRange:
    """The range from what was typed (BadRange with a message for the page when it cannot be one)."""
    first, last = _day(since), _day(until)
    if first and last and first > last:
        raise BadRange(_("The start date must not be after the end date."))
    return DateRange(first, last)


@dataclass(frozen=True)
class Counts:
    total: int
    by_state: dict[str, int]  # every state, zero where none
    by_unit: dict[int, int]  # only units with some


def counts_by_unit_and_state(dbsession, unit_column, state_column, states, where) -> Counts:
    """How many rows match `where`, by state and by unit, in one grouped query (the statistics pages)."""
    total, by_state, by_unit = 0, dict.fromkeys(states, 0), {}
    for unit_id, state, n in dbsession.execute(select(unit_column, state_column, func.count())
                                               .where(*where).group_by(unit_column, state_column)):
        total += n
        by_state[state] += n
        by_unit[unit_id] = by_unit.get(unit_id, 0) + n
    return Counts(total, by_state, by_unit)
