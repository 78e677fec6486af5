"""The public through an outage of every app server, through a real Varnish with
deploy/varnish/safety-portal.vcl (tests/proxy_stack.py), on short settings: copies may be kept 1 s
fresh, served stale 1 s while a fresh one is fetched (stale-while-revalidate), and for an hour when no app
server answers (stale-if-error). While one is up, a copy past both windows is fetched anew; with none, the
copies stay readable past them, a purged one (a closed appeal) is gone at once, and what the proxy has
no copy of is the outage page with the call and SMS links, a 503 with Retry-After.
Skips without Debian's varnish and varnish-modules unless PORTAL_REQUIRE_VARNISH=1."""
import time

import pytest
import requests

from tests.coturn import reserve_ports
from tests.nginx import get as nginx_get
from tests.nginx import running_nginx
from tests.proxy_stack import proxy_stack, wait_until
from tests.varnish import every_backend_sick, skip_or_fail_without_varnish

SHORT = {"portal.cache.s_maxage": "1", "portal.cache.stale_while_revalidate": "1",
         "portal.cache.stale_if_error": "3600"}
ENGLISH = {"Accept-Language": "en"}
NGINX_HOST = "portal.example.cn"  # the Host nginx passes on (tests/nginx.py)


@pytest.fixture
def stack(tmp_path):
    skip_or_fail_without_varnish()
    with proxy_stack(tmp_path, **SHORT) as running:
        yield running


def get(stack, path, host=None):
    return requests.get(f"{stack.url}{path}", headers={**ENGLISH, **({"Host": host} if host else {})}, timeout=10)


def assert_outage_page(answer, text=None):
    status = getattr(answer, "status_code", None) or answer.status  # requests', or http.client's
    assert status == 503 and int(answer.headers["Retry-After"]) > 0
    assert answer.headers["Cache-Control"] == "no-store"
    text = answer.text if text is None else text
    assert 'href="tel:110"' in text and 'href="tel:122"' in text and 'href="sms:12110"' in text
    assert "<script" not in text and "Guru Meditation" not in text


def test_while_an_app_server_is_up_a_copy_past_both_windows_is_fetched_anew(stack):
    [(_request, notice_id, _photo, name, _title)] = stack.appeals(1)
    path = f"/notices/{notice_id}"
    first = get(stack, path)
    assert first.headers["Cache-Control"].endswith("stale-if-error=3600") and first.headers["X-Cache"] == "miss"
    time.sleep(2.5)  # past s-maxage and stale-while-revalidate, far within stale-if-error
    again = get(stack, path)
    assert again.status_code == 200 and name in again.text
    assert again.headers["X-Cache"] == "miss" and int(again.headers["Age"]) == 0  # not the day-long grace


class Failing:
    """WSGI middleware: once `failing` is set, every request but the proxy's probe gets a 500, as from an
    app server whose database is gone."""

    def __init__(self, app):
        self.app, self.failing = app, False

    def __call__(self, environ, start_response):
        if self.failing and environ["PATH_INFO"] != "/healthz":
            start_response("500 Internal Server Error", [("Content-Type", "text/plain"), ("Cache-Control", "no-store")])
            return [b"database unavailable"]
        return self.app(environ, start_response)


def test_an_app_server_that_answers_errors_never_replaces_a_copy(tmp_path):
    skip_or_fail_without_varnish()
    wrapped = []
    with proxy_stack(tmp_path, wrap=lambda app: wrapped.append(Failing(app)) or wrapped[0], **SHORT) as stack:
        [(_request, notice_id, _photo, name, _title)] = stack.appeals(1)
        path = f"/notices/{notice_id}"
        assert get(stack, path).headers["X-Cache"] == "miss"
        time.sleep(2.5)
        wrapped[0].failing = True
        for _ in range(3):  # past both windows: the fresh copy fails (500), the stale one is served
            stale = get(stack, path)
            assert stale.status_code == 200 and name in stale.text and int(stale.headers["Age"]) >= 2
        assert get(stack, "/notices?kind=wanted").status_code == 500  # no copy: the app's own answer
        wrapped[0].failing = False
        wait_until(lambda: int(get(stack, path).headers["Age"]) == 0, limit=5)  # it recovers: fresh again


