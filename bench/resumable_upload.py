"""Resumable uploads (tus) with a 250 MB video: what a wrong file costs before it is refused, the
server's peak memory, and how long a dropped upload takes to resume.

    python bench/resumable_upload.py [--mb 250] [--chunk-mb 4] [--db sqlite|postgresql]

Starts the portal under waitress as its own process (bench/serve.py, 8 threads, a fresh database),
takes a session and its CSRF token from a page as a browser does, and speaks tus over http.client
(the file is generated chunk by chunk, never whole in memory here either). Side by side:

1. A wrong file of --mb MB (a program named .mp4): bytes sent before the refusal through tus (goal:
   at most one chunk) and through the plain multipart form /tips/new (waitress receives the whole body
   before the portal sees it), with the time to the refusal.
2. A valid MP4 of --mb MB through tus after a warm-up (small uploads on every server thread): VmHWM
   (peak resident set) of the server before and after (goal: less than 20 MB more).
3. The same video, cut in the middle of a chunk (the socket closed half-way through a PATCH body),
   then resumed: the time from the new connection to the first byte of the resumed chunk (HEAD), the
   bytes sent twice, and the time to finish."""
import argparse
import base64
import http.client
import http.cookies
import os
import re
import socket
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from fill import DEFAULT_PG, fresh_database, migrate  # noqa: E402
from notices_throughput import free_port, start  # noqa: E402
from serve import THREADS  # noqa: E402
from tip_upload import memory  # noqa: E402

from portal.core.db import get_engine  # noqa: E402
from tests import media_samples  # noqa: E402

MB = 1024 * 1024


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Session:
    """A browser's session: its cookie and the page's CSRF token."""

    def __init__(self, port: int):
        self.port = port
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", "/alarm")
        response = connection.getresponse()
        page = response.read().decode()
        cookie = http.cookies.SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie.load(header)
        self.cookie = "; ".join(f"{k}={v.value}" for k, v in cookie.items())
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        connection.close()

    def headers(self, **extra) -> dict:
        return {"Cookie": self.cookie, "X-CSRF-Token": self.token, "Tus-Resumable": "1.0.0",
                "Accept": "application/json", **extra}

    def request(self, method, path, body=None, **headers):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.request(method, path, body=body, headers=self.headers(**headers))
        response = connection.getresponse()
        response.read()
        connection.close()
        return response

    def create(self, length: int, name="video.mp4") -> str:
        response = self.request("POST", "/uploads", **{"Upload-Length": str(length),
                                                      "Upload-Metadata": f"purpose {b64('tip')},filename {b64(name)}"})
        assert response.status == 201, response.status
        return response.headers["Location"]

    def patch(self, path: str, offset: int, body: bytes):
        return self.request("PATCH", path, body, **{"Upload-Offset": str(offset),
                                                   "Content-Type": "application/offset+octet-stream"})

    def offset(self, path: str) -> int:
        return int(self.request("HEAD", path).headers["Upload-Offset"])


def chunks(stream, size: int):
    """Re-cut a generator of byte blocks into chunks of `size`."""
    buffer = b""
    for block in stream:
        buffer += block
        while len(buffer) >= size:
            yield buffer[:size]
            buffer = buffer[size:]
    if buffer:
        yield buffer


def send(session, path, total: int, chunk: int, start_at=0) -> int:
    """Send the generated MP4 from `start_at` to the end; return the bytes sent."""
    sent, offset = 0, 0
    for piece in chunks(media_samples.mp4_stream(total), chunk):
        if offset + len(piece) <= start_at:
            offset += len(piece)
            continue
        if offset < start_at:  # the resumed part of a chunk
            piece, offset = piece[start_at - offset:], start_at
        response = session.patch(path, offset, piece)
        sent += len(piece)
        if response.status != 204:
            return sent
        offset += len(piece)
    return sent


def wrong_file_tus(port, total, chunk) -> tuple[int, float, int]:
    session = Session(port)
    path = session.create(total, "holiday.mp4")
    started, sent, status = time.perf_counter(), 0, 204
    block = b"MZ\x90\x00" + bytes(chunk - 4)
    while status == 204 and sent < total:
        status = session.patch(path, sent, block[:min(chunk, total - sent)]).status
        sent += min(chunk, total - sent)
    return sent, time.perf_counter() - started, status


