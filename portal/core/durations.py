"""Median and 90th percentile of waiting times, grouped (per unit, per kind), computed by the database.

PostgreSQL has percentile_cont; SQLite has none, so there window functions rank each group's values
and only the few rows around each wanted rank come back (at most eight per group, however many rows
the range holds). Both interpolate linearly between the two nearest ranks, as percentile_cont does, so
the two databases give the same numbers (tests/unit/core/test_durations.py)."""
import math
from dataclasses import dataclass

from sqlalchemy import Integer, cast, func, literal, or_, select

PERCENTILES = (0.5, 0.9)


@dataclass(frozen=True)
class Durations:
    """Seconds from a start to a step, over the rows that reached it (None when none did)."""

    count: int
    median: float | None
    p90: float | None


NONE_YET = Durations(0, None, None)


def percentile(ordered: list[float], p: float) -> float | None:
    """The p-th percentile of already sorted values, interpolated as percentile_cont."""
    if not ordered:
        return None
    rank = p * (len(ordered) - 1)
    low = math.floor(rank)
    upper = ordered[min(low + 1, len(ordered) - 1)]
    return ordered[low] + (upper - ordered[low]) * (rank - low)


def seconds_between(dbsession, start, end):
    """SQL for the seconds from `start` to `end` (two timestamp columns), as a float."""
    if dbsession.get_bind().dialect.name == "postgresql":
        # date_part gives a double (exact microseconds); EXTRACT's numeric sorts slower.
        return func.date_part("epoch", end - start)
    # julianday is a fraction of a day: rounding to the millisecond removes its binary noise.
    return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)


def grouped_durations(dbsession, group, steps: list, *where, from_=None) -> list[dict]:
    """For each of `steps` (SQL for seconds), {group value: Durations} over the rows matching `where`
    that have those seconds (not NULL). `group` may be literal(0) for one overall figure; `from_` is a
    join when the seconds read two tables. PostgreSQL reads the rows once for every step."""
    if dbsession.get_bind().dialect.name == "postgresql":
        base = select(group.label("grp"), *[seconds.label(f"s{i}") for i, seconds in enumerate(steps)])
        rows = (base.select_from(from_) if from_ is not None else base).where(*where).subquery()
        figures = []
        for i in range(len(steps)):
            column = rows.c[f"s{i}"]  # ordered-set aggregates and count(x) skip the NULLs
            figures += [func.count(column), *[func.percentile_cont(p).within_group(column) for p in PERCENTILES]]
        found: list[dict] = [{} for _ in steps]
        for grp, *values in dbsession.execute(select(rows.c.grp, *figures).group_by(rows.c.grp)):
            for i, per_group in enumerate(found):
                n, median, p90 = values[3 * i:3 * i + 3]
                if n:
                    per_group[grp] = Durations(n, _float(median), _float(p90))
        return found
    return [_ranked_durations(dbsession, group, seconds, where, from_) for seconds in steps]


def _ranked_durations(dbsession, group, seconds, where, from_) -> dict:
    base = select(group.label("grp"), seconds.label("seconds"))
    # Materialized: SQLite would otherwise flatten the subquery and work the seconds out again for
    # every window and comparison (about half the time in bench/queue_stats.py).
    rows = ((base.select_from(from_) if from_ is not None else base).where(*where, seconds.is_not(None))
            .cte("timed").prefix_with("MATERIALIZED"))
    ranked = select(rows.c.grp, rows.c.seconds,
                    (func.row_number().over(partition_by=rows.c.grp, order_by=rows.c.seconds) - 1).label("rank"),
                    func.count().over(partition_by=rows.c.grp).label("n")).subquery()
    # One rank either side of the floor: the floor computed here and in Python may differ by float noise.
    near = [ranked.c.rank.between(cast(literal(p) * (ranked.c.n - 1), Integer) - 1,
                                  cast(literal(p) * (ranked.c.n - 1), Integer) + 2) for p in PERCENTILES]
    found: dict = {}
    for grp, value, rank, n in dbsession.execute(select(ranked.c.grp, ranked.c.seconds, ranked.c.rank, ranked.c.n)
                                                 .where(or_(*near))):
        found.setdefault(grp, (n, {}))[1][rank] = float(value)
    return {grp: Durations(n, *[_at_rank(values, n, p) for p in PERCENTILES]) for grp, (n, values) in found.items()}


def _at_rank(values: dict[int, float], n: int, p: float) -> float:
    rank = p * (n - 1)
    low = math.floor(rank)
    upper = values.get(low + 1, values[low])
    return values[low] + (upper - values[low]) * (rank - low)


def overall(durations: dict) -> Durations:
    """The one figure of a grouped_durations(..., literal(0), ...)."""
    return durations.get(0, NONE_YET)


def _float(value):
    return None if value is None else float(value)
