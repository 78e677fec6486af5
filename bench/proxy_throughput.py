"""Notice pages and API answers per second through the caching proxy, as deployed, against the same
proxy serving a static file of the same size (issue 14, "Measures").

    python bench/proxy_throughput.py [--notices 100000] [--database-url URL] [--seconds 15]

Fills PostgreSQL (the database `bench_proxy`, dropped and created again; or reuses a filled one with
`--database-url`) with published notices (bench/fill.py), starts two app servers (bench/serve.py:
waitress, 8 threads, as production.ini) and varnishd with deploy/varnish/safety-portal.vcl in front of
them (malloc storage sized to hold every page and API answer), and drives it with wrk (another
process) and bench/proxy_load.lua: notice ids by Zipf's law over recency or uniformly, for
`/notices/{id}` and `/api/v1/notices/{id}`. "cold" starts each case on a freshly started, empty proxy;
"warm" runs after every notice's page and API answer were fetched once through the proxy (the state a
proxy reaches after a while, since s-maxage is a day and only changes purge); with `--warm-with-portal`
that state is reached with portal-warm-proxy's warmer instead (every open notice's page and API answer
in each language the proxy keys on, plus the lists and feeds, `--warm-concurrency` at once), timed,
and the warm cases are measured on what it filled. The reference is
STATIC_PATH, a file of the median notice page's size served by the same app servers with a public
Cache-Control (bench/serve.py), which the bench's copy of the VCL caches like a public page (the one
change to the VCL): measured first and last, the ratios are to the mean of both. Every request asks
for Chinese with the same Accept-Language header, but for the last notice cases: "browsers", whose
headers are drawn from what browsers set to Chinese send, and "visitors' mix", in all three languages
with no header, a foreign one or the lang cookie for some (bench/proxy_load.lua). Ports from
PORTAL_TEST_PORTS."""
import argparse
import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from fill import fill, fresh_database, migrate  # noqa: E402
from proxy_warming import visitors_while_warming, warm_with_portal  # noqa: E402
from serve import STATIC_PATH  # noqa: E402

import tests.varnish  # noqa: E402
from tests.coturn import reserve_ports  # noqa: E402
from tests.varnish import missing_reason, site_vcl, varnishd  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_proxy"
LUA = HERE / "proxy_load.lua"
ACCEPT_LANGUAGE = "zh-CN,zh;q=0.9"  # as proxy_load.lua sends
PUBLIC_PATHS = 'if (req.url ~ "^/(\\?[^/]*)?$"'
COUNTERS = ("MAIN.cache_hit", "MAIN.cache_miss", "MAIN.cache_hitpass", "MAIN.cache_hitmiss", "MAIN.backend_req",
            "MAIN.n_lru_nuked", "MAIN.n_object")


