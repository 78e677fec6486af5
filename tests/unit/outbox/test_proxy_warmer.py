"""The proxy warmer (outbox/proxy_warmer.py) against a stand-in proxy on the loopback: at most
`concurrency` requests at once, the budgets, a visitor's headers and never a cookie, a clear failure
when nothing answers. tests/functional/test_warm_proxy.py runs it through the real Varnish."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal.outbox.proxy_warmer import ProxyUnreachable, Warmer, visitor_headers
from tests.coturn import reserve_ports

HEADERS = visitor_headers("https://safety.example.gov.cn/")


class StandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, delay=0.0, status=200, failing=()):
        super().__init__(address, Handler)
        self.delay, self.status, self.failing, self.lock = delay, status, set(failing), threading.Lock()
        self.in_flight = self.most_in_flight = 0
        self.seen = []  # (path, headers)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 - the http.server name
        server = self.server
        with server.lock:
            server.in_flight += 1
            server.most_in_flight = max(server.most_in_flight, server.in_flight)
            server.seen.append((self.path, dict(self.headers)))
            hit = sum(1 for p, _h in server.seen if p == self.path) > 1
        time.sleep(server.delay)
        with server.lock:
            server.in_flight -= 1
        body = b"page"
        self.send_response(503 if self.path in server.failing else server.status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Cache", "hit" if hit else "miss")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def port():
    reservation = reserve_ports(1)
    yield reservation.first
    reservation.release()


@pytest.fixture
def stand_in(port):
    made = []

    def start(**kw):
        server = StandIn(("127.0.0.1", port), **kw)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        made.append(server)
        return server

    yield start
    for server in made:
        server.shutdown()
        server.server_close()


def asked(count):
    return [(f"/notices/{i}", "zh-CN") for i in range(1, count + 1)]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_never_more_requests_at_once_than_the_concurrency(stand_in, port, concurrency):
    server = stand_in(delay=0.02)
    summary = Warmer(f"http://127.0.0.1:{port}", HEADERS, concurrency=concurrency).run(asked(24))
    assert server.most_in_flight == concurrency  # reached, never passed
    assert (summary.misses, summary.hits, summary.errors, summary.requested) == (24, 0, 0, 24)
    assert sorted(p for p, _h in server.seen) == sorted(p for p, _l in asked(24))


def test_asks_in_order_as_a_visitor_through_nginx_without_cookies_and_counts_hits(stand_in, port):
    server = stand_in()
    headers = dict(HEADERS, Cookie="portal_session=abc", Authorization="Basic eDp5")
    warmer = Warmer(f"http://127.0.0.1:{port}/", headers, concurrency=1)
    first = warmer.run(asked(3) + [("/sitemap.xml", None)])
    assert [p for p, _h in server.seen] == ["/notices/1", "/notices/2", "/notices/3", "/sitemap.xml"]
    for _path, sent in server.seen:
        assert sent["Host"] == "safety.example.gov.cn" and sent["X-Forwarded-Proto"] == "https"
        assert "Cookie" not in sent and "Authorization" not in sent
    assert [h.get("Accept-Language") for _p, h in server.seen] == ["zh-CN", "zh-CN", "zh-CN", None]
    assert (first.misses, first.hits) == (4, 0)
    again = warmer.run(asked(3))
    assert (again.hits, again.misses, again.errors) == (3, 0, 0)
    assert "3 hits, 0 misses, 0 errors" in again.line()
    assert not any("X-Portal-Refresh" in sent for _p, sent in server.seen)


def test_a_refresh_asks_the_proxy_to_replace_each_copy(stand_in, port):
    server = stand_in()
    Warmer(f"http://127.0.0.1:{port}/", HEADERS, concurrency=2, refresh=True).run(asked(4))
    assert len(server.seen) == 4 and all(sent.get("X-Portal-Refresh") == "1" for _p, sent in server.seen)


def test_the_budgets_stop_it_early_and_say_so(stand_in, port):
    server = stand_in(delay=0.01)
    by_count = Warmer(f"http://127.0.0.1:{port}", HEADERS, concurrency=3, max_requests=7).run(asked(50))
    assert by_count.requested == len(server.seen) == 7 and by_count.stopped == "7 requests"
    by_time = Warmer(f"http://127.0.0.1:{port}", HEADERS, concurrency=2, max_seconds=0.15).run(asked(500))
    assert 2 <= by_time.requested < 500 and by_time.stopped == "0.15 s"
    assert Warmer(f"http://127.0.0.1:{port}", HEADERS).run(asked(2)).stopped == ""


def test_failed_answers_are_counted_as_errors_and_the_rest_still_asked(stand_in, port):
    server = stand_in(failing={"/notices/2", "/notices/4"})
    summary = Warmer(f"http://127.0.0.1:{port}", HEADERS).run(asked(5))
    assert (summary.errors, summary.misses, len(server.seen)) == (2, 3, 5) and summary.statuses[503] == 2


def test_a_proxy_with_no_app_server_behind_it_fails_clearly(stand_in, port):
    stand_in(status=503)
    with pytest.raises(ProxyUnreachable, match="answered 503"):  # the first, alone: nothing behind the proxy
        Warmer(f"http://127.0.0.1:{port}", HEADERS).run(asked(5))


def test_an_unreachable_proxy_fails_at_once_and_clearly(port):
    began = time.monotonic()
    with pytest.raises(ProxyUnreachable, match=f"127.0.0.1:{port}: ConnectionRefusedError"):
        Warmer(f"http://127.0.0.1:{port}", HEADERS).run(asked(5))
    with pytest.raises(ProxyUnreachable):
        Warmer(f"http://127.0.0.1:{port}", HEADERS).run(asked(5), wait=1.5)
    assert time.monotonic() - began < 10


def test_only_public_answers_the_proxy_keeps_and_only_a_plain_http_proxy():
    warmer = Warmer("http://127.0.0.1:9", HEADERS)
    for path in ("/staff/notices", "/login", "/status/abc", "/notices/1/sightings/new", "//evil.example/x",
                 "/uploads"):
        with pytest.raises(ValueError, match="not a public answer"):
            warmer.run([(path, None)])
    with pytest.raises(ValueError):
        Warmer("https://127.0.0.1:9", HEADERS)
    with pytest.raises(ValueError):
        visitor_headers("")
