"""Call signalling under load: bounded long-polling against plain polling, on the portal's own server.

    python bench/call_signalling.py [--db sqlite|postgresql|both] [--seconds 30] [--pollers 12]

A fresh database (a temporary SQLite file; for PostgreSQL the database of PORTAL_BENCH_DATABASE_URL,
default bench_portal, dropped and created again) gets the demo province and, for each case, --pollers
video alarms whose calls a demo dispatcher answers. The portal runs in this process under waitress
(8 threads, as development.ini) on 127.0.0.1:--port (default 7380, one port per case upwards). For
--seconds, at the same time:

- every caller's page polls its call: *plain* asks `wait=0` every --interval seconds; *long* asks
  `wait=8` (portal.call.long_poll_seconds) and, answered at once without news (no free slot), asks
  again after --interval, as the call page does;
- --page-clients clients load an ordinary page (GET /alarm) back to back: its latency is what the
  polls may cost everyone else;
- the dispatcher posts ICE candidates, --rate a second in all (Poisson arrivals, from --senders
  connections so that a slow answer does not slow the rate), round robin over the calls; for each,
  the delay from the start of the POST to the moment the caller's poll returned with it.

Cases, side by side: no calls at all (the page alone), plain polling, long-polling with
portal.call.long_poll_slots = --slots (default 3, the setting's default), long-polling with as many
slots as pollers (unbounded: every poll may hold a thread, the case the slots exist for), and
long-polling with no more calls than slots (what a waiting poll gives when it gets a slot).
Client threads run in this process too (mostly waiting on sockets); each case starts its own server."""
import argparse
import http.client
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import waitress  # noqa: E402
from fill import fresh_database, migrate  # noqa: E402
from sqlalchemy import select  # noqa: E402

import portal  # noqa: E402
from portal.alarms.models import Alarm  # noqa: E402
from portal.core.db import get_engine  # noqa: E402
from portal.demo.data import DEMO_PASSWORD  # noqa: E402
from portal.media.storage import LocalMediaStore  # noqa: E402
from portal.privacy.crypto import FieldCipher  # noqa: E402
from portal.privacy.links import new_token  # noqa: E402
from portal.privacy.receipts import ReceiptHasher  # noqa: E402
from portal.scripts.common import db_session  # noqa: E402
from portal.scripts.seed_demo import seed  # noqa: E402
from portal.units.models import Unit  # noqa: E402

THREADS = 8
SAME = {"Sec-Fetch-Site": "same-origin", "Accept": "application/json", "Content-Type": "application/json"}
CANDIDATE = "candidate:1 1 udp 2122260223 127.0.0.1 {port} typ host"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def settings_for(url: str, workdir: str, slots: int) -> dict:
    return {
        "sqlalchemy.url": url,
        "portal.session_secret": "bench-session-secret-0123456789abcdef0123456789",
        "portal.field_keys": "b1:YnJvd3Nlci10ZXN0LWtleS0zMi1ieXRlcy0wMDAwMDA", "portal.field_key_id": "b1",
        "portal.receipt_pepper": "bench-receipt-pepper-0123456789",
        "portal.media_dir": os.path.join(workdir, "media"),
        "portal.audit_key": "b1:bench-audit-key-0123456789abcdef0123456789abc",
        "portal.totp.required_for": "admin", "pyramid.reload_templates": "false",
        "portal.call.long_poll_slots": str(slots),
        # Not a flood: every alarm of the run comes from one address.
        "portal.alarm.flood_per_hour": "100000",
    }


def prepare(url: str, workdir: str) -> None:
    settings = settings_for(url, workdir, 3)
    engine = get_engine({"sqlalchemy.url": url})
    migrate(engine)
    engine.dispose()
    with db_session(settings) as dbsession:
        seed(dbsession, LocalMediaStore(settings["portal.media_dir"]),
             FieldCipher.from_setting(settings["portal.field_keys"], settings["portal.field_key_id"]),
             ReceiptHasher(settings["portal.receipt_pepper"].encode("utf-8")))


