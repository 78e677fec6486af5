"""Time from a publication's, then a closure's, commit to the caching proxy serving the change, with the
stack as deployed with several servers (tests/stack.py, the harness of tests/functional/test_many_servers.py):
Varnish with deploy/varnish/safety-portal.vcl in front of two app server processes (waitress) on one
PostgreSQL database, a shared redis-server, the media in a SeaweedFS bucket and the worker's job loop.

For each of N missing-person appeals (verified, with a photo): the list and the Atom feed are put into
the proxy, a dispatcher publishes it through the proxy (the staff form's POST), then the proxy is
polled every 5 ms until its page shows the person, the list links it and the feed has its entry
(publish -> visible, from `published_at`); then its page, photo and the feed are put into the proxy, the
dispatcher closes it, and the proxy is polled until the page no longer shows the person, the photo is
404 and the feed lost the entry (close -> gone, from `resolved_at`). Both stamps are taken in the
changing transaction, just before its commit.

Needs PostgreSQL (PORTAL_TEST_DATABASE_URL; the run uses its own database `<that>_bench_many`, dropped
afterwards), redis-server, Debian's varnish and varnish-modules, and the `weed` binary of the test extra.
Ports from PORTAL_TEST_PORTS.

    .venv/bin/python bench/many_servers.py --runs 20
"""
import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from tests.conftest import own_postgres_database  # noqa: E402
from tests.proxy_stack import close_appeal, signed_in  # noqa: E402
from tests.seaweed import missing_reason as seaweed_missing  # noqa: E402
from tests.seaweed import running_seaweed  # noqa: E402
from tests.stack import (  # noqa: E402
    appeal_gone,
    appeal_shown,
    cached,
    main_photo,
    many_servers,
    publish_appeal,
)
from tests.varnish import missing_reason as varnish_missing  # noqa: E402


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def poll(check, limit: float = 30.0) -> float:
    """time.time() of the first poll that saw `check()` true."""
    started = time.time()
    while True:
        now = time.time()
        if check():
            return now
        if now - started > limit:
            raise SystemExit(f"not within {limit} s")
        time.sleep(0.005)


def one_run(stack, officer) -> tuple[float, float]:
    request_id, notice_id, name, title = stack.verifying_appeal()
    for path in ("/notices", "/feeds/notices.atom"):
        cached(f"{stack.url}{path}")
    publish_appeal(stack, officer, request_id)
    visible = poll(lambda: appeal_shown(stack, notice_id, name, title)) - stack.published_at(notice_id)
    photo_id = main_photo(stack, notice_id)
    for path in (f"/notices/{notice_id}", f"/media/{photo_id}/public", "/feeds/notices.atom"):
        cached(f"{stack.url}{path}")
    close_appeal(stack, officer, request_id)
    gone = poll(lambda: appeal_gone(stack, notice_id, photo_id, name, title)) - stack.resolved_at(notice_id)
    return visible, gone


def describe(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"{label}: p50 {statistics.median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, "
            f"max {max(ms):.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    reason = varnish_missing() or seaweed_missing()
    if reason:
        print(f"skipped: {reason}")
        return 1
    with tempfile.TemporaryDirectory() as base, own_postgres_database("bench_many") as url, \
            running_seaweed(Path(base) / "seaweed") as seaweed, \
            many_servers(Path(base) / "stack", url, seaweed) as stack:
        officer = signed_in(stack)
        runs = [one_run(stack, officer) for _ in range(args.runs)]
        worker_rounds = stack.worker.rounds
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {args.runs} appeals, the worker ran {worker_rounds} rounds")
    print(describe("publish -> visible through the proxy (page, list, feed)", [v for v, _ in runs]))
    print(describe("close -> gone from the proxy (page, photo, feed entry)", [g for _, g in runs]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
