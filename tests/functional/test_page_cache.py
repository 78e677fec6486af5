"""The anonymous micro-cache: hits for identical public requests, never for personal ones."""
from urllib.parse import quote

import pytest
import webtest

import portal
from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter
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


def test_the_language_cookie_and_accept_language_choose_the_cached_page(cached_app, dbsession):
    _, testapp = cached_app
    for _ in range(2):  # the second round comes from the cache: each choice keeps its own page
        assert '<html lang="ug"' in testapp.get("/", headers={"Cookie": "lang=ug"}).text
        assert '<html lang="zh-Hans"' in testapp.get("/", headers={"Accept-Language": "zh-TW, en;q=0.5"}).text
        assert '<html lang="en"' in testapp.get("/").text
    assert testapp.get("/", headers={"Cookie": "lang=ug"}).headers["X-Page-Cache"] == "hit"


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
    from portal.units import services as unit_service

    unit_service.update(dummy_request, units["city_a"], phone_110="0399-7110")
    assert "X-Page-Cache" not in testapp.get("/notices").headers


def test_a_change_committed_by_another_server_drops_cached_pages_within_the_check_interval(cached_app, engine):
    from sqlalchemy import update

    from portal.core.generation import PublicGeneration

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
    # Not localhost's page from memory; and its links are portal.public_url's, never the forged host's.
    assert forged.headers.get("X-Page-Cache") != "hit" and "localhost" not in forged.text
    assert "evil.example" not in forged.text and f"http://portal.test/notices/{notice.id}" in forged.text
    assert "evil.example" not in testapp.get(f"/notices/{notice.id}").text
    # A host that is not a plain host name is never written into a stored page: Pyramid renders (and escapes) it.
    odd = testapp.get(f"/notices/{notice.id}", extra_environ={"HTTP_HOST": 'evil.example"><script>x'})
    assert "X-Page-Cache" not in odd.headers and "<script>x" not in odd.text


# Notice pages stored per notice (services/notice_pages.py) ---------------------------------------

NAME = "欧阳秀英"


def server(app_settings, tm, dbsession, **settings):
    """One application server; several share the database as production's do."""
    app = portal.main({}, **dict(app_settings, **{"portal.page_cache_seconds": "30", **settings}))
    app.registry.registerUtility(MemoryRateLimiter(), IRateLimiter)
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "en",
                                               "tm.active": True, "tm.manager": tm, "app.dbsession": dbsession})


@pytest.fixture
def servers(app_settings, tm, dbsession):
    return lambda **settings: server(app_settings, tm, dbsession, **settings)


def appeal(dbsession, units, **kw):
    """A published missing-person appeal with a photo, verified by a command center."""
    from portal.core.meta import utcnow
    from portal.media.models import Media

    notice = make_notice(dbsession, units["city_a"], kind="missing_person", title=f"寻人启事：{NAME}",
                         body=f"{NAME}于昨日走失。\n\n请转发 & 留意 <她>。", verified_by_unit=units["province"],
                         verified_at=utcnow(), **kw)
    notice.missing_person.full_name = NAME
    notice.missing_person.last_seen_place = "人民公园东门"
    dbsession.add(Media(notice=notice, kind="image", sha256="0" * 64, size=1, content_type="image/jpeg",
                        original_key="o.jpg", public_key="p.jpg", thumb_key="t.jpg", width=40, height=30,
                        alt_text=NAME))
    dbsession.flush()
    return notice


def said(response) -> str:
    """What a page or API answer says (the API writes Chinese as \\u escapes)."""
    return response.text if response.content_type != "application/json" else str(response.json)


def page_rows(dbsession, notice):
    from sqlalchemy import select

    from portal.notices.page_store_models import NoticePage

    return set(dbsession.execute(select(NoticePage.variant).where(NoticePage.notice_id == notice.id)).scalars())


