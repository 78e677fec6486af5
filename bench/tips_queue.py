"""Latency of the staff tip queue (/staff/tips) with a million tips.

    python bench/tips_queue.py [--tips 1000000] [--db sqlite|postgresql] [--repeat 31]

Fills a fresh database (a temporary SQLite file, or the PostgreSQL database bench_portal dropped and
created again) with the demo unit tree (a province, three cities, six counties) and the default
tip categories, then core bulk inserts of tips spread over three years: most go to the counties,
older ones are nearly all closed, the last month's are spread over every state. Then, for a
moderator of the province (all ten units), of a city (three units) and of a county (one), with and
without a state filter (`received`, the triage queue, rare: about 1 in 200 tips), it times:

- the page's rows (services.tip_queue.page) for the first page and the tenth keyset page (its
  cursor found by following "older tips" from the first), each in a fresh session;
- the counts per state (services.tip_queue.counts) shown above the list;
- the whole page, GET /staff/tips (signed in; the app in this process through WebTest): queries,
  template and every subscriber, as the officer's browser gets it.

Each case runs once to warm the caches, then --repeat times; prints the median and 95th percentile."""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from fill import DEFAULT_PG, fresh_database, migrate  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from portal.accounts.models import Officer  # noqa: E402
from portal.core.db import get_engine, get_session_factory  # noqa: E402
from portal.core.meta import utcnow  # noqa: E402
from portal.demo import data as demo  # noqa: E402
from portal.tips import queue as tip_queue  # noqa: E402
from portal.tips.models import Tip, TipCategory  # noqa: E402
from portal.units.models import Unit  # noqa: E402

BATCH = 10_000
YEARS = 3
PASSWORD = "bench-password-2026"  # noqa: S105 - officers of a throwaway database
SCOPES = (("province", "139900"), ("city", "139910"), ("county", "139911"))
# Where tips arrive: mostly the counties (the place's own unit), some cities, a few the province.
UNIT_WEIGHTS = {"province": 4, "city": 6, "county": 13}
RECENT_STATES = (("received", 20), ("triaged", 15), ("assigned", 15), ("in_progress", 25), ("closed", 25))
OUTCOMES = ("actionable", "unfounded", "duplicate", "spam")
WORDS = ("仓库", "夜间", "车辆", "可疑", "交易", "现金", "人员", "出入", "搬运", "河滨路", "市场", "网吧", "工地",
         "码头")


def add_units(connection) -> dict[str, int]:
    """The demo tree (portal/demo/data.py): codes -> ids."""
    code, zh, en, ug = demo.PROVINCE
    rows = [dict(code=code, path=f"/{code}/", level="province", name_zh=zh, name_en=en, name_ug=ug)]
    for city_code, city_zh, city_en, city_ug, _suffix in demo.CITIES:
        rows.append(dict(code=city_code, path=f"/{code}/{city_code}/", level="city", name_zh=city_zh,
                         name_en=city_en, name_ug=city_ug))
        for county_code, county_zh, county_en, county_ug in demo.COUNTIES[city_code]:
            rows.append(dict(code=county_code, path=f"/{code}/{city_code}/{county_code}/", level="county",
                             name_zh=county_zh, name_en=county_en, name_ug=county_ug))
    for row in rows:
        row.update(phone_110="110", sms_suffix="", is_command_center=row["level"] != "county")
    connection.execute(insert(Unit), rows)
    return dict(connection.execute(select(Unit.code, Unit.id)).all())


def categories(connection) -> list[int]:
    """The default categories (the migration adds them), or ten of our own."""
    ids = list(connection.execute(select(TipCategory.id)).scalars())
    if not ids:
        connection.execute(insert(TipCategory), [{"slug": f"bench-{i}", "position": i, "names": {"en": f"Category {i}"}}
                                                 for i in range(10)])
        ids = list(connection.execute(select(TipCategory.id)).scalars())
    return ids


def add_handlers(connection, unit_ids: dict[str, int]) -> dict[int, list[int]]:
    """Two handlers per unit (core rows; nobody signs in as them): unit id -> officer ids."""
    rows = [{"username": f"bench-handler-{code}-{n}", "display_name": f"办案民警{code[-2:]}{n}", "password_hash": "-",
             "unit_id": unit_id, "active": True} for code, unit_id in unit_ids.items() for n in range(2)]
    connection.execute(insert(Officer), rows)
    found: dict[int, list[int]] = {}
    for officer_id, unit_id in connection.execute(select(Officer.id, Officer.unit_id)):
        found.setdefault(unit_id, []).append(officer_id)
    return found


