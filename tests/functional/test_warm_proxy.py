"""portal-warm-proxy through a real Varnish with deploy/varnish/safety-portal.vcl in front of the portal
(tests/proxy_stack.py), the app wrapped to watch what reaches it: after warming, visitors' requests for
the warmed answers are hits in every language; open missing-person appeals are fetched before other
notices; `--refresh` replaces each copy (after an upgrade) while visitors keep the old one, and only
from the purgers' addresses; no more requests at once than asked; an unreachable proxy fails clearly.
And the VCL's grace:
a copy past its TTL is served while a fresh one is fetched, but a purge still removes it at once.
Skips without Debian's varnish and varnish-modules unless PORTAL_REQUIRE_VARNISH=1."""
import http.client
import threading
import time

import pytest
import requests

from portal.scripts import warm_proxy
from portal.scripts.common import db_session
from tests.coturn import reserve_ports
from tests.factories import make_notice
from tests.proxy_stack import proxy_stack, wait_until
from tests.varnish import skip_or_fail_without_varnish

PUBLIC_HOST = "portal.test"  # tests/conftest.py's portal.public_url: the Host nginx would send
# What browsers set to these languages send; the VCL makes each one of the warmed copies.
BROWSERS = ("zh-CN,zh;q=0.9,en;q=0.8", "en-GB,en;q=0.9", "ug-CN,ug;q=0.9")


class Watch:
    """WSGI middleware: the requests that reach the app server (not the proxy's health probes), and how
    many it answered at once."""

    def __init__(self, app):
        self.app, self.lock, self.delay = app, threading.Lock(), 0.0
        self.seen, self.in_flight, self.most_in_flight = [], 0, 0

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/healthz":
            return self.app(environ, start_response)
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            query = environ.get("QUERY_STRING")
            self.seen.append((environ.get("HTTP_HOST", ""), environ["PATH_INFO"] + (f"?{query}" if query else ""),
                              environ.get("HTTP_ACCEPT_LANGUAGE")))
        try:
            time.sleep(self.delay)
            return self.app(environ, start_response)
        finally:
            with self.lock:
                self.in_flight -= 1

    def reset(self, delay=0.0):
        with self.lock:
            self.seen, self.most_in_flight, self.delay = [], 0, delay


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    skip_or_fail_without_varnish()
    watches = []

    def wrap(app):
        watches.append(Watch(app))
        return watches[0]

    base = tmp_path_factory.mktemp("warm")
    with proxy_stack(base, wrap=wrap) as stack:
        appeals = stack.appeals(2)  # (request, notice, photo, name, title), the second the newest
        with db_session(stack.settings) as dbsession:
            from portal.units.models import Unit

            unit = dbsession.get(Unit, stack.units["city_a"])
            others = [make_notice(dbsession, unit, kind=kind).id for kind in ("wanted", "vehicle")]  # newer still
        ini = base / "portal.ini"
        ini.write_text("[app:main]\nuse = egg:safety-portal\n"
                       + "".join(f"{k} = {v}\n" for k, v in stack.settings.items()))
        yield stack, watches[0], appeals, others, str(ini)


def visitor_get(stack, path, language):
    return requests.get(f"{stack.url}{path}", headers={"Host": PUBLIC_HOST, "Accept-Language": language}, timeout=10)