def test_a_refresh_that_meets_a_failing_app_server_keeps_the_copy(tmp_path):
    """portal-warm-proxy --refresh while an app server answers 500: the refresher is told (503), and
    visitors keep the good copy, from the cache, instead of that 500 hiding it as a hit-for-miss."""
    skip_or_fail_without_varnish()
    wrapped = []
    with proxy_stack(tmp_path, wrap=lambda app: wrapped.append(Failing(app)) or wrapped[0]) as stack:
        [(_request, notice_id, _photo, name, _title)] = stack.appeals(1)
        path = f"/notices/{notice_id}"
        assert get(stack, path).headers["X-Cache"] == "miss"
        wrapped[0].failing = True
        refresh = requests.get(f"{stack.url}{path}", headers={**ENGLISH, "X-Portal-Refresh": "1"}, timeout=10)
        assert refresh.status_code == 503  # from this test's address, one of the VCL's purgers
        for _ in range(3):
            kept = get(stack, path)
            assert kept.status_code == 200 and name in kept.text and kept.headers["X-Cache"] == "hit"
        wrapped[0].failing = False
        refresh = requests.get(f"{stack.url}{path}", headers={**ENGLISH, "X-Portal-Refresh": "1"}, timeout=10)
        assert refresh.status_code == 200 and refresh.headers["X-Cache"] == "miss"  # rendered anew, now


def test_with_every_app_server_down_the_copies_stay_readable_but_purges_still_remove_them(stack, tmp_path):
    (_r1, kept_id, photo_id, kept_name, _t1), (_r2, closed_id, _p2, closed_name, _t2) = stack.appeals(2)
    kept, closed, photo = f"/notices/{kept_id}", f"/notices/{closed_id}", f"/media/{photo_id}/public"
    for path in (kept, closed, photo, "/notices", "/"):
        assert get(stack, path).status_code == 200, path
    assert get(stack, kept, host=NGINX_HOST).status_code == 200  # the copy visitors through nginx get
    time.sleep(2.5)  # past s-maxage and stale-while-revalidate
    stack.stop_app()
    # At once, before the probe (every 2 s) finds the app server gone: its fetch fails, the copy after all.
    stale = get(stack, kept)
    assert stale.status_code == 200 and kept_name in stale.text and int(stale.headers["Age"]) >= 2
    assert get(stack, "/tips/new").status_code == 503  # no copy: nothing else to give

    # Once the probe says so (a few seconds), past the windows again: every copy is served, at once.
    wait_until(lambda: every_backend_sick(stack.url), limit=15, step=0.5)
    time.sleep(2.5)
    for path in (kept, closed, "/notices", "/"):
        began = time.monotonic()
        answer = get(stack, path)
        assert answer.status_code == 200 and answer.headers["X-Cache"] == "hit", path
        assert time.monotonic() - began < 0.5 and int(answer.headers["Age"]) >= 5, path
    assert kept_name in get(stack, kept).text and closed_name in get(stack, closed).text
    assert get(stack, photo).status_code == 200 and get(stack, photo).headers["Content-Type"] == "image/jpeg"

    # A closed appeal leaves the proxy at once, outage or not: the outage page, never its copy.
    purged = requests.request("PURGE", f"{stack.url}/", headers={"xkey-purge": f"notice-{closed_id}"}, timeout=5)
    assert purged.status_code == 200 and int(purged.headers["X-Purged"]) >= 1
    gone = get(stack, closed)
    assert closed_name not in gone.text
    assert_outage_page(gone)
    assert get(stack, kept).status_code == 200  # the others stay

    # What the proxy has no copy of: the outage page, for a page, a form and a submission alike.
    for answer in (get(stack, "/notices?kind=wanted"), get(stack, "/tips/new"),
                   requests.post(f"{stack.url}/tips", data={"x": "1"}, timeout=10)):
        assert_outage_page(answer)

    # As visitors get them, through nginx (deploy/nginx) in front of that Varnish: the same.
    reservation = reserve_ports(2)
    try:
        (tmp_path / "nginx").mkdir()
        with running_nginx(tmp_path / "nginx", *reservation.ports, int(stack.url.rsplit(":", 1)[1])):
            language = {"Accept-Language": "en", "Accept-Encoding": "identity"}
            answer, body = nginx_get(reservation.ports[1], kept, language)
            assert answer.status == 200 and kept_name in body.decode()
            answer, body = nginx_get(reservation.ports[1], "/notices?kind=vehicle", language)
            assert_outage_page(answer, body.decode())
    finally:
        reservation.release()