def test_a_stored_page_is_byte_for_byte_what_the_application_renders_for_that_host(servers, dbsession, units):
    notice = appeal(dbsession, units)
    plain, first, other = servers(**{"portal.page_cache_seconds": "0"}), servers(), servers()
    for host, scheme in (("localhost", "http"), ("portal.example:8443", "https"), ("portal.example:443", "https"),
                         ("[2001:db8::1]:8080", "http")):
        for path in (f"/notices/{notice.id}", f"/api/v1/notices/{notice.id}"):
            for language in ("zh-CN", "en", "ug"):
                environ = {"HTTP_HOST": host, "wsgi.url_scheme": scheme, "HTTP_ACCEPT_LANGUAGE": language}
                expected = plain.get(path, extra_environ=environ)
                served = first.get(path, extra_environ=environ)  # rendered and stored, or from the store
                stored = other.get(path, extra_environ=environ)  # another server: from the store
                assert stored.headers["X-Page-Cache"] == "stored"
                assert served.body == stored.body == expected.body, (host, path, language)
                validators = {"ETag", "Cache-Control", "Vary", "X-Page-Cache"}
                assert ({k: v for k, v in stored.headers.items() if k not in validators}
                        == {k: v for k, v in expected.headers.items() if k not in validators})
                assert served.headers["ETag"] == stored.headers["ETag"]
    # Whatever the host, the links carry portal.public_url (as it is, and percent-encoded in share links).
    for host in ("portal.example:8443", "portal.example:443"):
        page = other.get(f"/notices/{notice.id}", extra_environ={"HTTP_HOST": host, "wsgi.url_scheme": "https"})
        assert f'href="http://portal.test/notices/{notice.id}"' in page.text
        assert quote(f"http://portal.test/notices/{notice.id}") in page.text
        assert "invalid" not in page.text and "portal.example" not in page.text
    assert page_rows(dbsession, notice) == {f"{kind}:{lang}" for kind in ("html", "api") for lang in ("zh_CN", "en", "ug")}


def test_every_change_to_what_a_page_shows_is_seen_at_once_on_every_server(servers, dbsession, units):
    from portal.media.models import Media

    notice = appeal(dbsession, units)
    first, path = servers(), f"/notices/{notice.id}"
    first.get(path)
    changes = [
        ("title", lambda: setattr(notice, "title", "Title two"), "Title two"),
        ("person", lambda: setattr(notice.missing_person, "clothing", "red scarf"), "red scarf"),
        ("photo", lambda: setattr(notice.media[0], "alt_text", "new alt"), "new alt"),
        ("unit", lambda: setattr(units["city_a"], "name_en", "Renamed City"), "Renamed City"),
        ("verifying unit", lambda: setattr(units["province"], "name_en", "Renamed Province"), "Renamed Province"),
    ]
    for name, change, shown in changes:
        assert servers().get(path).headers["X-Page-Cache"] == "stored", name
        change()
        dbsession.flush()
        assert page_rows(dbsession, notice) == set(), name
        fresh = servers().get(path)  # a server that never saw the page: no stale row to serve
        assert "X-Page-Cache" not in fresh.headers and shown in fresh.text, name
    # A photo taken off the notice: both notices' pages go.
    other = make_notice(dbsession, units["city_b"])
    servers().get(f"/notices/{other.id}")
    photo = dbsession.get(Media, notice.media[0].id)
    photo.notice = other
    dbsession.flush()
    assert page_rows(dbsession, notice) == page_rows(dbsession, other) == set()
    assert f"/media/{photo.id}/" not in servers().get(path).text


def test_a_closed_appeal_shows_nothing_of_the_person_on_any_server_at_once(servers, dbsession, units, dummy_request):
    from portal.core import generation

    notice = appeal(dbsession, units)
    here, elsewhere = servers(), servers()
    paths = (f"/notices/{notice.id}", f"/api/v1/notices/{notice.id}")
    for testapp in (here, elsewhere):
        for path in paths:
            assert NAME in said(testapp.get(path))
            assert NAME in said(testapp.get(path))  # now in this server's memory too
    notice.state = "resolved"  # what missing.transition does, in the same transaction as...
    dummy_request.registry = here.app.registry
    generation.invalidate(dummy_request)  # ...the shared generation bump (other servers within the check interval)
    dbsession.flush()
    elsewhere.app.registry["page_cache"].clear()  # what elsewhere's generation watch does within a second
    for testapp in (here, elsewhere, servers()):  # servers(): one that never saw the appeal
        for path in paths:
            response = testapp.get(path)
            assert NAME not in said(response) and "X-Page-Cache" not in response.headers
            assert "人民公园东门" not in said(response)
        assert "This appeal has been closed" in testapp.get(paths[0]).text
        assert testapp.get(paths[1]).json == {"id": notice.id, "kind": "missing_person", "status": "closed"}


def test_unpublished_and_expired_notices_are_never_served_from_the_store(servers, dbsession, units):
    from datetime import timedelta

    from sqlalchemy import update

    from portal.core.meta import utcnow
    from portal.notices.models import Notice

    draft = make_notice(dbsession, units["city_a"], state="draft")
    testapp = servers()
    testapp.get(f"/notices/{draft.id}", status=404)
    testapp.get(f"/api/v1/notices/{draft.id}", status=404)
    assert page_rows(dbsession, draft) == set()
    notice = make_notice(dbsession, units["city_a"], expires_at=utcnow() + timedelta(hours=1))
    testapp.get(f"/notices/{notice.id}")
    assert page_rows(dbsession, notice) == {"html:en"}
    # Time passes: nothing changed the notice (the worker has not marked it expired yet).
    dbsession.execute(update(Notice).where(Notice.id == notice.id).values(expires_at=utcnow() - timedelta(seconds=1)))
    servers().get(f"/notices/{notice.id}", status=404)


