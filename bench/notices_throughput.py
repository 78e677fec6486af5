"""Throughput of the public notice pages against a bare "hello" page on the same server stack.

    python bench/notices_throughput.py [--notices 100000] [--db sqlite|postgresql] [--seconds 8]

Fills a fresh database, starts the portal (one waitress process, as `make serve`: no caching proxy, no
cache of its own, every answer rendered) and a bare Pyramid "hello" app under identical waitress
settings (separate processes), drives each with the same keep-alive load generator (another process),
and prints requests per second, latency and the ratio to "hello"."""
import argparse
import json
import multiprocessing
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from fill import DEFAULT_PG, fill, fresh_database, migrate  # noqa: E402
from load import run_in_process  # noqa: E402

from portal.core.db import get_engine  # noqa: E402

STEADY = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(kind: str, port: int, settings: dict) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, os.path.join(HERE, "serve.py"), kind, str(port), json.dumps(settings)])
    deadline = time.time() + 30
    path = "/hello" if kind == "hello" else "/healthz"
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{kind} server did not start")


def measure(port, paths, seconds, concurrency, warmup=1.0):
    queue = multiprocessing.Queue()
    client = multiprocessing.Process(target=run_in_process, args=(queue, port, paths, seconds, concurrency, warmup))
    client.start()
    result = queue.get()
    client.join()
    return result


def deep_page(port: int, hops: int) -> str:
    """Follow the "older notices" link a few times to reach a keyset page deep in the list."""
    path = "/notices"
    for _ in range(hops):
        html = urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").read().decode()
        path = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    return path


def deep_api_page(port: int, hops: int) -> str:
    """The same through the API's next_url."""
    path = "/api/v1/notices"
    for _ in range(hops):
        body = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").read())
        path = urllib.parse.urlsplit(body["next_url"])
        path = f"{path.path}?{path.query}"
    return path


def popular_spread(rng, notices: int, count: int) -> list[int]:
    """Notice ids as the public opens them: Zipf's law (s = 1) over recency, the newest notice (id 1
    in fill.py) most often. Drawn as rank = notices ** u for uniform u: the top 100 of 100,000 get
    about 40 % of the views, the top 1,000 about 60 %, and 40 % go to the long tail of older notices,
    mostly to a notice nobody else opened in the last minute."""
    return [min(notices, int(notices ** rng.random())) for _ in range(count)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", help="reuse a database filled by an earlier run")
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="portal-bench-")
    if args.database_url:
        url = args.database_url
    else:
        url = fresh_database(args.db, args.pg_url, workdir)
        engine = get_engine({"sqlalchemy.url": url})
        began = time.perf_counter()
        migrate(engine)
        fill(engine, args.notices)
        engine.dispose()
        print(f"filled {args.notices:,} notices into {args.db} in {time.perf_counter() - began:.1f} s")

    settings = {
        "sqlalchemy.url": url, "pyramid.reload_templates": "false",
        "portal.session_secret": "bench-session-secret-0123456789abcdef0123",
        "portal.field_keys": "b1:YmVuY2gtZmllbGQta2V5LTMyLWJ5dGVzLTAwMDAwMDA", "portal.field_key_id": "b1",
        "portal.receipt_pepper": "bench-receipt-pepper-0123456789",
        "portal.audit_key": "b1:bench-audit-key-0123456789abcdef0123456789", "portal.media_dir": f"{workdir}/media",
    }
    hello_port, portal_port = free_port(), free_port()
    servers = [start("hello", hello_port, {}), start("portal", portal_port, settings)]
    try:
        rng = random.Random(1)
        # Enough draws that no client cycles back to the start: each request is a fresh draw.
        spread = popular_spread(rng, args.notices, 200_000)
        uniform = [rng.randint(1, args.notices) for _ in range(200_000)]
        # Spread cases first run STEADY seconds unmeasured: the database's and the system's caches hold
        # what they would after a while of such traffic, not the cold start.
        cases = [
            ("hello (bare Pyramid)", hello_port, ["/hello"], 1),
            ("/notices first page", portal_port, ["/notices"], 1),
            ("/notices 25 pages deep", portal_port, [deep_page(portal_port, 25)], 1),
            ("/notices/{id} one shared", portal_port, ["/notices/1"], 1),
            ("/notices/{id} Zipf spread", portal_port, [f"/notices/{i}" for i in spread], STEADY),
            ("/notices/{id} uniform", portal_port, [f"/notices/{i}" for i in uniform], 1),
            ("/api/v1/notices first page", portal_port, ["/api/v1/notices"], 1),
            ("/api/v1/notices 25 deep", portal_port, [deep_api_page(portal_port, 25)], 1),
            ("/api/v1/notices/{id} Zipf", portal_port, [f"/api/v1/notices/{i}" for i in reversed(spread)], STEADY),
            # Again at the end: the ratios are to the mean of both, so a load that drifts during the run
            # (other work on the machine) shows instead of skewing them.
            ("hello again", hello_port, ["/hello"], 1),
        ]
        results = [(name, measure(port, paths, args.seconds, args.concurrency, warmup))
                   for name, port, paths, warmup in cases]
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)

    hello_rps = (results[0][1]["rps"] + results[-1][1]["rps"]) / 2
    database = url.split(":", 1)[0].split("+", 1)[0]  # what was measured, also when --database-url chose it
    print(f"\n{database}, {args.notices:,} notices, every answer rendered, {args.concurrency} client "
          f"threads, {args.seconds:.0f} s each, {os.cpu_count()} CPUs shared by client and servers")
    print(f"{'route':<30}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'vs hello':>10}{'errors':>8}")
    for name, r in results:
        ratio = r["rps"] / hello_rps
        print(f"{name:<30}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}{ratio:>10.0%}{r['errors']:>8}")
    drift = abs(results[0][1]["rps"] - results[-1][1]["rps"]) / hello_rps
    if drift > 0.15:
        print(f"hello moved by {drift:.0%} during the run: the machine's load changed; repeat it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