def state_for(rng, age: timedelta) -> str:
    if age > timedelta(days=30):  # old tips are settled; a few long cases are still worked on
        roll = rng.random()
        return "in_progress" if roll < 0.02 else "assigned" if roll < 0.025 else "closed"
    return rng.choices([s for s, _ in RECENT_STATES], weights=[w for _, w in RECENT_STATES])[0]


def fill_tips(engine, count: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    now = utcnow()
    span = timedelta(days=365 * YEARS)
    with engine.begin() as connection:
        unit_ids = add_units(connection)
        levels = dict(connection.execute(select(Unit.id, Unit.level)).all())
        units = list(unit_ids.values())
        weights = [UNIT_WEIGHTS[levels[u]] for u in units]
        category_ids = categories(connection)
        handlers = add_handlers(connection, unit_ids)
        made = 0
        while made < count:
            rows = []
            for i in range(made, min(made + BATCH, count)):
                # Oldest first, so ids grow with time as they do in production.
                created = now - span * (1 - (i + rng.random()) / count)
                age = now - created
                state = state_for(rng, age)
                unit = rng.choices(units, weights)[0]
                rows.append({
                    "id": i + 1, "category_id": rng.choice(category_ids), "unit_id": unit, "suggested_unit_id": unit,
                    "state": state, "outcome": rng.choice(OUTCOMES) if state == "closed" else None,
                    "description": "".join(rng.choices(WORDS, k=rng.randint(8, 40))),
                    "place": "", "danger": rng.random() < 0.03, "flagged": rng.random() < 0.02,
                    "assigned_to_id": rng.choice(handlers[unit]) if state in ("assigned", "in_progress") else None,
                    "reason": "", "created_at": created, "updated_at": created,
                    "triaged_at": created + timedelta(hours=2) if state != "received" else None,
                    "closed_at": created + timedelta(days=3) if state == "closed" else None, "version": 1,
                })
            connection.execute(insert(Tip), rows)
            made += len(rows)
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT setval('tips_id_seq', (SELECT max(id) FROM tips))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # The planner statistics autovacuum would gather (and the visibility map for index-only scans).
        connection.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))


def moderators(session_factory) -> dict[str, tuple[str, object]]:
    """A moderator signed in at each scope: name -> (username, a stand-in officer for the services)."""
    from portal.accounts import services as officers

    found = {}
    with session_factory() as dbsession:
        for name, code in SCOPES:
            officer = dbsession.execute(select(Officer).where(Officer.username == f"bench-{name}")).scalar_one_or_none()
            if officer is None:  # a reused database has them from its first run
                unit = dbsession.execute(select(Unit).where(Unit.code == code)).scalar_one()
                officer = officers.create(dbsession, username=f"bench-{name}", password=PASSWORD, unit=unit,
                                          roles=["moderator"])
            found[name] = (officer.username, officer.id, code)
        dbsession.commit()
    return found


def timed(repeat: int, run) -> list[float]:
    times = []
    for attempt in range(repeat + 1):
        began = time.perf_counter()
        run()
        if attempt:  # the first run warms the caches
            times.append((time.perf_counter() - began) * 1000)
    return times


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def officer_in(dbsession, officer_id):
    """The officer as the services read it (id and unit), loaded in this session."""
    officer = dbsession.get(Officer, officer_id)
    return SimpleNamespace(id=officer.id, unit=officer.unit)


def tenth_cursor(session_factory, officer_id, filters):
    with session_factory() as dbsession:
        officer, cursor = officer_in(dbsession, officer_id), None
        for _ in range(9):
            _rows, cursor = tip_queue.page(dbsession, officer, filters, cursor=cursor)
        return cursor


def rows_of(session_factory, officer_id, filters, cursor):
    """One page's rows, in a fresh session, as the view reads them."""
    def run():
        with session_factory() as dbsession:
            found, _next = tip_queue.page(dbsession, officer_in(dbsession, officer_id), filters, cursor=cursor)
            assert found
            dbsession.rollback()
    return run