def video_alarms(settings: dict, count: int) -> list[str]:
    """`count` video alarms in a county of the demo province (the demo dispatcher's scope); their tokens."""
    tokens = []
    with db_session(settings) as dbsession:
        unit = dbsession.execute(select(Unit).where(Unit.level == "county").order_by(Unit.id).limit(1)).scalar_one()
        for _ in range(count):
            token, hashed = new_token()
            dbsession.add(Alarm(token_hash=hashed, unit=unit, kind="video", lat=38.0, lon=114.5, accuracy_m=30.0))
            tokens.append(token)
    return tokens


class Client:
    """One keep-alive connection with the session's cookies."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def json(self, method: str, path: str, body=None, headers=None, status=(200, 201)) -> dict:
        code, data = self.request(method, path, json.dumps(body) if body is not None else None, headers)
        if code not in status:
            raise RuntimeError(f"{method} {path}: {code} {data[:300]!r}")
        return json.loads(data)


def sign_in(port: int) -> tuple[Client, str]:
    """The demo province dispatcher, signed in; and the CSRF token for the JSON posts."""
    client = Client(port)
    _, page = client.request("GET", "/login?lang=en")
    fields = dict(HIDDEN.findall(page.decode()))
    fields.update(username="dispatcher", password=DEMO_PASSWORD, submit="submit")
    code, _ = client.request("POST", "/login", urllib.parse.urlencode(fields),
                             {"Content-Type": "application/x-www-form-urlencoded"})
    if code != 303:
        raise RuntimeError(f"sign-in failed: {code}")
    _, console = client.request("GET", "/staff/alarms")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', console.decode()).group(1)
    return client, csrf


def quietly(function, stop=None):
    """A thread's body whose connection errors after the end of its case (the server closed) are not news."""
    def run(*args):
        try:
            function(*args)
        except (OSError, http.client.HTTPException, RuntimeError):
            if stop is None or stop.is_set():
                return
            raise
    return run


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else float("nan")


