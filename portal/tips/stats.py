"""Tip statistics of an officer's unit and the units below it: counts by category, receiving unit,
state and week, and how long tips waited for triage and for closing.

Only counts and durations ever leave here: no description, place or reporter field is read. The
database does the work (small GROUP BYs for the counts, one pass for the durations), so the page
stays fast with a million tips; Python only adds up the few dozen groups. Weeks are Beijing-time weeks
(Monday to Sunday), computed as UTC bounds here so the SQL is the same on SQLite and PostgreSQL."""
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select

from portal.core.csv_export import csv_bytes, safe_cell  # noqa: F401  (tips' CSV, shared with the other queues)
from portal.core.localtime import LOCAL_TZ, local_today
from portal.tips.models import TIP_STATES, Tip
from portal.units.models import Unit
from portal.units.scope import units_in_scope

WEEKS = 12


@dataclass(frozen=True)
class StatsFilter:
    since: date | None = None  # Beijing dates, both inclusive
    until: date | None = None
    category_id: int | None = None


@dataclass(frozen=True)
class Durations:
    """Seconds from receipt to a step, over the tips that reached it (None when none did)."""

    count: int
    median: float | None
    p90: float | None


@dataclass
class TipStats:
    units: list[Unit]  # the officer's scope, in tree order
    weeks: list[date]  # the Monday of each of the last WEEKS weeks, oldest first
    total: int = 0
    by_category: dict[int, int] = field(default_factory=dict)
    by_unit: dict[int, int] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict)
    by_week: list[int] = field(default_factory=list)
    triage: Durations = Durations(0, None, None)
    close: Durations = Durations(0, None, None)


def local_midnight(day: date) -> datetime:
    """The UTC instant a Beijing day starts."""
    return datetime.combine(day, time(), LOCAL_TZ)


def week_starts(last_day: date, weeks: int = WEEKS) -> list[date]:
    monday = last_day - timedelta(days=last_day.weekday())
    return [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _conditions(filters: StatsFilter, unit_ids: list[int]) -> list:
    # unit_id IN (the scope) with a created_at range is what ix_tips_queue (unit_id, created_at, id) serves.
    conditions = [Tip.unit_id.in_(unit_ids)]
    if filters.since is not None:
        conditions.append(Tip.created_at >= local_midnight(filters.since))
    if filters.until is not None:
        conditions.append(Tip.created_at < local_midnight(filters.until + timedelta(days=1)))
    if filters.category_id is not None:
        conditions.append(Tip.category_id == filters.category_id)
    return conditions


def collect(dbsession, officer, filters: StatsFilter, today: date | None = None) -> TipStats:
    units = units_in_scope(dbsession, officer)
    last_day = min(filters.until, today or local_today()) if filters.until else (today or local_today())
    stats = TipStats(units=units, weeks=week_starts(last_day))
    conditions = _conditions(filters, [u.id for u in units])

    def grouped(*columns, where=()):
        # A few small GROUP BYs rather than one over every combination: each is a hash aggregate
        # over few groups (a combined one was estimated at many groups and sorted on disk).
        return dbsession.execute(select(*columns, func.count()).where(*conditions, *where).group_by(*columns)).all()

    stats.by_category = dict(grouped(Tip.category_id))
    for unit_id, state, n in grouped(Tip.unit_id, Tip.state):
        stats.total += n
        stats.by_unit[unit_id] = stats.by_unit.get(unit_id, 0) + n
        stats.by_state[state] = stats.by_state.get(state, 0) + n
    for state in TIP_STATES:
        stats.by_state.setdefault(state, 0)
    stats.by_week = _weeks(dbsession, conditions, stats.weeks)
    stats.triage, stats.close = durations(dbsession, conditions)
    return stats


def _weeks(dbsession, conditions, weeks: list[date]) -> list[int]:
    """Tips per week: only the weeks' rows are read (a created_at range on ix_tips_queue). The week
    is computed in a subquery and grouped on by name: PostgreSQL would not see that two copies of the
    CASE with their own bound parameters are the same expression."""
    start, end = local_midnight(weeks[0]), local_midnight(weeks[-1]) + timedelta(weeks=1)
    bounds = [local_midnight(monday) for monday in weeks]
    bucket = case(*[(Tip.created_at >= bounds[i], i) for i in range(len(bounds) - 1, -1, -1)], else_=None)
    rows = select(bucket.label("week")).where(*conditions, Tip.created_at >= start, Tip.created_at < end).subquery()
    counts = [0] * len(weeks)
    for week, n in dbsession.execute(select(rows.c.week, func.count()).group_by(rows.c.week)):
        if week is not None:
            counts[week] = n
    return counts


def _seconds(dbsession, end_column):
    if dbsession.get_bind().dialect.name == "postgresql":
        # date_part gives a double; EXTRACT gives numeric, which sorts slower in the percentiles.
        return func.date_part("epoch", end_column - Tip.created_at)
    return (func.julianday(end_column) - func.julianday(Tip.created_at)) * 86400.0


def durations(dbsession, conditions: list) -> tuple[Durations, Durations]:
    """Median and 90th percentile (linear interpolation, as PostgreSQL's percentile_cont) of the
    seconds from receipt to triage and to closing, over the tips that got there."""
    triage, close = _seconds(dbsession, Tip.triaged_at), _seconds(dbsession, Tip.closed_at)
    if dbsession.get_bind().dialect.name == "postgresql":
        # One pass; ordered-set aggregates ignore the NULLs of tips that did not get there.
        row = dbsession.execute(select(
            func.count(Tip.triaged_at), func.percentile_cont(0.5).within_group(triage),
            func.percentile_cont(0.9).within_group(triage),
            func.count(Tip.closed_at), func.percentile_cont(0.5).within_group(close),
            func.percentile_cont(0.9).within_group(close)).where(*conditions)).one()
        return (Durations(row[0], _float(row[1]), _float(row[2])),
                Durations(row[3], _float(row[4]), _float(row[5])))
    return (_sqlite_durations(dbsession, conditions, Tip.triaged_at, triage),
            _sqlite_durations(dbsession, conditions, Tip.closed_at, close))


def _sqlite_durations(dbsession, conditions, end_column, seconds) -> Durations:
    # SQLite has no percentile function: count, then read the one or two rows around each rank.
    reached = [*conditions, end_column.is_not(None)]
    count = dbsession.execute(select(func.count()).where(*reached)).scalar_one()
    if not count:
        return Durations(0, None, None)

    def percentile(p):
        rank = p * (count - 1)
        low = math.floor(rank)
        values = dbsession.execute(select(seconds).where(*reached).order_by(seconds)
                                   .offset(low).limit(2)).scalars().all()
        upper = values[1] if len(values) > 1 else values[0]
        return values[0] + (upper - values[0]) * (rank - low)

    return Durations(count, percentile(0.5), percentile(0.9))


def _float(value):
    return None if value is None else float(value)
