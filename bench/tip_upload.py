"""A tip with a 200 MB video: the server's peak memory, and public pages served meanwhile.

    python bench/tip_upload.py [--mb 200] [--seconds 20] [--concurrency 4] [--db sqlite|postgresql]

Fills a fresh database with notices (for /notices), starts the portal under waitress as its own
process (bench/serve.py, the same settings as the other benches; the proof of work at 4 bits, solved
here in Python), warms it up (public pages under load, then one tip with a small photo), and reads
the server's VmHWM (peak resident memory) and VmRSS from /proc. Then it sends tips with a generated
MP4 of --mb megabytes, back to back, each streamed from a generator (never whole in memory here
either), while the load generator (another process) drives `/notices` for --seconds, and reads the
memory figures again. The same load without uploads, just before, is the baseline for latency and
throughput. Targets (issue 4): peak memory up by less than 20 MB; public pages slower by less than
a third."""
import argparse
import http.client
import http.cookies
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from bs4 import BeautifulSoup  # noqa: E402
from fill import DEFAULT_PG, fill, fresh_database, migrate  # noqa: E402
from load import run_in_process  # noqa: E402
from notices_throughput import free_port, start  # noqa: E402
from serve import THREADS  # noqa: E402
from webtest.forms import Form  # noqa: E402

from portal.abuse.pow import solve  # noqa: E402
from portal.core.db import get_engine  # noqa: E402
from portal.core.localtime import LOCAL_TZ  # noqa: E402
from tests import media_samples  # noqa: E402
from tests.factories import jpeg_bytes  # noqa: E402

MB = 1024 * 1024
CATEGORY = "drugs"  # one of the default categories (migration 0009)


def memory(pid: int) -> dict:
    """VmHWM (the peak resident set so far) and VmRSS of a process, in MB."""
    with open(f"/proc/{pid}/status") as status:
        values = dict(line.split(":", 1) for line in status if line.startswith(("VmHWM", "VmRSS")))
    return {key: int(value.split()[0]) / 1024 for key, value in values.items()}


class Browser:
    """Just enough of a browser: a keep-alive connection per request, the session cookie kept."""

    def __init__(self, port: int):
        self.port = port
        self.cookies = http.cookies.SimpleCookie()

    def _headers(self, extra=None) -> dict:
        cookie = "; ".join(f"{k}={v.value}" for k, v in self.cookies.items())
        return {"Accept-Language": "en", **({"Cookie": cookie} if cookie else {}), **(extra or {})}

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.request(method, path, body=body, headers=self._headers(headers))
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        connection.close()
        return response.status, text


def category_slug(browser) -> str:
    _status, page = browser.request("GET", "/tips/new")
    slugs = re.findall(r"/tips/new\?category=([a-z0-9-]+)", page)
    return CATEGORY if CATEGORY in slugs else slugs[0]


def tip_fields(browser, slug: str) -> list[tuple[str, str]]:
    """The tip form as a browser would send it, filled in, without its files."""
    status, page = browser.request("GET", f"/tips/new?category={slug}")
    assert status == 200, status
    html = re.search(r'<form[^>]*id="deform".*?</form>', page, re.S).group(0)
    form = Form(SimpleNamespace(html=BeautifulSoup(html, "html.parser")), html)  # WebTest's form filling
    units = [value for value, _selected, _text in form["unit"].options if value]
    happened = (datetime.now(LOCAL_TZ) - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    values = {"description": "A lorry dumps drums of oil into the river at night.", "happened_at": happened,
              "place": "The river bank by the old mill", "unit": units[0]}
    for name, value in values.items():
        if name in form.fields:
            form[name] = value
    for name, field in form.fields.items():  # the category's required choices: the first answer
        if (name or "").startswith("q_") and hasattr(field[0], "options") and not field[0].value:
            field[0].value = next(v for v, _s, _t in field[0].options if v)
    form["pow_nonce"] = solve(form["pow_challenge"].value)
    return [(name, value) for name, value in form.submit_fields("send") if name != "attachments"]


def send_tip(browser, slug: str, filename: str, size: int, chunks, content_type="video/mp4") -> tuple[int, float]:
    """One tip with one file streamed from `chunks`; (status, seconds)."""
    fields = tip_fields(browser, slug)
    parts = fields + [("attachments", filename, chunks, content_type)]
    length = media_samples.multipart_length(parts, {filename: size})
    began = time.perf_counter()
    status, page = browser.request("POST", f"/tips/new?category={slug}", body=media_samples.multipart_chunks(parts),
                                   headers={"Content-Type": media_samples.CONTENT_TYPE, "Content-Length": str(length)})
    seconds = time.perf_counter() - began
    if status != 200 or "copyable" not in page:
        error = re.search(r'class="[^"]*error[^"]*"[^>]*>(.*?)<', page, re.S)
        raise RuntimeError(f"tip refused: {status} {error.group(1).strip() if error else page[:300]}")
    return status, seconds


def warm_up(port: int, slug: str, rounds=2) -> None:
    """Small tips (a photo and a 1 MB video each) sent by as many browsers at once as the server has
    threads, twice: every thread then has run a whole tip, receipt hash included. The receipt code's
    argon2id hash takes 19 MB while it runs (services/receipts.py), and glibc keeps that in the
    thread's own malloc arena afterwards: a cost of any tip, once per server thread, not of its files."""
    photo = jpeg_bytes((800, 600))

    def one(n):
        browser = Browser(port)
        send_tip(browser, slug, f"warm{n}.jpg", len(photo), [photo], "image/jpeg")
        send_tip(browser, slug, f"warm{n}.mp4", MB, media_samples.mp4_stream(MB))

    for _ in range(rounds):
        browsers = [threading.Thread(target=one, args=(n,)) for n in range(THREADS)]
        for browser in browsers:
            browser.start()
        for browser in browsers:
            browser.join()


def load(port, seconds, concurrency) -> multiprocessing.Process:
    queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=run_in_process,
                                      args=(queue, port, ["/notices"], seconds, concurrency, 0.5))
    process.start()
    process.queue = queue
    return process


