"""Time from a closure's commit to the caching proxy no longer serving the closed appeal.

Starts the portal (waitress, 4 threads, a SQLite file) with a real Varnish in front of it
(deploy/varnish/safety-portal.vcl; tests/proxy_stack.py), publishes N missing-person appeals with a
photo each, and for each one in turn: puts its page, its photo and the Atom feed into the proxy (a
second GET is a hit), closes it as a dispatcher through the proxy (the staff form's POST), then polls
through the proxy every 5 ms until the page no longer shows the person, the photo answers 404 and the
feed lost the entry. The time counts from the closure's `resolved_at` (stamped in the closing
transaction, just before its commit) to the first poll that saw all three gone. Needs Debian's
varnish and varnish-modules; ports from PORTAL_TEST_PORTS.

    .venv/bin/python bench/proxy_purge.py --closures 50
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

import requests  # noqa: E402

from tests.proxy_stack import close_appeal, proxy_stack, signed_in  # noqa: E402
from tests.varnish import missing_reason  # noqa: E402


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def warm(url, headers=None):
    requests.get(url, headers=headers, timeout=10)
    second = requests.get(url, headers=headers, timeout=10)
    assert second.headers.get("X-Cache") == "hit", (url, second.headers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--closures", type=int, default=50)
    args = parser.parse_args()
    reason = missing_reason()
    if reason:
        print(f"skipped: {reason}")
        return 1
    english = {"Accept-Language": "en"}
    with tempfile.TemporaryDirectory() as base, proxy_stack(Path(base)) as stack:
        appeals = stack.appeals(args.closures)
        officer = signed_in(stack)
        seen, posts = [], []
        for request_id, notice_id, photo_id, name, title in appeals:
            page, photo = f"{stack.url}/notices/{notice_id}", f"{stack.url}/media/{photo_id}/public"
            feed = f"{stack.url}/feeds/notices.atom"
            for url in (page, photo, feed):
                warm(url, english)
            started = time.time()
            close_appeal(stack, officer, request_id)
            posts.append(time.time() - started)
            while True:
                now = time.time()
                gone = (name not in requests.get(page, headers=english, timeout=10).text
                        and requests.get(photo, timeout=10).status_code == 404
                        and f"<title>{title}</title>" not in requests.get(feed, headers=english, timeout=10).text)
                if gone:
                    break
                if now - started > 30:
                    raise SystemExit(f"notice {notice_id} still served 30 s after its closure")
                time.sleep(0.005)
            seen.append(now - stack.resolved_at(notice_id))
    ms = [s * 1000 for s in seen]
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"{len(ms)} closures: commit -> gone from the proxy (page, photo, feed entry): "
          f"p50 {statistics.median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, max {max(ms):.1f} ms")
    print(f"the closing POST through the proxy (commit and purge included): p50 "
          f"{statistics.median(posts) * 1000:.1f} ms, p95 {percentile(posts, 0.95) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
