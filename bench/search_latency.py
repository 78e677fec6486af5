"""Latency of the public free-text search ("Words" on the notice list) on a large database.

    python bench/search_latency.py [--notices 100000] [--db sqlite|postgresql] [--repeat 7]

Fills a fresh database like notices_throughput.py (or reuses one with --database-url), then times
the search in this process exactly as the list page runs it: services.notices.published_page with
filters {"q": ...}, first page, photos and units loaded. Each query runs once to warm the caches and
then --repeat times; prints the median and 95th percentile per category and overall."""
import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from fill import DEFAULT_PG, fill, fresh_database, migrate  # noqa: E402

from portal.core.db import get_engine, get_session_factory  # noqa: E402
from portal.notices import reading as notices  # noqa: E402
from portal.notices import search  # noqa: E402

# What people type, by category, drawn from the vocabulary of fill.py (which words are common there).
QUERIES = {
    "given names (2 chars)": ["秀英", "建国", "子涵", "浩然", "若曦", "沐阳"],
    "surname + given (2-3 chars)": ["王伟", "李娜", "张敏", "陈俊杰", "欧阳", "诸葛"],
    "places": ["火车站", "人民公园", "河口区", "湿地公园", "桃园巷", "客运码头"],
    "frequent words": ["羽绒服", "走失", "线索", "110", "发布单位", "身份证"],
    "rare words": ["蝴蝶纹身", "助听器", "口琴", "龙形刺青", "编号43209", "示G123"],
    "absent words": ["潜水艇", "长颈鹿", "飞碟", "量子计算", "zzz", "2019年"],
    "one character": ["王", "鑫", "龙", "雨"],
}


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def time_query(session_factory, q: str, repeat: int) -> tuple[list[float], int, bool]:
    """Milliseconds of each run, rows on the first page, and whether there is a next page."""
    times = []
    for run in range(repeat + 1):
        with session_factory() as dbsession:
            began = time.perf_counter()
            rows, next_cursor = notices.published_page(dbsession, filters={"q": q}, size=20)
            elapsed = (time.perf_counter() - began) * 1000
            dbsession.rollback()
        if run:  # the first run warms the caches
            times.append(elapsed)
    return times, len(rows), next_cursor is not None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--database-url", help="reuse an already filled database instead of filling one")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--like-only", action="store_true", help="without the search index, as before it existed")
    args = parser.parse_args(argv)
    if args.like_only:
        search.candidates = lambda *_args, **_kw: None

    if args.database_url:
        url = args.database_url
    else:
        url = fresh_database(args.db, args.pg_url, tempfile.mkdtemp(prefix="portal-search-"))
        engine = get_engine({"sqlalchemy.url": url})
        began = time.perf_counter()
        migrate(engine)
        fill(engine, args.notices)
        engine.dispose()
        print(f"filled {args.notices:,} notices into {url} in {time.perf_counter() - began:.1f} s")
    engine = get_engine({"sqlalchemy.url": url})
    session_factory = get_session_factory(engine)

    everything = []
    how = "LIKE alone (no search index)" if args.like_only else "search index, then LIKE"
    print(f"\n{engine.dialect.name}, search as the list page runs it ({how}), {args.repeat} timed runs per query")
    print(f"{'query':<14}{'page':>6}{'p50 ms':>9}{'max ms':>9}")
    summary = []
    for category, queries in QUERIES.items():
        mine = []
        print(f"-- {category}")
        for q in queries:
            times, count, more = time_query(session_factory, q, args.repeat)
            mine += times
            page = f"{count}{'+' if more else ''}"
            # Pad by display width: CJK characters take two columns.
            pad = 14 - sum(2 if ord(c) > 0x2E80 else 1 for c in q)
            print(f"{q}{' ' * max(pad, 1)}{page:>6}{statistics.median(times):>9.1f}{max(times):>9.1f}")
        everything += mine
        summary.append((category, statistics.median(mine), percentile(mine, 0.95)))
    engine.dispose()

    print(f"\n{'category':<30}{'p50 ms':>9}{'p95 ms':>9}")
    for category, p50, p95 in summary:
        print(f"{category:<30}{p50:>9.1f}{p95:>9.1f}")
    print(f"{'overall':<30}{statistics.median(everything):>9.1f}{percentile(everything, 0.95):>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