def run_case(name: str, mode: str, pollers: int, settings: dict, port: int, args) -> dict:
    server = waitress.create_server(portal.main({}, **settings), host="127.0.0.1", port=port, threads=THREADS)
    threading.Thread(target=quietly(server.run), daemon=True).start()
    try:
        calls, staff = [], {}
        if mode != "none":
            desk, csrf = sign_in(port)
            staff = {"X-CSRF-Token": csrf, "Accept": "application/json", "Content-Type": "application/json"}
            caller = Client(port)
            for token in video_alarms(settings, pollers):
                call = caller.json("POST", f"/alarm/{token}/call", headers=SAME)["call"]
                desk.json("POST", f"/staff/calls/{call['id']}/answer", {}, staff)
                calls.append((token, call["id"]))
        stop, stop_sending = threading.Event(), threading.Event()
        warm_until = time.monotonic() + 1.0
        pages, posted, received, polls = [], {}, {}, [0]
        lock = threading.Lock()

        def page_client():
            client = Client(port)
            while not stop.is_set():
                begun = time.monotonic()
                code, _ = client.request("GET", "/alarm", headers={"Accept-Language": "zh-CN"})
                if begun >= warm_until and code == 200 and not stop.is_set():
                    with lock:
                        pages.append(time.monotonic() - begun)

        def poller(token, call_id):
            client, after, version = Client(port), 0, 0
            wait = args.long_wait if mode == "long" else 0
            while not stop.is_set():
                begun = time.monotonic()
                answer = client.json("GET", f"/alarm/{token}/call/poll?call={call_id}&after={after}"
                                            f"&version={version}&wait={wait}", headers={"Accept": "application/json"})
                now = time.monotonic()
                with lock:
                    polls[0] += 1
                    for signal in answer["signals"]:
                        received.setdefault(signal["id"], now)
                if answer["signals"]:
                    after = answer["signals"][-1]["id"]
                version = answer["call"]["version"]
                if mode == "plain" or (not answer["signals"] and now - begun < 0.2):
                    stop.wait(args.interval)

        def sender(number):
            """One of --senders dispatchers' pages (one connection each, the one session): Poisson
            arrivals at --rate / --senders, round robin over this sender's share of the calls."""
            client = Client(port)
            client.cookies = dict(desk.cookies)
            mine = calls[number::args.senders] or calls
            rng, n = random.Random(11 + number), 0
            stop_sending.wait(1.0)
            while not stop_sending.is_set():
                _token, call_id = mine[n % len(mine)]
                begun = time.monotonic()
                signal = client.json("POST", f"/staff/calls/{call_id}/signals", {"kind": "candidate", "body": {
                    "candidate": CANDIDATE.format(port=50000 + n), "sdpMid": "0", "sdpMLineIndex": 0}}, staff)
                with lock:
                    posted[signal["id"]] = begun
                n += 1
                # The next one is due from this one's start, not its answer.
                stop_sending.wait(max(0.0, begun + rng.expovariate(args.rate / args.senders) - time.monotonic()))

        threads = [threading.Thread(target=quietly(page_client, stop)) for _ in range(args.page_clients)]
        threads += [threading.Thread(target=quietly(poller, stop), args=call) for call in calls]
        if calls:
            threads += [threading.Thread(target=quietly(sender, stop), args=(n,)) for n in range(args.senders)]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        time.sleep(args.seconds + 1.0)
        stop_sending.set()
        # The pages go on while the last signals reach their polls (the next plain poll, or a woken one).
        time.sleep(args.interval + 1.5)
        stop.set()
        window = time.monotonic() - warm_until
        for thread in threads:
            thread.join(args.long_wait + 5)
        elapsed = time.monotonic() - started
        delays = [received[i] - t for i, t in posted.items() if i in received]
    finally:
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=10)  # no task outlives its server
        server.close()
    return {"case": name, "page_p50": pct(pages, 0.5), "page_p95": pct(pages, 0.95),
            "pages_per_s": len(pages) / window,
            "signals": len(posted), "lost": len(posted) - len(delays), "delay_p50": pct(delays, 0.5),
            "delay_p95": pct(delays, 0.95), "polls_per_s": polls[0] / elapsed}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--port", type=int, default=7380)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--pollers", type=int, default=12, help="calls, each with its caller's page polling")
    parser.add_argument("--page-clients", type=int, default=4)
    parser.add_argument("--rate", type=float, default=8.0, help="signals a second, in all")
    parser.add_argument("--senders", type=int, default=4, help="dispatcher connections posting signals")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between plain polls")
    parser.add_argument("--slots", type=int, default=3)
    parser.add_argument("--long-wait", type=int, default=8)
    args = parser.parse_args(argv)
    import logging

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    pg_url = os.environ.get("PORTAL_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_portal")
    n, slots = args.pollers, args.slots
    cases = (  # name, mode, slots, calls
        ("page alone", "none", slots, 0),
        (f"plain polling, {n} calls", "plain", slots, n),
        (f"long-poll, {slots} slots, {n} calls", "long", slots, n),
        (f"long-poll, {n} slots (unbounded), {n} calls", "long", n, n),
        (f"long-poll, {slots} slots, {slots} calls (within the slots)", "long", slots, slots),
    )
    print(f"{args.pollers} calls polling, {args.page_clients} page clients on GET /alarm, {args.rate:g} signals/s, "
          f"{args.seconds:g} s per case, waitress {THREADS} threads, plain interval {args.interval:g} s")
    port = args.port
    for kind in kinds:
        with tempfile.TemporaryDirectory() as workdir:
            url = fresh_database(kind, pg_url, workdir)
            prepare(url, workdir)
            rows = []
            for name, mode, case_slots, calls in cases:
                rows.append(run_case(name, mode, calls, settings_for(url, workdir, case_slots), port, args))
                port += 1
            base = rows[0]["page_p50"]
            print(f"\n{kind}\n| case | GET /alarm p50 ms | p95 ms | × alone (p50) | pages/s | polls/s | signals "
                  "| lost | signal→poll p50 ms | p95 ms |\n|---|---|---|---|---|---|---|---|---|---|")
            for r in rows:
                print(f"| {r['case']} | {r['page_p50']:.1f} | {r['page_p95']:.1f} | {r['page_p50'] / base:.2f} | "
                      f"{r['pages_per_s']:.0f} | {r['polls_per_s']:.1f} | {r['signals']} | {r['lost']} | "
                      f"{r['delay_p50']:.0f} | {r['delay_p95']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