def test_after_warming_the_public_answers_are_hits_and_appeals_came_first(watched, capsys):
    stack, watch, appeals, others, ini = watched
    watch.reset()
    assert warm_proxy.main([ini, "--concurrency", "1"]) == 0
    summary = capsys.readouterr().out
    assert f"{stack.url}/: warmed " in summary and " s: 0 hits, " in summary and ", 0 errors" in summary

    # What reached the app, in order: every request a visitor's (the public host), home first.
    reached = [(path, language) for host, path, language in watch.seen]
    assert {host for host, _p, _l in watch.seen} == {PUBLIC_HOST}
    assert reached[:3] == [("/", "zh-CN"), ("/", "en"), ("/", "ug")]
    pages = [path for path, _l in reached if path.startswith("/notices/")]
    appeal_pages = [f"/notices/{a[1]}" for a in sorted(appeals, key=lambda a: -a[1])]  # newest first
    assert list(dict.fromkeys(pages)) == appeal_pages + [f"/notices/{n}" for n in sorted(others, reverse=True)]
    # Asked once, with no language (the VCL gives it the default's: the answer is the same in any)
    first_photo = reached.index((f"/media/{appeals[1][2]}/public", "zh-CN"))
    assert reached.index((appeal_pages[0], "ug")) < first_photo < reached.index((appeal_pages[1], "zh-CN"))
    assert reached[-1] == ("/robots.txt", "zh-CN") and reached.count(("/robots.txt", "zh-CN")) == 1
    assert not any(p.startswith(("/staff", "/login")) for p, _l in reached)

    # Visitors now get the warmed copies, whichever header their browser sends.
    notice_id = appeals[0][1]
    for path in ("/", "/notices", "/notices?kind=missing_person", f"/notices/{notice_id}",
                 f"/api/v1/notices/{notice_id}", f"/notices/{others[0]}", "/feeds/notices.atom"):
        for language in BROWSERS:
            answer = visitor_get(stack, path, language)
            assert answer.status_code == 200 and answer.headers["X-Cache"] == "hit", (path, language)
    # So do crawlers and webviews that send no Accept-Language, and readers who chose a language (the
    # lang cookie): the VCL lands them on the same copies, in the right language.
    for headers, language in (({}, "zh"), ({"Accept-Language": "fr-FR"}, "zh"), ({"Cookie": "lang=en"}, "en"),
                              ({"Cookie": "lang=ug; _ga=1", "Accept-Language": "zh-CN"}, "ug"),
                              ({"Cookie": "lang=xx"}, "zh")):
        for path in ("/", "/notices", f"/notices/{notice_id}", f"/api/v1/notices/{notice_id}", "/feeds/notices.atom"):
            answer = requests.get(f"{stack.url}{path}", headers={"Host": PUBLIC_HOST, **headers}, timeout=10)
            assert answer.status_code == 200 and answer.headers["X-Cache"] == "hit", (path, headers)
        page = requests.get(f"{stack.url}/notices/{notice_id}", headers={"Host": PUBLIC_HOST, **headers}, timeout=10)
        assert f'lang="{language}' in page.text, headers
    photo = visitor_get(stack, f"/media/{appeals[0][2]}/public", BROWSERS[0])
    assert photo.headers["X-Cache"] == "hit" and photo.headers["Content-Type"] == "image/jpeg"
    assert 'lang="ug"' in visitor_get(stack, f"/notices/{notice_id}", BROWSERS[2]).text

    # A second run finds everything in the proxy and renders nothing.
    watch.reset()
    assert warm_proxy.main([ini]) == 0
    assert ", 0 misses, 0 errors" in capsys.readouterr().out and watch.seen == []


def from_another_address(stack, method, path, headers):
    """A request from 127.0.0.2: a client the VCL's purgers ACL (127.0.0.1) does not name."""
    connection = http.client.HTTPConnection(stack.url.split("//")[1].rstrip("/").split(":")[0],
                                            int(stack.url.rstrip("/").rsplit(":", 1)[1]), timeout=10,
                                            source_address=("127.0.0.2", 0))
    try:
        connection.request(method, path, headers={"Host": PUBLIC_HOST, **headers})
        answer = connection.getresponse()
        return answer.status, answer.getheader("X-Cache"), answer.read().decode()
    finally:
        connection.close()


def test_a_refresh_replaces_each_copy_without_emptying_the_proxy(watched, capsys):
    """After an upgrade that changes what pages show (here: a title changed with no purge, as a new
    template would), visitors get the old copy until --refresh has rendered its new one."""
    stack, watch, _appeals, others, ini = watched
    path = f"/notices/{others[1]}"
    visitor_get(stack, path, BROWSERS[1])
    assert visitor_get(stack, path, BROWSERS[1]).headers["X-Cache"] == "hit"
    with db_session(stack.settings) as dbsession:
        from portal.notices.models import Notice

        notice = dbsession.get(Notice, others[1])
        old_title, notice.title = notice.title, "Title after the upgrade"
        # committed as the block ends, straight to the table: no purge is queued
    stale = visitor_get(stack, path, BROWSERS[1])
    assert stale.headers["X-Cache"] == "hit" and old_title in stale.text

    # Not from a purger: the header is ignored and the old copy served; a PURGE is refused.
    status, cache, body = from_another_address(stack, "GET", path, {"Accept-Language": "en", "X-Portal-Refresh": "1"})
    assert (status, cache) == (200, "hit") and old_title in body
    assert from_another_address(stack, "PURGE", "/", {"xkey-purge": f"notice-{others[1]}"})[0] == 403
    # Nor through nginx (which sets X-Forwarded-Proto and refuses PURGE itself): refused all the same.
    through_nginx = requests.request("PURGE", f"{stack.url}/", timeout=5, headers={
        "xkey-purge": f"notice-{others[1]}", "X-Forwarded-Proto": "https"})
    assert through_nginx.status_code == 403

    watch.reset()
    assert warm_proxy.main([ini, "--refresh", "--concurrency", "1"]) == 0
    summary = capsys.readouterr().out
    assert " s: 0 hits, " in summary and ", 0 errors" in summary  # every answer rendered anew
    assert (PUBLIC_HOST, path, "en") in watch.seen and (PUBLIC_HOST, "/", "zh-CN") in watch.seen
    watch.reset()
    fresh = visitor_get(stack, path, BROWSERS[1])
    assert fresh.headers["X-Cache"] == "hit" and "Title after the upgrade" in fresh.text
    assert watch.seen == []  # the refreshed copy, not a render of the visitor's own