def counts_of(session_factory, officer_id, filters):
    def run():
        with session_factory() as dbsession:
            tip_queue.counts(dbsession, officer_in(dbsession, officer_id), filters)
            dbsession.rollback()
    return run


def whole_page(app, query, cursor):
    params = dict(query, page=cursor) if cursor else query

    def run():
        assert app.get("/staff/tips", params=params).status_int == 200
    return run


FILTERS = (("all states", tip_queue.QueueFilters(), {}),
           ("state = received", tip_queue.QueueFilters(state="received"), {"state": "received"}))


def measure(url: str, repeat: int, workdir: str) -> list[tuple]:
    import webtest

    import portal

    engine = get_engine({"sqlalchemy.url": url})
    # Creating the moderators writes audit events, sealed with the bench's audit key.
    session_factory = get_session_factory(engine, {"portal.audit_key": "b1:bench-audit-key-0123456789abcdef0123456789"})
    people = moderators(session_factory)
    settings = {
        "sqlalchemy.url": url, "pyramid.reload_templates": "false", "portal.session_secure": "false",
        "portal.session_secret": "bench-session-secret-0123456789abcdef0123",
        "portal.field_keys": "b1:YmVuY2gtZmllbGQta2V5LTMyLWJ5dGVzLTAwMDAwMDA", "portal.field_key_id": "b1",
        "portal.receipt_pepper": "bench-receipt-pepper-0123456789",
        "portal.audit_key": "b1:bench-audit-key-0123456789abcdef0123456789", "portal.media_dir": f"{workdir}/media",
    }
    app = webtest.TestApp(portal.main({}, **settings), extra_environ={"HTTP_HOST": "localhost",
                                                                      "HTTP_ACCEPT_LANGUAGE": "zh-CN"})
    results = []
    for scope, (username, officer_id, _code) in people.items():
        app.reset()
        form = app.get("/login").forms[0]
        form["username"], form["password"] = username, PASSWORD
        assert form.submit("submit").status_int == 303
        for label, filters, query in FILTERS:
            tenth = tenth_cursor(session_factory, officer_id, filters)
            for page_name, cursor in (("first page", None), ("tenth page", tenth)):
                results.append((scope, label, page_name, "rows",
                                timed(repeat, rows_of(session_factory, officer_id, filters, cursor))))
                results.append((scope, label, page_name, "whole page", timed(repeat, whole_page(app, query, cursor))))
            results.append((scope, label, "-", "counts",
                            timed(repeat, counts_of(session_factory, officer_id, filters))))
    engine.dispose()
    return results


def describe(url: str) -> str:
    engine = get_engine({"sqlalchemy.url": url})
    with engine.connect() as connection:
        total = connection.execute(select(func.count(Tip.id))).scalar_one()
        states = dict(connection.execute(select(Tip.state, func.count()).group_by(Tip.state)).all())
    engine.dispose()
    return f"{total:,} tips: " + ", ".join(f"{state} {n:,}" for state, n in sorted(states.items()))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tips", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--database-url", help="reuse a database filled by an earlier run")
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument("--merge-limit", type=int, help="services.tip_queue.MERGE_LIMIT (0: always one query)")
    args = parser.parse_args(argv)
    if args.merge_limit is not None:
        tip_queue.MERGE_LIMIT = args.merge_limit

    workdir = tempfile.mkdtemp(prefix="portal-tips-")
    if args.database_url:
        url = args.database_url
    else:
        url = fresh_database(args.db, args.pg_url, workdir)
        engine = get_engine({"sqlalchemy.url": url})
        began = time.perf_counter()
        migrate(engine)
        fill_tips(engine, args.tips)
        engine.dispose()
        print(f"filled {args.tips:,} tips into {url} in {time.perf_counter() - began:.1f} s")
    print(describe(url))
    results = measure(url, args.repeat, workdir)
    print(f"\n{'scope':<9} {'filter':<17} {'page':<11} {'what':<11} {'p50 ms':>8} {'p95 ms':>8}")
    for scope, label, page_name, what, times in results:
        print(f"{scope:<9} {label:<17} {page_name:<11} {what:<11} {statistics.median(times):8.1f} "
              f"{percentile(times, 0.95):8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
