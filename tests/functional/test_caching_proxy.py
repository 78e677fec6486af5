"""Through a real Varnish with deploy/varnish/safety-portal.vcl in front of the portal served by
waitress (tests/proxy_stack.py): public answers come from the cache, a session's never, and a closed
missing-person appeal, its photos and its feed entry leave the proxy within 2 seconds of the commit, and
a GET an app server dropped is answered by the other.
Skips without Debian's varnish and varnish-modules unless PORTAL_REQUIRE_VARNISH=1."""
import re
import threading
import time

import pytest
import requests

from tests.proxy_stack import close_appeal, proxy_stack, signed_in, wait_until
from tests.varnish import skip_or_fail_without_varnish

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    skip_or_fail_without_varnish()
    with proxy_stack(tmp_path_factory.mktemp("proxy")) as running:
        yield running


def twice(url: str, **kw) -> tuple[requests.Response, requests.Response]:
    return requests.get(url, timeout=10, **kw), requests.get(url, timeout=10, **kw)


def test_public_answers_come_from_the_proxy_and_a_closed_appeal_leaves_it_within_2_seconds(stack):
    [(request_id, notice_id, photo_id, name, title)] = stack.appeals(1)
    page_url, photo_url = f"{stack.url}/notices/{notice_id}", f"{stack.url}/media/{photo_id}/public"
    list_url, feed_url = f"{stack.url}/notices", f"{stack.url}/feeds/notices.atom"
    api_url = f"{stack.url}/api/v1/notices/{notice_id}"
    for url in (page_url, photo_url, list_url, feed_url, api_url):
        first, second = twice(url, headers=ENGLISH)
        assert first.status_code == second.status_code == 200, url
        assert second.headers["X-Cache"] == "hit" and "Age" in second.headers, url
        assert "s-maxage=" in second.headers["Cache-Control"] and "public" in second.headers["Cache-Control"]
        assert "xkey" not in second.headers  # the tags stay in the proxy
    page = requests.get(page_url, headers=ENGLISH, timeout=10)
    assert name in page.text and f"/media/{photo_id}/public" in page.text
    assert f"<title>{title}</title>" in requests.get(feed_url, headers=ENGLISH, timeout=10).text
    # Languages are kept apart.
    chinese = requests.get(page_url, headers={"Accept-Language": "zh-CN"}, timeout=10)
    assert 'lang="zh' in chinese.text and 'lang="en"' in page.text

    # An officer's requests never come from, nor go into, the cache.
    officer = signed_in(stack)
    for _ in range(2):
        seen = officer.get(page_url, headers=ENGLISH, timeout=10)
        assert seen.headers["X-Cache"] == "miss" and seen.headers["Cache-Control"] == "private, no-store"
    staff = officer.get(f"{stack.url}/staff/missing/{request_id}", timeout=10)
    assert staff.status_code == 200 and staff.headers["X-Cache"] == "miss" and "no-store" in staff.headers["Cache-Control"]

    close_appeal(stack, officer, request_id)
    committed = stack.resolved_at(notice_id)

    def gone() -> bool:
        page = requests.get(page_url, headers=ENGLISH, timeout=10)
        photo = requests.get(photo_url, timeout=10)
        feed = requests.get(feed_url, headers=ENGLISH, timeout=10)
        return (name not in page.text and photo.status_code == 404 and f"<title>{title}</title>" not in feed.text
                and f"/media/{photo_id}/" not in feed.text)

    wait_until(gone, limit=2.0)
    assert time.time() - committed < 2.0 + 0.5  # the wait started after the POST's answer
    closed = requests.get(page_url, headers=ENGLISH, timeout=10)
    assert closed.status_code == 200 and "closed" in closed.text.lower()
    assert requests.get(api_url, headers=ENGLISH, timeout=10).json()["status"] == "closed"


def test_browsers_that_choose_the_same_language_share_one_cached_copy(stack):
    [(_, notice_id, _, _, _)] = stack.appeals(1)
    url = f"{stack.url}/notices/{notice_id}"

    def seen(header: str | None) -> tuple[str, str]:
        answer = requests.get(url, headers={"Accept-Language": header} if header else {}, timeout=10)
        assert answer.status_code == 200, header
        return answer.headers["X-Cache"], re.search(r'<html[^>]* lang="([a-z]+)', answer.text).group(1)

    assert seen("zh-CN,zh;q=0.9,en;q=0.8") == ("miss", "zh")
    for header in ("zh-CN", "zh-cn", "zh-TW,zh;q=0.9", "zh-Hans-CN, en;q=0.5", "fr;q=0.9, zh", "zh;q=1.0"):
        assert seen(header) == ("hit", "zh"), header
    assert seen("en-GB,en;q=0.9") == ("miss", "en")
    for header in ("en-US", "EN", "de-DE, en", "en;q=1, zh;q=0.9"):
        assert seen(header) == ("hit", "en"), header
    assert seen("ug-CN,ug;q=0.9,zh;q=0.8")[1] == "ug"
    assert seen("ug") == ("hit", "ug")
    # None, or no range naming a language of the portal: its default, the zh-CN copy the warmer fills.
    for header in (None, "fr-FR,fr;q=0.9", "de", "*"):
        assert seen(header) == ("hit", "zh"), header
    # When the choice is not certain from the first ranges, the header goes as sent: still the right language.
    for header, language in (("en;q=0.5, zh", "zh"), ("zh;q=0.2, en;q=0.8", "en"), ("en;q=0, zh", "zh"),
                             ("zh-CN;q=0.9, ug;q=0.95", "ug"), ("fr, *;q=0", "zh")):
        assert seen(header)[1] == language, header