def wrong_file_multipart(port, total) -> tuple[int, float, int]:
    """The plain form: a multipart POST of the whole wrong file (the form's other fields don't matter:
    the file is refused by its first bytes, but only once waitress has the whole body)."""
    session = Session(port)
    boundary = "benchboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{session.token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"holiday.mp4\"\r\n"
            f"Content-Type: video/mp4\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + total + len(tail)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.putrequest("POST", "/tips/new")
    for key, value in {"Cookie": session.cookie, "Content-Type": f"multipart/form-data; boundary={boundary}",
                       "Content-Length": str(length)}.items():
        connection.putheader(key, value)
    connection.endheaders()
    sent = 0
    try:
        connection.send(head)
        block = b"MZ\x90\x00" + bytes(MB - 4)
        while sent < total:
            connection.send(block[:min(MB, total - sent)])
            sent += min(MB, total - sent)
        connection.send(tail)
        status = connection.getresponse().status
    except OSError:
        status = 0
    connection.close()
    return sent, time.perf_counter() - started, status


def cut_mid_chunk(port, path, session, offset, piece: bytes):
    """Send half of a PATCH body, then drop the connection."""
    raw = socket.create_connection(("127.0.0.1", port))
    headers = session.headers(**{"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
                                 "Content-Length": str(len(piece)), "Host": "127.0.0.1"})
    raw.sendall(("PATCH " + path + " HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                 + "\r\n").encode() + piece[:len(piece) // 2])
    raw.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=250)
    parser.add_argument("--chunk-mb", type=float, default=4)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    total, chunk = args.mb * MB, int(args.chunk_mb * MB)

    workdir = tempfile.mkdtemp(prefix="portal-bench-tus-")
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
        "portal.tip.upload_rate_per_hour": "100000", "portal.upload.resumable_chunk_mb": str(args.chunk_mb),
        "portal.tip.max_total_mb": str(max(300, args.mb + 10)), "portal.tip.max_video_mb": str(max(250, args.mb)),
    }
    port = free_port()
    server = start("portal", port, settings)
    try:
        print(f"{args.mb} MB, chunks of {args.chunk_mb} MB, {args.db}, {THREADS} server threads")
        sent, seconds, status = wrong_file_tus(port, total, chunk)
        print(f"1. wrong file, tus:       refused {status} after {sent / MB:.1f} MB sent, {seconds * 1000:.0f} ms")
        sent, seconds, status = wrong_file_multipart(port, total)
        print(f"   wrong file, multipart: refused {status} after {sent / MB:.1f} MB sent, {seconds * 1000:.0f} ms")

        # Warm-up: every server thread runs a whole small upload.
        def small():
            session = Session(port)
            send(session, session.create(2 * chunk), 2 * chunk, chunk)
        threads = [threading.Thread(target=small) for _ in range(THREADS * 2)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        before = memory(server.pid)
        session = Session(port)
        path = session.create(total)
        started = time.perf_counter()
        send(session, path, total, chunk)
        seconds = time.perf_counter() - started
        after = memory(server.pid)
        assert session.offset(path) == total
        print(f"2. {args.mb} MB through tus in {seconds:.1f} s ({args.mb / seconds:.0f} MB/s); VmHWM "
              f"{before['VmHWM']:.1f} -> {after['VmHWM']:.1f} MB (+{after['VmHWM'] - before['VmHWM']:.1f}), "
              f"VmRSS {after['VmRSS']:.1f} MB")

        session = Session(port)
        path = session.create(total)
        half = (total // 2) // chunk * chunk
        send_until = [0]

        def first_half():
            offset = 0
            for piece in chunks(media_samples.mp4_stream(total), chunk):
                if offset >= half:
                    cut_mid_chunk(port, path, session, offset, piece)
                    send_until[0] = offset + len(piece) // 2
                    return
                session.patch(path, offset, piece)
                offset += len(piece)
        first_half()
        reconnect = time.perf_counter()
        resume_at = session.offset(path)
        head_ms = (time.perf_counter() - reconnect) * 1000
        resent = send(session, path, total, chunk, start_at=resume_at)
        finished = time.perf_counter() - reconnect
        assert session.offset(path) == total
        lost = send_until[0] - resume_at
        print(f"3. cut {send_until[0] / MB:.1f} MB in, mid-chunk: resumed at {resume_at / MB:.1f} MB "
              f"after {head_ms:.1f} ms (one HEAD); {lost / MB:.1f} MB sent twice; the rest ({resent / MB:.1f} MB) "
              f"in {finished:.1f} s")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
