"""Time of the alarm statistics (alarms/stats.py, the heaviest of the queue statistics: four grouped
median/p90 figures) with many alarms, and the figures themselves, to compare the two databases.

    python bench/queue_stats.py [--alarms 300000] [--db sqlite|postgresql] [--database-url URL] [--repeat 11]

Fills a fresh database (a temporary SQLite file, or the PostgreSQL database of --database-url dropped
and created again) with the demo unit tree (every province and city unit a command center) and
alarms spread over three years with the same seed: 90 % acknowledged after a log-normal wait (median
about 40 s), 60 % dispatched a few minutes later. Then, for a dispatcher of the province (every
center) and of a city, over the last 30 days, the last year and everything, times
alarm_stats.collect (once to warm the caches, then --repeat times: median and 95th percentile) and
prints the figures, which must be the same on both databases."""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from fill import DEFAULT_PG, fresh_database, migrate  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402
from tips_queue import add_units  # noqa: E402

from portal.alarms import stats as alarm_stats  # noqa: E402
from portal.alarms.models import Alarm  # noqa: E402
from portal.core.db import get_engine, get_session_factory  # noqa: E402
from portal.core.localtime import LOCAL_TZ  # noqa: E402
from portal.core.stats_range import DateRange  # noqa: E402
from portal.units.models import Unit  # noqa: E402

BATCH = 10_000
SCOPES = (("province", "139900"), ("city", "139910"))
# A fixed day, so both databases get the same alarms whenever the bench runs.
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def fill_alarms(engine, count: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    now = NOW
    span = timedelta(days=365 * 3)
    with engine.begin() as connection:
        unit_ids = add_units(connection)
        centers = list(connection.execute(select(Unit.id).where(Unit.is_command_center)).scalars())
        for start in range(0, count, BATCH):
            rows = []
            for i in range(start, min(start + BATCH, count)):
                created = now - timedelta(seconds=int(span.total_seconds() * (1 - (i + rng.random()) / count)))
                ack = created + timedelta(seconds=round(rng.lognormvariate(3.7, 0.8))) if rng.random() < 0.9 else None
                sent = ack + timedelta(seconds=rng.randint(60, 900)) if ack and rng.random() < 0.66 else None
                rows.append({"id": i + 1, "token_hash": f"{i:064x}", "kind": "silent", "unit_id": rng.choice(centers),
                             "state": "closed", "created_at": created, "updated_at": created, "acknowledged_at": ack,
                             "dispatched_at": sent, "ended_at": created + timedelta(hours=1), "version": 1})
            connection.execute(insert(Alarm), rows)
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT setval('alarms_id_seq', (SELECT max(id) FROM alarms))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return unit_ids


def timed(run, repeat):
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)], result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--alarms", type=int, default=300_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url = fresh_database(args.db, args.database_url, workdir)
        engine = get_engine({"sqlalchemy.url": url})
        migrate(engine)
        started = time.perf_counter()
        fill_alarms(engine, args.alarms)
        print(f"{args.db}: {args.alarms} alarms filled in {time.perf_counter() - started:.0f} s")
        factory = get_session_factory(engine)
        today = NOW.astimezone(LOCAL_TZ).date()
        ranges = {"30 days": DateRange(today - timedelta(days=29), today),
                  "1 year": DateRange(today - timedelta(days=364), today), "all": DateRange(date(2000, 1, 1), None)}
        for scope, code in SCOPES:
            for name, dates in ranges.items():
                with factory() as session:
                    unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one()
                    officer = SimpleNamespace(unit=unit)
                    p50, p95, stats = timed(lambda: alarm_stats.collect(session, officer, dates), args.repeat)  # noqa: B023
                    print(f"{scope:8} {name:8} alarms={stats.total:7} p50={p50:7.1f} ms p95={p95:7.1f} ms  "
                          f"ack median={stats.acknowledge.median} p90={stats.acknowledge.p90}  "
                          f"dispatch median={stats.dispatch.median} p90={stats.dispatch.p90}")
        engine.dispose()


if __name__ == "__main__":
    main()
