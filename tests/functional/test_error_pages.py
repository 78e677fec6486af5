"""Every error page answers with its status, a readable message and the call/SMS fallbacks."""
import logging
import os

import pytest
import webtest

import portal
from portal.notices import card_reading as notices

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FALLBACKS = ('href="tel:110"', 'href="tel:122"', 'href="sms:12110')


def assert_fallbacks(page):
    for link in FALLBACKS:
        assert link in page.text
    assert "<script" not in page.text  # the links work with no JavaScript at all


@pytest.mark.parametrize("url", ["/notices/abc", "/notices/99999999999999999999", "/notices/2147483648",
                                 "/no/such/page", "/media/1/original", "/media/99999999999/public"])
def test_malformed_and_unknown_addresses_get_404_with_fallbacks(testapp, url):
    page = testapp.get(url, status=404)
    assert "Page not found" in page.text
    assert_fallbacks(page)


@pytest.mark.parametrize("url", ["/notices?page=%%%", "/notices?page=bm90LWEtY3Vyc29y", "/notices?kind=weapons"])
def test_bad_query_values_get_400_with_fallbacks(testapp, url):
    page = testapp.get(url, status=400)
    assert_fallbacks(page)


def test_unexpected_failure_gets_500_page_without_traceback(testapp, monkeypatch, caplog):
    phone = "1380013" + "8000"  # built at run time so only a leaked message could show it

    def broken(*args, **kwargs):
        raise RuntimeError(f"contact {phone}")

    monkeypatch.setattr(notices, "list_page", broken)
    with caplog.at_level(logging.ERROR):
        page = testapp.get("/notices", status=500)
    assert "Something went wrong on our side" in page.text
    assert "Traceback" not in page.text and "13800138000" not in page.text
    assert_fallbacks(page)
    assert "RuntimeError" in caplog.text and "13800138000" not in caplog.text


@pytest.fixture
def app_without_database(app_settings, tmp_path):
    settings = dict(app_settings, **{"sqlalchemy.url": f"sqlite:///{tmp_path}/missing/dir/db.sqlite"})
    return webtest.TestApp(portal.main({}, **settings), extra_environ={"HTTP_ACCEPT_LANGUAGE": "en"})


@pytest.mark.parametrize("url", ["/", "/notices", "/notices/1", "/notices?kind=wanted"])
def test_public_pages_answer_503_with_fallbacks_when_the_database_is_down(app_without_database, url):
    page = app_without_database.get(url, status=503)
    assert "temporarily unavailable" in page.text
    assert page.headers["Retry-After"] == "30"
    assert_fallbacks(page)


def test_health_and_readiness(testapp, app_without_database):
    assert testapp.get("/healthz").json == {"status": "ok"}
    assert testapp.get("/readyz").json == {"status": "ok"}
    assert app_without_database.get("/healthz").status_int == 200
    down = app_without_database.get("/readyz", status=503)
    assert down.json["status"] == "unavailable"


def test_security_headers_on_pages_and_errors(testapp):
    for page in (testapp.get("/"), testapp.get("/nothing-here", status=404)):
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "same-origin"
        assert page.headers["X-Frame-Options"] == "DENY"


def test_embed_pages_may_be_framed_by_the_configured_sites(testapp):
    page = testapp.get("/embed/alarm")  # the widget (tests/functional/test_alarm_pages.py has more)
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers


def test_staff_pages_are_never_cached(testapp):
    assert testapp.get("/login").headers["Cache-Control"] == "no-store"
    # Under a mount point too (the routes are below it): the rule reads the path below it.
    assert testapp.get("/login", extra_environ={"SCRIPT_NAME": "/portal"}).headers["Cache-Control"] == "no-store"


def test_an_embeddable_page_under_a_mount_point_may_still_be_framed(testapp):
    page = testapp.get("/embed/alarm", extra_environ={"SCRIPT_NAME": "/portal"})
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers


def test_an_oversized_form_body_gets_413_and_changes_nothing(testapp):
    page = testapp.post("/login", {"username": "x", "password": "y" * 300_000}, status=413)
    assert "larger than this service accepts" in page.text
    assert_fallbacks(page)


def test_waitress_never_answers_before_the_portal_for_a_body_size():
    """Waitress's own 413 is plain text without the fallbacks: its limit lies above every limit of the
    portal, so the portal's page (above) answers first (issue 10, "never a bare error")."""
    from configparser import ConfigParser

    from portal.core.settings import DEFAULTS

    portal_limit = max(int(DEFAULTS["portal.tip.max_total_mb"]) * 1024 * 1024, int(DEFAULTS["portal.max_form_bytes"]))
    for name in ("development.ini", "production.ini"):
        parser = ConfigParser(interpolation=None)
        parser.read(os.path.join(ROOT, name))
        assert int(parser["server:main"]["max_request_body_size"]) > 2 * portal_limit, name


def test_the_proxys_own_error_page_carries_the_fallbacks(testapp):
    """The page the reverse proxy serves when no app server answers (README: Production)."""
    page = testapp.get("/static/errors/unavailable.html")
    for link in ('href="tel:110"', 'href="tel:122"', 'href="sms:12110"'):
        assert link in page.text
    assert "<script" not in page.text