def test_the_language_cookie_lands_on_its_languages_copy_and_an_unknown_one_on_the_headers(stack):
    [(_, notice_id, _, _, _)] = stack.appeals(1)
    url = f"{stack.url}/notices/{notice_id}"

    def seen(headers: dict) -> tuple[str, str]:
        answer = requests.get(url, headers=headers, timeout=10)
        assert answer.status_code == 200 and "Set-Cookie" not in answer.headers, headers
        return answer.headers["X-Cache"], re.search(r'<html[^>]* lang="([a-z]+)', answer.text).group(1)

    # The first request of a copy comes with a cookie: the copy is the language's, for everyone.
    assert seen({"Cookie": "lang=ug; _ga=GA1.2.3", "Accept-Language": "en"}) == ("miss", "ug")
    assert seen({"Accept-Language": "ug"}) == ("hit", "ug")
    assert seen({"Accept-Language": "en"}) == ("miss", "en")  # not ug's copy
    for headers in ({"Cookie": "lang=en"}, {"Cookie": "lang=en", "Accept-Language": "zh-CN"}, {"Cookie": "lang=EN-gb"}):
        assert seen(headers) == ("hit", "en"), headers
    # A value the portal does not know: ignored there, so here too (the header, or the default).
    assert seen({"Cookie": "lang=xx"}) == ("miss", "zh")
    for headers in ({}, {"Accept-Language": "zh-CN"}, {"Cookie": "lang=zh_CN"}, {"Cookie": "lang=", "Accept-Language": "fr"}):
        assert seen(headers) == ("hit", "zh"), headers
    assert seen({"Cookie": "lang=xx", "Accept-Language": "en-US"}) == ("hit", "en")
    assert seen({"Accept-Language": "en"}) == ("hit", "en") and seen({"Accept-Language": "ug"}) == ("hit", "ug")
    # Values the portal may read otherwise (quoted, two of them): its own answer, never a copy's.
    for headers in ({"Cookie": 'lang="ug"'}, {"Cookie": "lang=en; lang=ug"}, {"Cookie": "lang=en.x"}):
        assert seen(headers)[0] == "miss" and seen(headers)[0] == "miss", headers
    assert seen({}) == ("hit", "zh") and seen({"Accept-Language": "en"}) == ("hit", "en")


def test_links_shared_with_tracking_parameters_share_the_cached_copy(stack):
    [(_, notice_id, _, _, _)] = stack.appeals(1)
    for path in (f"/notices/{notice_id}", f"/api/v1/notices/{notice_id}"):
        assert requests.get(f"{stack.url}{path}", headers=ENGLISH, timeout=10).headers["X-Cache"] == "miss"
        for query in ("?from=singlemessage&isappinstalled=0", "?utm_source=weibo&utm_medium=social", "?fbclid=x1",
                      "?from=timeline&from=groupmessage&gclid=2"):
            again = requests.get(f"{stack.url}{path}{query}", headers=ENGLISH, timeout=10)
            assert again.status_code == 200 and again.headers["X-Cache"] == "hit", query
    # Other parameters still tell answers apart: a filtered list is not the whole list.
    whole = requests.get(f"{stack.url}/notices?utm_source=x", headers=ENGLISH, timeout=10)
    filtered = requests.get(f"{stack.url}/notices?kind=wanted&utm_source=x", headers=ENGLISH, timeout=10)
    assert whole.status_code == filtered.status_code == 200 and filtered.headers["X-Cache"] == "miss"
    assert requests.get(f"{stack.url}/notices?kind=wanted", headers=ENGLISH, timeout=10).headers["X-Cache"] == "hit"


def test_forms_and_posts_are_passed_and_only_the_proxys_acl_may_purge(stack):
    form, again = twice(f"{stack.url}/tips/new")
    assert again.headers["X-Cache"] == "miss" and "no-store" in again.headers["Cache-Control"]
    # The test runs on the loopback, which is in the ACL: a purge of an unknown tag is answered.
    purged = requests.request("PURGE", f"{stack.url}/", headers={"xkey-purge": "notice-0"}, timeout=10)
    assert purged.status_code == 200
    refused = requests.request("PURGE", f"{stack.url}/", timeout=10)
    assert refused.status_code == 400


class _Flaky:
    """An app server that looks alive to the proxy's probe (/healthz) but dies on every other request."""

    def __init__(self, port: int):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if self.path == "/healthz":
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                else:
                    self.close_connection = True  # no answer at all: the connection just ends

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_get_an_app_server_dropped_is_answered_by_the_other(stack):
    from tests.coturn import reserve_ports
    from tests.varnish import running_varnish

    port = reserve_ports(1)
    flaky = _Flaky(port.first)
    app_port = int(stack.app_url.rsplit(":", 1)[1])
    try:
        with running_varnish([port.first, app_port]) as url:
            # Round robin sends every other request to the dying server first: each is retried.
            answers = [requests.get(f"{url}/tips/new", timeout=10) for _ in range(6)]
            assert [a.status_code for a in answers] == [200] * 6
    finally:
        flaky.close()
        port.release()