def test_pages_of_another_code_version_are_never_served(servers, dbsession, units):
    notice = make_notice(dbsession, units["city_a"], title="Old templates")
    servers().get(f"/notices/{notice.id}")
    deployed = servers()
    deployed.app.registry["notice_pages"].version = "a-new-deploy"
    assert "X-Page-Cache" not in deployed.get(f"/notices/{notice.id}").headers  # rendered again, and stored
    assert deployed.get(f"/notices/{notice.id}", extra_environ={"HTTP_HOST": "a"}).headers["X-Page-Cache"] == "stored"
    assert "X-Page-Cache" not in servers().get(f"/notices/{notice.id}").headers  # the old code's server renders


def test_conditional_requests_get_304_until_the_page_changes(servers, dbsession, units):
    notice = make_notice(dbsession, units["city_a"])
    first, other, path = servers(), servers(), f"/notices/{notice.id}"
    page = first.get(path)
    assert page.headers["Cache-Control"] == "no-cache" and page.headers["Vary"] == "Accept-Language, Cookie"
    tag = page.headers["ETag"]
    for testapp in (first, other):  # from memory, and from the store
        unchanged = testapp.get(path, headers={"If-None-Match": tag}, status=304)
        assert unchanged.body == b"" and unchanged.headers["ETag"] == tag
    assert other.get(path, extra_environ={"HTTP_HOST": "b.example"}).headers["ETag"] != tag  # another page
    assert first.get(path, headers={"Accept-Language": "zh-CN"}).headers["ETag"] != tag
    notice.title = "Changed"
    dbsession.flush()
    changed = servers().get(path, headers={"If-None-Match": tag}, status=200)
    assert "Changed" in changed.text and changed.headers["ETag"] != tag


def test_personal_requests_never_meet_a_stored_page(servers, dbsession, units):
    notice = make_notice(dbsession, units["city_a"])
    servers().get(f"/notices/{notice.id}")
    testapp = servers()
    assert "X-Page-Cache" not in testapp.get(f"/notices/{notice.id}?lang=en").headers
    assert "X-Page-Cache" not in testapp.get(f"/notices/{notice.id}",
                                             headers={"Cookie": "portal_session=x"}).headers
    assert testapp.get(f"/notices/{notice.id}?from=share").headers["X-Page-Cache"] == "stored"
    # Mounted under a prefix, links carry it: such requests are not answered from stored pages.
    assert "X-Page-Cache" not in servers().get(f"/notices/{notice.id}",
                                               extra_environ={"SCRIPT_NAME": "/portal"}).headers


def test_the_worker_renders_new_pages_ahead_in_the_default_language(servers, dbsession, units, dummy_request, tm):
    from portal.scripts import worker

    older = make_notice(dbsession, units["city_a"], minutes_ago=5)
    newer = make_notice(dbsession, units["city_a"])
    draft = make_notice(dbsession, units["city_a"], state="draft")
    testapp = servers()
    dummy_request.registry = testapp.app.registry
    dummy_request.environ.update({"tm.active": True, "tm.manager": tm})
    assert worker.JOBS["render-notice-pages"](dummy_request) == 2
    assert page_rows(dbsession, newer) == page_rows(dbsession, older) == {"html:zh_CN", "api:zh_CN"}
    assert page_rows(dbsession, draft) == set()
    assert worker.JOBS["render-notice-pages"](dummy_request) == 0  # nothing left
    chinese = {"HTTP_ACCEPT_LANGUAGE": "zh-CN"}
    plain = servers(**{"portal.page_cache_seconds": "0"})
    for path in (f"/notices/{newer.id}", f"/api/v1/notices/{newer.id}"):
        stored = testapp.get(path, extra_environ=chinese)
        assert stored.headers["X-Page-Cache"] == "stored"
        assert stored.body == plain.get(path, extra_environ=chinese).body  # as a visitor's request renders it
    assert "X-Page-Cache" not in testapp.get(f"/notices/{newer.id}").headers  # English: on first view
    newer.title = "Edited"
    dbsession.flush()
    assert worker.JOBS["render-notice-pages"](dummy_request) == 1
    assert "Edited" in servers().get(f"/notices/{newer.id}", extra_environ=chinese).text
