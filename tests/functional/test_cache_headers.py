"""Which answers a shared proxy may keep (core/caching.py): anonymous public answers carry
Cache-Control with s-maxage and stale-while-revalidate and the tags of what they show; a session, a
POST, a form, a receipt, staff pages and anything not declared public are private. The proxy itself:
tests/functional/test_caching_proxy.py."""
from tests.factories import make_notice, make_photo
from tests.functional.helpers import login

PUBLIC = "public, max-age=30, s-maxage=86400, stale-while-revalidate=30, stale-if-error=86400"


def test_anonymous_public_answers_are_shared_with_the_tags_of_what_they_show(testapp, dbsession, units, registry):
    notice = make_notice(dbsession, units["city_a"], kind="missing_person")
    photo = make_photo(dbsession, registry["media_store"], notice)
    expected = {
        f"/notices/{notice.id}": {f"notice-{notice.id}", "unit-990100"},
        f"/notices/{notice.id}/poster": {f"notice-{notice.id}", "unit-990100"},
        f"/notices/{notice.id}.cap": {f"notice-{notice.id}", "unit-990100"},
        f"/api/v1/notices/{notice.id}": {f"notice-{notice.id}", "unit-990100"},
        f"/media/{photo.id}/public": {f"media-{photo.id}", f"notice-{notice.id}"},
        f"/media/{photo.id}/thumb": {f"media-{photo.id}", f"notice-{notice.id}"},
        "/": {"notice-list", "tip-categories"},  # the home page lists the tip categories
        "/notices": {"notice-list", "unit-list"},
        "/api/v1/notices": {"notice-list"},
        "/feeds/notices.atom": {"notice-list"},
        "/feeds/notices.cap.atom": {"notice-list"},
        "/sitemap.xml": {"notice-list"},
        "/api/openapi.json": {"unit-list"},
    }
    for path, tags in expected.items():
        answer = testapp.get(path)
        assert answer.headers["Cache-Control"] == PUBLIC, path
        assert set(answer.headers["xkey"].split()) == tags, path
    vary = testapp.get(f"/notices/{notice.id}").headers["Vary"]
    assert "Accept-Language" in vary and "Cookie" in vary  # each language apart (the proxy keeps only lang=)


def test_a_session_a_post_a_form_or_a_language_choice_is_never_shared(testapp, dbsession, units):
    notice = make_notice(dbsession, units["city_a"])
    chosen = testapp.get(f"/notices/{notice.id}?lang=ug")  # sets the language cookie
    assert chosen.headers["Cache-Control"] == "private, no-store" and "xkey" not in chosen.headers
    for path in ("/tips/new", "/missing/new", "/alarm", "/status", f"/notices/{notice.id}/sightings/new"):
        answer = testapp.get(path)
        assert "no-store" in answer.headers["Cache-Control"] and "public" not in answer.headers["Cache-Control"], path
    assert testapp.get("/notices/999999", status=404).headers["Cache-Control"] == "private, no-store"
    posted = testapp.post("/status", {"code": "1"}, status="*")
    assert "no-store" in posted.headers["Cache-Control"] and "xkey" not in posted.headers
    # Credentials in the request: the same public page is private.
    basic = testapp.get(f"/notices/{notice.id}", headers={"Authorization": "Basic eDp5"})
    assert basic.headers["Cache-Control"] == "private, no-store" and "xkey" not in basic.headers


def test_an_officers_view_of_a_public_page_is_private(testapp, dbsession, units):
    from tests.factories import make_officer

    officer = make_officer(dbsession, units["city_a"], ["moderator"])
    notice = make_notice(dbsession, units["city_a"])
    login(testapp, officer.username)
    page = testapp.get(f"/notices/{notice.id}")
    assert page.headers["Cache-Control"] == "private, no-store" and "xkey" not in page.headers
    assert testapp.get("/staff").headers["Cache-Control"] == "no-store"
    assert testapp.get("/static/css/portal.css").headers["Cache-Control"] == "public, max-age=3600"  # the same file for everyone (core/static.py)
