"""CPU time the app spends on one request, measured in-process: what an app server pays per cache miss.

    python bench/render_cpu.py                       # SQLite, the demo seed
    python bench/render_cpu.py --notices 10000       # SQLite, N generated notices (fill.py) instead
    python bench/render_cpu.py --database-url URL    # PostgreSQL (or any URL); emptied and migrated first
    python bench/render_cpu.py --profile /notices/1  # cProfile one path instead (top functions)
    python bench/render_cpu.py --profile /notices/1 --profile-out FILE   # and keep the pstats

Builds the portal (`portal.main`, as a server would: no cache of its own) on a fresh database, warms each
path up, then calls it through WebTest in rounds of --requests and takes `time.process_time()` per round.
Prints the median CPU per request, its ratio to /healthz measured in the same run, and the SQL statements
one request sends (an event listener on the engine)."""
import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import webtest  # noqa: E402
from fill import fill, migrate  # noqa: E402
from sqlalchemy import create_engine, event, select, text  # noqa: E402

import portal  # noqa: E402
from portal.core.db import get_engine  # noqa: E402


def settings_for(url: str, workdir: str) -> dict:
    return {
        "sqlalchemy.url": url, "pyramid.reload_templates": "false",
        "portal.session_secret": "bench-session-secret-0123456789abcdef0123",
        "portal.field_keys": "b1:YmVuY2gtZmllbGQta2V5LTMyLWJ5dGVzLTAwMDAwMDA", "portal.field_key_id": "b1",
        "portal.receipt_pepper": "bench-receipt-pepper-0123456789",
        "portal.audit_key": "b1:bench-audit-key-0123456789abcdef0123456789", "portal.media_dir": f"{workdir}/media",
        "portal.public_url": "http://portal.test", "portal.worker.silence_limit_seconds": "0",
    }


def empty_postgres(url: str) -> None:
    """Drop every table of the given database's public schema (the caller's own bench database)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def seed_demo(settings: dict) -> None:
    from portal.media.backends import make_media_store
    from portal.privacy.crypto import FieldCipher
    from portal.privacy.receipts import ReceiptHasher
    from portal.scripts.common import db_session
    from portal.scripts.seed_demo import seed

    with db_session(settings) as dbsession:
        seed(dbsession, make_media_store(settings),
             FieldCipher.from_setting(settings["portal.field_keys"], settings["portal.field_key_id"]),
             ReceiptHasher(settings["portal.receipt_pepper"].encode("utf-8")))


def prepare(args, workdir: str) -> dict:
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite"
    if url.startswith("postgresql"):
        empty_postgres(url)
    settings = settings_for(url, workdir)
    engine = get_engine({"sqlalchemy.url": url})
    migrate(engine)
    if args.notices:
        fill(engine, args.notices)
    engine.dispose()
    if not args.notices:
        seed_demo(settings)
    return settings


def missing_person_id(engine) -> int:
    from portal.notices.models import MissingPersonDetails, Notice

    with engine.connect() as connection:
        return connection.execute(
            select(Notice.id).join(MissingPersonDetails, MissingPersonDetails.notice_id == Notice.id)
            .where(Notice.state == "published").order_by(Notice.id).limit(1)).scalar_one()


def demo_for_two_trees(database_url: str | None, prefix: str) -> tuple[str, str, int]:
    """render_ab.py's and render_instructions.py's database: migrated by this tree and seeded with the
    demo once, for both trees (they must share the schema). Returns its URL, the work directory and
    the first published missing person's id."""
    class Options:
        notices = 0

    options = Options()
    options.database_url = database_url
    workdir = tempfile.mkdtemp(prefix=prefix)
    url = prepare(options, workdir)["sqlalchemy.url"]
    engine = create_engine(url)
    notice_id = missing_person_id(engine)
    engine.dispose()
    return url, workdir, notice_id


def count_statements(*engines):
    counter = {"n": 0}

    def _count(*_args, **_kwargs):
        counter["n"] += 1
    for engine in engines:
        event.listen(engine, "before_cursor_execute", _count)
    return counter


def measure(testapp, path: str, rounds: int, requests: int, counter) -> tuple[float, int]:
    for _ in range(max(20, requests // 5)):  # warm-up: templates compiled, caches of the ORM filled
        testapp.get(path)
    before = counter["n"]
    testapp.get(path)
    statements = counter["n"] - before
    per_request = []
    for _ in range(rounds):
        began = time.process_time()
        for _ in range(requests):
            testapp.get(path)
        per_request.append((time.process_time() - began) / requests)
    return statistics.median(per_request), statements


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=0, help="N generated notices instead of the demo seed")
    parser.add_argument("--database-url", help="a PostgreSQL database of your own (emptied, migrated)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--lang", default="zh_CN", help="the reader's language (zh_CN is the default)")
    parser.add_argument("--profile", metavar="PATH", help="profile PATH with cProfile instead of measuring")
    parser.add_argument("--profile-out", metavar="FILE", help="with --profile: also write the pstats to FILE")
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="portal-render-cpu-")
    settings = prepare(args, workdir)
    app = portal.main({}, **settings)
    engine = get_engine({"sqlalchemy.url": settings["sqlalchemy.url"]})
    notice_id = missing_person_id(engine)
    engine.dispose()
    # Both engines: a tree with the public pages' read-only one (core/read_only.py) reads them there.
    counter = count_statements(*(e for e in (app.registry.get("db_engine"), app.registry.get("db_read_engine")) if e))
    testapp = webtest.TestApp(app, extra_environ={"HTTP_HOST": "portal.test", "REMOTE_ADDR": "192.0.2.10",
                                                  "HTTP_ACCEPT_LANGUAGE": args.lang})

    if args.profile:
        path = args.profile.replace("{id}", str(notice_id))
        for _ in range(50):
            testapp.get(path)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            testapp.get(path)
        profiler.disable()
        stats = pstats.Stats(profiler)
        if args.profile_out:
            stats.dump_stats(args.profile_out)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        return 0

    paths = [("/healthz", "/healthz"), ("missing-person notice", f"/notices/{notice_id}"),
             ("/notices (list)", "/notices"), ("API detail", f"/api/v1/notices/{notice_id}"),
             ("/healthz again", "/healthz")]
    results = [(name, path, *measure(testapp, path, args.rounds, args.requests, counter)) for name, path in paths]
    healthz = (results[0][2] + results[-1][2]) / 2
    database = settings["sqlalchemy.url"].split(":", 1)[0].split("+", 1)[0]
    data = f"{args.notices:,} generated notices" if args.notices else "demo seed"
    print(f"\n{database}, {data}, lang {args.lang}, median of {args.rounds} rounds x {args.requests} requests, "
          f"CPU per request (time.process_time)")
    print(f"{'page':<24}{'path':<22}{'CPU ms':>8}{'x healthz':>11}{'SQL':>5}")
    for name, path, cpu, statements in results:
        print(f"{name:<24}{path:<22}{cpu * 1000:>8.2f}{cpu / healthz:>11.1f}{statements:>5}")
    drift = abs(results[0][2] - results[-1][2]) / healthz
    if drift > 0.15:
        print(f"/healthz moved by {drift:.0%} during the run: the machine's load changed; repeat it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