def test_no_more_requests_at_once_than_the_concurrency(watched, capsys):
    stack, watch, *_rest, ini = watched
    watch.reset(delay=0.05)  # each render takes a while: the warmer's clients overlap if they can
    # Another public host: copies of its own in the proxy, so every request reaches the app again.
    assert warm_proxy.main([ini, "--public-url", "http://other.test", "--concurrency", "2"]) == 0
    assert len(watch.seen) > 20 and {host for host, _p, _l in watch.seen} == {"other.test"}
    assert watch.most_in_flight == 2
    assert warm_proxy.main([ini, "--public-url", "http://third.test", "--max-requests", "5"]) == 0
    assert len([s for s in watch.seen if s[0] == "third.test"]) == 5
    assert "warmed 5 of" in capsys.readouterr().out.splitlines()[-1]


def test_an_unreachable_proxy_fails_clearly(watched, capsys):
    *_rest, ini = watched
    reservation = reserve_ports(1)  # nothing listens there
    try:
        assert warm_proxy.main([ini, "--proxy", f"http://127.0.0.1:{reservation.first}/"]) == 2
    finally:
        reservation.release()
    error = capsys.readouterr().err
    assert f"cannot reach the proxy http://127.0.0.1:{reservation.first}/" in error and "ConnectionRefused" in error


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory):
    """Answers the proxy may keep 2 s fresh, then serve stale for 30 s while it fetches a new copy."""
    skip_or_fail_without_varnish()
    watches = []

    def wrap(app):
        watches.append(Watch(app))
        return watches[0]

    with proxy_stack(tmp_path_factory.mktemp("grace"), wrap=wrap, **{
            "portal.cache.s_maxage": "2", "portal.cache.stale_while_revalidate": "30"}) as stack:
        yield stack, watches[0]


def test_past_its_ttl_a_copy_is_served_while_a_fresh_one_is_fetched_but_a_purge_removes_it(short_lived):
    stack, watch = short_lived
    [(_request_id, notice_id, _photo, name, _title)] = stack.appeals(1)
    path = f"/notices/{notice_id}"
    assert visitor_get(stack, path, "en").headers["X-Cache"] == "miss"
    time.sleep(2.5)  # past s-maxage
    watch.reset(delay=1.0)  # the refetch is slow: the stale copy must not wait for it
    began = time.monotonic()
    stale = visitor_get(stack, path, "en")
    assert time.monotonic() - began < 0.5 and stale.headers["X-Cache"] == "hit"
    assert int(stale.headers["Age"]) >= 2 and name in stale.text
    wait_until(lambda: (PUBLIC_HOST, path, "en") in watch.seen, limit=5)  # fetched in the background
    wait_until(lambda: int(visitor_get(stack, path, "en").headers["Age"]) < 2, limit=5)  # the fresh copy

    # Grace never outlives a purge: the closed appeal's tag removes the copy, stale or not.
    watch.reset()
    time.sleep(2.5)
    purge = requests.request("PURGE", f"{stack.url}/", headers={"xkey-purge": f"notice-{notice_id}"}, timeout=5)
    assert purge.status_code == 200
    assert visitor_get(stack, path, "en").headers["X-Cache"] == "miss"
    assert (PUBLIC_HOST, path, "en") in watch.seen