def healthy(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


def wait_for(url: str, process: subprocess.Popen, what: str, limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    while not healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start")
        time.sleep(0.2)


def bench_vcl(directory: Path, app_ports) -> Path:
    """deploy/varnish's VCL with this run's backends, and STATIC_PATH cached like the public answers."""
    path = site_vcl(directory, app_ports)
    text = path.read_text()
    assert PUBLIC_PATHS in text, "the VCL's list of public paths moved: update this bench"
    path.write_text(text.replace(PUBLIC_PATHS, f'if (req.url == "{STATIC_PATH}" || req.url ~ "^/(\\?[^/]*)?$"', 1))
    return path


class Proxy:
    """varnishd in the foreground of a process of its own; `restart()` empties its cache."""

    def __init__(self, directory: Path, app_ports, port: int, storage_mb: int):
        self.directory, self.port, self.storage_mb = directory, port, storage_mb
        self.vcl = bench_vcl(directory, app_ports)
        self.process = None

    def start(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="varnish-", dir=self.directory))
        self.work.chmod(0o755)
        self.log = open(self.work / "varnishd.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [varnishd(), "-F", "-n", str(self.work / "n"), "-a", f"127.0.0.1:{self.port}", "-f", str(self.vcl),
             "-s", f"malloc,{self.storage_mb}m", "-T", "none"], stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(f"{self.url}/healthz", self.process, "varnishd", 60)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(20)
            self.log.close()
            shutil.rmtree(self.work, ignore_errors=True)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def counters(self) -> dict:
        out = subprocess.run(["varnishstat", "-n", str(self.work / "n"), "-1", "-j"], capture_output=True,
                             text=True, check=True).stdout
        data = json.loads(out)
        data = data.get("counters", data)  # varnish 7 nests them, 6 does not
        return {name: data[name]["value"] for name in COUNTERS if name in data}


def wrk(url: str, mode: str, notices: int, prefix: str, seconds: float, threads: int, connections: int,
        mix: str = "") -> dict:
    """`mix`: "" (one Accept-Language), "browsers" or "visitors" (bench/proxy_load.lua's header mixes)."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:.0f}s", "--timeout", "10s",
               "-s", str(LUA), url, "--", mode, str(notices), prefix] + ([mix] if mix else [])
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    return result


def measured(proxy: Proxy, mode: str, notices: int, prefix: str, args, mix: str = "") -> dict:
    before = proxy.counters()
    result = wrk(proxy.url, mode, notices, prefix, args.seconds, args.threads, args.connections, mix)
    after = proxy.counters()
    delta = {name: after.get(name, 0) - before.get(name, 0) for name in COUNTERS}
    lookups = delta["MAIN.cache_hit"] + delta["MAIN.cache_miss"]
    result["hit"] = delta["MAIN.cache_hit"] / lookups if lookups else float("nan")
    result["to_app"] = delta["MAIN.backend_req"] / result["requests"] if result["requests"] else float("nan")
    result["nuked"] = delta["MAIN.n_lru_nuked"]
    result["objects"] = after.get("MAIN.n_object", 0)
    return result


def fill_proxy(proxy: Proxy, notices: int, connections: int) -> float:
    """Every notice's page and API answer through the proxy once (keep-alive clients in threads of
    this process; wrk cannot stop after a count); seconds it took."""
    paths = [f"{prefix}{i}" for prefix in ("/notices/", "/api/v1/notices/") for i in range(1, notices + 1)]
    failures = []

    def client(offset):
        connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=60)
        for path in paths[offset::connections]:
            connection.request("GET", path, headers={"Accept-Language": ACCEPT_LANGUAGE})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append((path, response.status))
        connection.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} answers were not 200 while filling the proxy: {failures[:5]}")
    return time.perf_counter() - began


def median_size(base: str, notices: int, prefix: str, sample: int = 201) -> int:
    """The median size in bytes of `sample` answers spread evenly over the ids."""
    sizes = []
    for i in range(sample):
        notice_id = 1 + i * (notices - 1) // max(1, sample - 1)
        request = urllib.request.Request(f"{base}{prefix}{notice_id}", headers={"Accept-Language": ACCEPT_LANGUAGE})
        sizes.append(len(urllib.request.urlopen(request, timeout=30).read()))
    return int(statistics.median(sizes))


def settings_for(url: str, workdir: Path, proxy_port: int) -> dict:
    return {
        "sqlalchemy.url": url, "sqlalchemy.pool_size": "10", "pyramid.reload_templates": "false",
        "pyramid.default_locale_name": "zh_CN", "portal.public_url": "https://safety.example.test",
        "portal.session_secret": "bench-session-secret-0123456789abcdef0123",
        "portal.field_keys": "b1:YmVuY2gtZmllbGQta2V5LTMyLWJ5dGVzLTAwMDAwMDA", "portal.field_key_id": "b1",
        "portal.receipt_pepper": "bench-receipt-pepper-0123456789",
        "portal.audit_key": "b1:bench-audit-key-0123456789abcdef0123456789", "portal.media_dir": f"{workdir}/media",
        "portal.proxy.purger": "varnish", "portal.proxy.purge_urls": f"http://127.0.0.1:{proxy_port}/",
    }


def row(name: str, r: dict, reference: float) -> str:
    return (f"{name:<52}{r['rps']:>9.0f}{r['p50_us'] / 1000:>8.2f}{r['p99_us'] / 1000:>8.2f}{r['hit']:>7.1%}"
            f"{r['to_app']:>8.1%}{r['rps'] / reference:>8.0%}{r['errors']:>7}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="dropped and created again, then filled")
    parser.add_argument("--database-url", help="reuse a database filled by an earlier run (--notices as then)")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk's keep-alive connections")
    parser.add_argument("--app-servers", type=int, default=2)
    parser.add_argument("--no-cold", action="store_true", help="only the warm cases")
    parser.add_argument("--vcl", type=Path, help="another VCL than deploy/varnish's (to compare)")
    parser.add_argument("--warm-with-portal", action="store_true",
                        help="fill the proxy with portal-warm-proxy's warmer (all languages), then measure")
    parser.add_argument("--warm-concurrency", type=int, default=2, help="the warmer's requests at once")
    parser.add_argument("--visitor-seconds", type=float, default=15,
                        help="per state of the visitors' latency while warming (0: skip it)")
    args = parser.parse_args(argv)
    reason = missing_reason() or (None if shutil.which("wrk") else "wrk is not installed (apt-get install wrk)")
    if reason:
        print(f"skipped: {reason}")
        return 1

    if args.vcl:
        tests.varnish.VCL = args.vcl.resolve()
    workdir = Path(tempfile.mkdtemp(prefix="portal-proxy-bench-"))
    workdir.chmod(0o755)
    if args.database_url:
        url = args.database_url
    else:
        from portal.core.db import get_engine

        url = fresh_database("postgresql", args.pg_url, str(workdir))
        engine = get_engine({"sqlalchemy.url": url})
        began = time.perf_counter()
        migrate(engine)
        fill(engine, args.notices)
        engine.dispose()
        print(f"filled {args.notices:,} notices in {time.perf_counter() - began:.0f} s", flush=True)

    ports = reserve_ports(args.app_servers + 1)
    app_ports = [ports.first + i for i in range(args.app_servers)]
    proxy_port = ports.first + args.app_servers
    settings_file = workdir / "settings.json"
    settings_file.touch(0o600)
    settings_file.write_text(json.dumps(settings_for(url, workdir, proxy_port)))
    static_file = workdir / "static.html"
    static_file.write_bytes(b"")
    servers, proxy, loads = [], None, [Path("/proc/loadavg").read_text().split()[:3]]
    try:
        def start_apps():
            for port in app_ports:
                process = subprocess.Popen([sys.executable, str(HERE / "serve.py"), "portal", str(port),
                                            settings_file.read_text(), str(static_file)])
                servers.append(process)
                wait_for(f"http://127.0.0.1:{port}/healthz", process, f"app server {port}")

        start_apps()
        app = f"http://127.0.0.1:{app_ports[0]}"
        page_size = median_size(app, args.notices, "/notices/")
        api_size = median_size(app, args.notices, "/api/v1/notices/")
        # The reference file: the median page's size; the app servers read it at start-up.
        static_file.write_bytes((b"<!-- bench -->" + b"x" * page_size)[:page_size])
        for server in servers:
            server.terminate()
            server.wait(20)
        servers.clear()
        start_apps()
        # Room for every page and API answer, twice over (Varnish's per-object overhead, headers), in each
        # language the warmer asks for.
        languages = 3 if args.warm_with_portal else 1
        storage_mb = max(256, 2 * languages * args.notices * (page_size + api_size + 2048) // 2**20)
        proxy = Proxy(workdir, app_ports, proxy_port, storage_mb)
        proxy.start()
        print(f"median notice page {page_size:,} bytes, API answer {api_size:,} bytes; malloc {storage_mb} MB; "
              f"wrk {args.threads} threads, {args.connections} connections, {args.seconds:.0f} s per case",
              flush=True)

        cases = [("/notices/{id} Zipf", "zipf", "/notices/"), ("/notices/{id} uniform", "uniform", "/notices/"),
                 ("/api/v1/notices/{id} Zipf", "zipf", "/api/v1/notices/"),
                 ("/api/v1/notices/{id} uniform", "uniform", "/api/v1/notices/")]
        results = []

        def static(name):
            wrk(proxy.url, "fixed", 1, STATIC_PATH, 1, 1, 1)  # into the cache: the reference is all hits
            results.append((name, measured(proxy, "fixed", 1, STATIC_PATH, args)))
            print(f"  {name}: {results[-1][1]['rps']:.0f} req/s", flush=True)

        static("static file (first)")
        if not args.no_cold:
            for name, mode, prefix in cases:
                proxy.restart()  # empty
                results.append((f"{name}, cold", measured(proxy, mode, args.notices, prefix, args)))
                print(f"  {name}, cold: {results[-1][1]['rps']:.0f} req/s", flush=True)
        loads.append(Path("/proc/loadavg").read_text().split()[:3])
        gentleness = []
        if args.warm_with_portal and args.visitor_seconds:
            gentleness = visitors_while_warming(proxy, url, app_ports, args.notices, args.visitor_seconds,
                                                ACCEPT_LANGUAGE)
        proxy.restart()
        if args.warm_with_portal:
            warmed = warm_with_portal(proxy, url, args.warm_concurrency)
            print(f"  portal-warm-proxy's warmer, {args.warm_concurrency} at once: {warmed.line()} "
                  f"({warmed.requested / warmed.seconds:.0f} answers/s; "
                  f"{proxy.counters().get('MAIN.n_object', 0):,} objects, "
                  f"{proxy.counters().get('MAIN.n_lru_nuked', 0):,} evicted)", flush=True)
        else:
            filled_in = fill_proxy(proxy, args.notices, args.connections)
            print(f"  every page and API answer fetched through the proxy in {filled_in:.0f} s "
                  f"({proxy.counters().get('MAIN.n_object', 0):,} objects)", flush=True)
        for name, mode, prefix in cases:
            suffix = "after portal-warm-proxy" if args.warm_with_portal else "warm"
            results.append((f"{name}, {suffix}", measured(proxy, mode, args.notices, prefix, args)))
            print(f"  {name}, warm: {results[-1][1]['rps']:.0f} req/s", flush=True)
        # Browsers send many different Accept-Language headers for one language; the answers Vary on it.
        name = "/notices/{id} Zipf, warm, browsers"
        results.append((name, measured(proxy, "zipf", args.notices, "/notices/", args, mix="browsers")))
        print(f"  {name}: {results[-1][1]['rps']:.0f} req/s", flush=True)
        # Visitors in all three languages, some with no header and some with the language cookie.
        name = "/notices/{id} Zipf, warm, visitors' mix"
        results.append((name, measured(proxy, "zipf", args.notices, "/notices/", args, mix="visitors")))
        print(f"  {name}: {results[-1][1]['rps']:.0f} req/s", flush=True)
        static("static file (last)")
        loads.append(Path("/proc/loadavg").read_text().split()[:3])
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers:
            server.terminate()
            server.wait(20)
        ports.release()
        shutil.rmtree(workdir, ignore_errors=True)

    first, last = results[0][1]["rps"], results[-1][1]["rps"]
    reference = (first + last) / 2
    print(f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
          f"{url.split(':', 1)[0]}, {args.notices:,} notices, {args.app_servers} app servers; load average "
          + " -> ".join("/".join(x) for x in loads))
    print(f"{'case':<52}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'hits':>7}{'to app':>8}{'vs file':>8}{'errors':>7}")
    for name, result in results:
        print(row(name, result, reference))
    for state, p50, p95, rate in gentleness:
        print(f"a visitor's uncached page, {state:<18} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
              + (f"  (the warmer: {rate:.0f} answers/s)" if rate == rate else ""))
    drift = abs(first - last) / reference
    if drift > 0.15:
        print(f"WARNING: the static file moved by {drift:.0%} between first and last: the machine's load "
              "changed during the run; read the ratios with that margin, or repeat")
    return 0


if __name__ == "__main__":
    sys.exit(main())
