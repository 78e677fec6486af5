"""Recording ingest: N callers upload their recordings at once, a chunk every 3 s each, as
static/js/call-recorder.js does; the server's CPU and memory, each chunk's upload time, and the
chunks lost (must be 0: every chunk stored once, every final hash equal to the hash of what was sent).

    python bench/recording_ingest.py [--callers 20] [--seconds 60] [--chunk-kb 105] [--db sqlite|postgresql]
                                     [--port 7210] [--pg-url URL]

A chunk of 105 KB every 3 s is 280 kbit/s, the recorder's bit rate (250 kbit/s video, 32 kbit/s audio).
Chunks are random bytes (the store is content-addressed: equal chunks would be stored once). The portal
runs under waitress as its own process (bench/serve.py, 8 threads); a refused or failed upload is
retried as the page retries it, and counted."""
import argparse
import hashlib
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from fill import DEFAULT_PG, fresh_database, migrate  # noqa: E402
from notices_throughput import start  # noqa: E402
from sqlalchemy import select  # noqa: E402

from portal.calls.models import CallRecording  # noqa: E402
from portal.core.db import get_engine  # noqa: E402
from portal.scripts.common import db_session  # noqa: E402
from tests.factories import make_alarm, make_units  # noqa: E402

SLICE_S = 3.0
HEADERS = {"Sec-Fetch-Site": "same-origin", "Accept": "application/json"}


def process_figures(pid: int) -> dict:
    """CPU seconds used so far (user + system) and the memory figures (MB) of a process."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{pid}/status") as status:
        memory = {k: int(v.split()[0]) / 1024 for k, v in (line.split(":", 1) for line in status)
                  if k in ("VmHWM", "VmRSS")}
    return {"cpu": (int(fields[11]) + int(fields[12])) / ticks, **memory}


def post(port, path, body, content_type):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", path, body=body, headers={**HEADERS, "Content-Type": content_type})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def caller(port, token, chunks, size, offset, result):
    """One caller's page: start, then a chunk every SLICE_S (retrying failures), then end."""
    time.sleep(offset)  # callers did not all start in the same second
    status, started = post(port, f"/alarm/{token}/call/recording", json.dumps({"mime": "video/webm;codecs=vp8,opus"}),
                           "application/json")
    assert status == 201, (status, started)
    whole, began = hashlib.sha256(), time.monotonic()
    for seq in range(chunks):
        data = os.urandom(size)
        whole.update(data)
        while True:
            sent = time.monotonic()
            try:
                status, _answer = post(port, f"{started['chunks_url']}{seq}", data, "video/webm")
            except OSError:
                status = 0
            if status in (200, 201):
                result["latency"].append(time.monotonic() - sent)
                break
            result["retries"] += 1
            time.sleep(1)
        time.sleep(max(0.0, began + (seq + 1) * SLICE_S - time.monotonic()))
    status, ended = post(port, started["end_url"], json.dumps({"chunks": chunks, "duration_ms": int(chunks * 3000)}),
                         "application/json")
    result["recordings"].append((started["id"], chunks, whole.hexdigest(), ended.get("state")))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callers", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--chunk-kb", type=int, default=105)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--port", type=int, default=7210)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="portal-bench-")
    url = fresh_database(args.db, args.pg_url, workdir)
    engine = get_engine({"sqlalchemy.url": url})
    migrate(engine)
    engine.dispose()
    settings = {
        "sqlalchemy.url": url, "pyramid.reload_templates": "false",
        "portal.session_secret": "bench-session-secret-0123456789abcdef0123",
        "portal.field_keys": "b1:YmVuY2gtZmllbGQta2V5LTMyLWJ5dGVzLTAwMDAwMDA", "portal.field_key_id": "b1",
        "portal.receipt_pepper": "bench-receipt-pepper-0123456789",
        "portal.audit_key": "b1:bench-audit-key-0123456789abcdef0123456789", "portal.media_dir": f"{workdir}/media",
    }
    with db_session(settings) as dbsession:
        unit = make_units(dbsession)["county_a"]
        tokens = [make_alarm(dbsession, unit, kind="video")[1] for _ in range(args.callers)]
    server = start("portal", args.port, settings)
    try:
        post(args.port, f"/alarm/{tokens[0]}/call/recording", b"{}", "application/json")  # warm up (a 415)
        before = process_figures(server.pid)
        chunks = max(1, int(args.seconds / SLICE_S))
        result = {"latency": [], "retries": 0, "recordings": []}
        threads = [threading.Thread(target=caller, args=(args.port, token, chunks, args.chunk_kb * 1024,
                                                         i * SLICE_S / args.callers, result))
                   for i, token in enumerate(tokens)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - began
        after = process_figures(server.pid)
    finally:
        server.terminate()
        server.wait()

    lost = 0
    with db_session(settings) as dbsession:
        for recording_id, sent, digest, _state in result["recordings"]:
            row = dbsession.get(CallRecording, recording_id)
            lost += sent - row.chunk_count
            assert (row.state, row.sha256) == ("final", digest), (recording_id, row.state)
        assert len(dbsession.execute(select(CallRecording)).scalars().all()) == args.callers
    latency = sorted(result["latency"])
    p95 = latency[int(len(latency) * 0.95) - 1]
    print(f"{args.db}: {args.callers} callers x {chunks} chunks of {args.chunk_kb} KB every {SLICE_S:.0f} s "
          f"({args.callers * args.chunk_kb * 8 / SLICE_S / 1000:.1f} Mbit/s in all) over {wall:.0f} s")
    print(f"  chunk upload: median {statistics.median(latency) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"max {latency[-1] * 1000:.0f} ms; retries {result['retries']}; chunks lost {lost}")
    print(f"  server: CPU {100 * (after['cpu'] - before['cpu']) / wall:.0f} % of one core; "
          f"memory VmRSS {before['VmRSS']:.0f} -> {after['VmRSS']:.0f} MB, "
          f"peak VmHWM {before['VmHWM']:.0f} -> {after['VmHWM']:.0f} MB")


if __name__ == "__main__":
    main()