def forget_stored_media(media_dir: str) -> None:
    """Delete what the previous tips stored (the bench's own directory), so the disk does not fill."""
    for name in os.listdir(media_dir):
        if name != ".incoming":
            shutil.rmtree(os.path.join(media_dir, name), ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200, help="size of the video sent with each tip")
    parser.add_argument("--seconds", type=float, default=20, help="length of each load measurement")
    parser.add_argument("--concurrency", type=int, default=4, help="load generator threads")
    parser.add_argument("--notices", type=int, default=5000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="portal-bench-tips-")
    url = fresh_database(args.db, args.pg_url, workdir)
    engine = get_engine({"sqlalchemy.url": url})
    migrate(engine)
    fill(engine, args.notices)
    engine.dispose()
    media_dir = f"{workdir}/media"
    settings = {
        "sqlalchemy.url": url, "pyramid.reload_templates": "false",
        "portal.session_secret": "bench-session-secret-0123456789abcdef0123",
        "portal.field_keys": "b1:YmVuY2gtZmllbGQta2V5LTMyLWJ5dGVzLTAwMDAwMDA", "portal.field_key_id": "b1",
        "portal.receipt_pepper": "bench-receipt-pepper-0123456789",
        "portal.audit_key": "b1:bench-audit-key-0123456789abcdef0123456789", "portal.media_dir": media_dir,
        "portal.pow.bits": "4", "portal.pow.min_fill_seconds": "0", "portal.tip.rate_per_hour": "10000",
    }
    port = free_port()
    server = start("portal", port, settings)
    try:
        browser = Browser(port)
        slug = category_slug(browser)
        started = memory(server.pid)
        # Warm up: every code path a tip with a file takes, on every server thread (see warm_up),
        # and the public pages under load.
        warm_up(port, slug)
        warmed = memory(server.pid)
        baseline_run = load(port, args.seconds, args.concurrency)
        baseline = baseline_run.queue.get()
        baseline_run.join()
        before = memory(server.pid)

        uploads, stop = [], threading.Event()

        def upload_loop():
            while not stop.is_set():
                size = args.mb * MB
                uploads.append(send_tip(browser, slug, "VID_20260101_120000.mp4", size,
                                        media_samples.mp4_stream(size))[1])
                forget_stored_media(media_dir)

        sender = threading.Thread(target=upload_loop)
        sender.start()
        time.sleep(0.5)  # the first upload is under way
        during_run = load(port, args.seconds, args.concurrency)
        during = during_run.queue.get()
        during_run.join()
        stop.set()
        sender.join()
        after = memory(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n{args.db}, {args.mb} MB video per tip, /notices under {args.concurrency} client threads for "
          f"{args.seconds:.0f} s, {os.cpu_count()} CPUs shared by client, uploader and server")
    print(f"server memory (MB): started VmHWM {started['VmHWM']:.1f} VmRSS {started['VmRSS']:.1f}; after the small "
          f"tips VmHWM {warmed['VmHWM']:.1f} VmRSS {warmed['VmRSS']:.1f}; after the baseline load VmHWM "
          f"{before['VmHWM']:.1f} "
          f"VmRSS {before['VmRSS']:.1f}; after the uploads VmHWM {after['VmHWM']:.1f} VmRSS {after['VmRSS']:.1f}; "
          f"peak rise {after['VmHWM'] - before['VmHWM']:+.1f} MB")
    print(f"tips sent during the measurement: {len(uploads)}, {args.mb / (sum(uploads) / len(uploads)):.0f} MB/s "
          f"each on average ({', '.join(f'{s:.1f}' for s in uploads)} s)")
    print(f"{'/notices':<22}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    for name, r in (("without an upload", baseline), ("during uploads", during)):
        print(f"{name:<22}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['errors']:>8}")
    print(f"throughput during uploads: {during['rps'] / baseline['rps']:.0%} of the baseline; "
          f"p50 latency x{during['p50'] / baseline['p50']:.2f}, p95 x{during['p95'] / baseline['p95']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
