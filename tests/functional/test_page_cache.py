"""The anonymous micro-cache: hits for identical public requests, never for personal ones."""
import pytest
import webtest

import portal
from portal.services.ratelimit import IRateLimiter, MemoryRateLimiter
from tests.factories import make_notice, make_units


@pytest.fixture
def cached_app(app_settings, engine, tm, dbsession):
    app = portal.main({}, **dict(app_settings, **{"portal.page_cache_seconds": "30"}))
    app.registry.registerUtility(MemoryRateLimiter(), IRateLimiter)
    testapp = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "en",
                                                  "tm.active": True, "tm.manager": tm, "app.dbsession": dbsession})
    return app, testapp


def test_second_anonymous_request_is_a_hit_until_invalidated(cached_app, dbsession):
    app, testapp = cached_app
    notice = make_notice(dbsession, make_units(dbsession)["city_a"], title="First title")
    first = testapp.get("/notices")
    assert "X-Page-Cache" not in first.headers
    notice.title = "Changed title"
    dbsession.flush()
    hit = testapp.get("/notices")
    assert hit.headers["X-Page-Cache"] == "hit" and "First title" in hit.text
    assert hit.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    app.registry["page_cache"].clear()
    assert "Changed title" in testapp.get("/notices").text


def test_locales_are_cached_apart(cached_app, dbsession):
    _, testapp = cached_app
    testapp.get("/")
    chinese = testapp.get("/", headers={"Accept-Language": "zh-CN"})
    assert "X-Page-Cache" not in chinese.headers and '<html lang="zh-Hans"' in chinese.text


def test_personal_and_failed_requests_are_never_cached(cached_app, dbsession):
    _, testapp = cached_app
    for _ in range(2):
        assert "X-Page-Cache" not in testapp.get("/notices?lang=ug").headers  # sets a cookie
        assert "X-Page-Cache" not in testapp.get("/notices/999", status=404).headers
        assert "X-Page-Cache" not in testapp.get("/login").headers
    testapp.get("/notices")
    testapp.set_cookie("portal_session", "anything")
    assert "X-Page-Cache" not in testapp.get("/notices").headers


def test_unit_changes_clear_the_cache(cached_app, dbsession, dummy_request):
    app, testapp = cached_app
    units = make_units(dbsession)
    testapp.get("/notices")
    dummy_request.registry = app.registry
    dummy_request.environ["app.dbsession"] = dbsession
    from portal.services import units as unit_service

    unit_service.update(dummy_request, units["city_a"], phone_110="0399-7110")
    assert "X-Page-Cache" not in testapp.get("/notices").headers


def test_a_change_committed_by_another_server_drops_cached_pages_within_the_check_interval(cached_app, engine):
    from sqlalchemy import update

    from portal.models import PublicGeneration

    app, testapp = cached_app
    watch = app.registry["page_cache_watch"]
    testapp.get("/notices")
    assert testapp.get("/notices").headers["X-Page-Cache"] == "hit"
    with engine.begin() as connection:  # another server publishes something
        connection.execute(update(PublicGeneration).values(generation=PublicGeneration.generation + 1))
    watch._next_check = 0.0  # the check interval has passed
    assert "X-Page-Cache" not in testapp.get("/notices").headers
    assert testapp.get("/notices").headers["X-Page-Cache"] == "hit"


def test_a_hit_carries_every_header_of_the_page_it_repeats(app_settings, engine, tm, dbsession):
    # Served in front of Pyramid, a hit runs no subscriber: the cached page keeps their headers (HSTS too).
    app = portal.main({}, **dict(app_settings, **{"portal.page_cache_seconds": "30", "portal.session_secure": "true"}))
    testapp = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "en",
                                                  "tm.active": True, "tm.manager": tm, "app.dbsession": dbsession})
    make_notice(dbsession, make_units(dbsession)["city_a"], title="Headers")
    first, hit = testapp.get("/notices"), testapp.get("/notices")
    assert hit.headers["X-Page-Cache"] == "hit" and hit.body == first.body
    assert "Strict-Transport-Security" in hit.headers
    assert {k: v for k, v in hit.headers.items() if k != "X-Page-Cache"} == dict(first.headers.items())


def test_a_page_rendered_for_one_host_name_is_never_served_for_another(cached_app, dbsession, units):
    _, testapp = cached_app
    notice = make_notice(dbsession, units["city_a"])
    testapp.get(f"/notices/{notice.id}")
    assert testapp.get(f"/notices/{notice.id}").headers["X-Page-Cache"] == "hit"
    forged = testapp.get(f"/notices/{notice.id}", extra_environ={"HTTP_HOST": "evil.example"})
    assert "X-Page-Cache" not in forged.headers
    assert "evil.example" not in testapp.get(f"/notices/{notice.id}").text
