"""Stored notice pages: the stamp that makes a stale page unservable, the flush hook that moves it,
the code version, and the placeholder origin. Journeys through the servers: tests/functional/test_page_cache.py."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.meta import utcnow
from portal.media.models import Media
from portal.notices import jobs as notice_jobs
from portal.notices.page_store import PLACEHOLDER_ORIGIN, NoticePages, code_version, localize, origin, target
from portal.notices.page_store_models import NoticePage, NoticePageStamp
from tests.factories import make_notice


def stamp_of(dbsession, notice) -> int:
    return dbsession.execute(select(NoticePageStamp.stamp).where(NoticePageStamp.notice_id == notice.id)
                             ).scalar_one_or_none() or 0


@pytest.fixture
def pages(app):
    return NoticePages(app, app.registry)


def environ(dbsession) -> dict:
    return {"app.dbsession": dbsession}


def store(pages, dbsession, notice, stamp, body=b"<p>page</p>", variant="html:en"):
    row = pages.row(notice.id, variant, stamp, "200 OK", [("Content-Type", "text/html")], body)
    pages.store(environ(dbsession), [row])


def test_a_page_is_served_only_for_the_stamp_and_code_it_was_rendered_with(pages, dbsession, units):
    notice = make_notice(dbsession, units["city_a"])
    assert pages.lookup(environ(dbsession), notice.id, "html:en").stored is None  # nothing stored yet
    store(pages, dbsession, notice, stamp_of(dbsession, notice))
    assert pages.lookup(environ(dbsession), notice.id, "html:en").stored is not None
    assert pages.lookup(environ(dbsession), notice.id, "html:zh_CN").stored is None  # another language
    pages.version = "next-deploy"
    assert pages.lookup(environ(dbsession), notice.id, "html:en").stored is None


def test_a_render_that_raced_with_a_change_is_never_served(pages, dbsession, units):
    notice = make_notice(dbsession, units["city_a"], title="Before")
    read = pages.lookup(environ(dbsession), notice.id, "html:en")  # a server reads the stamp, then renders...
    notice.title = "After"  # ...while an officer's edit commits
    dbsession.flush()
    store(pages, dbsession, notice, read.stamp, b"<h1>Before</h1>")  # the old render arrives last
    assert dbsession.get(NoticePage, (notice.id, "html:en")) is not None
    assert pages.lookup(environ(dbsession), notice.id, "html:en").stored is None
    store(pages, dbsession, notice, pages.lookup(environ(dbsession), notice.id, "html:en").stamp)
    assert pages.lookup(environ(dbsession), notice.id, "html:en").stored is not None


@pytest.mark.parametrize("change", ["draft", "resolved", "expired"])
def test_only_public_notices_are_looked_up(pages, dbsession, units, change):
    notice = make_notice(dbsession, units["city_a"], kind="missing_person")
    store(pages, dbsession, notice, stamp_of(dbsession, notice))
    if change == "expired":
        notice.expires_at = utcnow() - timedelta(seconds=1)
    else:
        notice.state = change
    dbsession.flush()
    assert pages.lookup(environ(dbsession), notice.id, "html:en") is None
    assert pages.lookup(environ(dbsession), 10**9, "html:en") is None  # no such notice


def test_changes_to_a_notice_its_person_or_photos_bump_that_notice_only(pages, dbsession, units):
    notice = make_notice(dbsession, units["city_a"], kind="missing_person")
    bystander = make_notice(dbsession, units["city_a"])
    photo = Media(notice=notice, kind="image", sha256="0" * 64, size=1, content_type="image/jpeg",
                  original_key="o", public_key="p", thumb_key="t")
    dbsession.add(photo)
    dbsession.flush()
    changes = [lambda: setattr(notice, "body", "new"), lambda: setattr(notice.missing_person, "hair", "grey"),
               lambda: setattr(photo, "alt_text", "new"), lambda: setattr(photo, "position", 3),
               lambda: setattr(notice, "state", "resolved")]
    start = stamp_of(dbsession, notice)  # adding the photo was a change too
    for number, change in enumerate(changes, start=start + 1):
        store(pages, dbsession, notice, stamp_of(dbsession, notice))
        store(pages, dbsession, bystander, stamp_of(dbsession, bystander))
        change()
        dbsession.flush()
        assert stamp_of(dbsession, notice) == number
        assert dbsession.get(NoticePage, (notice.id, "html:en")) is None
        assert stamp_of(dbsession, bystander) == 0 and dbsession.get(NoticePage, (bystander.id, "html:en"))


def test_a_photo_moved_or_deleted_bumps_the_notices_it_left_and_joined(dbsession, units):
    first, second = make_notice(dbsession, units["city_a"]), make_notice(dbsession, units["city_a"])
    photo = Media(notice=first, kind="image", sha256="0" * 64, size=1, content_type="image/jpeg", original_key="o")
    dbsession.add(photo)
    dbsession.flush()
    assert stamp_of(dbsession, first) == 1  # a new photo on a notice changes its page
    photo.notice = second
    dbsession.flush()
    assert (stamp_of(dbsession, first), stamp_of(dbsession, second)) == (2, 1)
    dbsession.delete(photo)
    dbsession.flush()
    assert stamp_of(dbsession, second) == 2


def test_a_unit_change_bumps_the_published_notices_it_publishes_or_verified(dbsession, units):
    published = make_notice(dbsession, units["city_a"])
    verified = make_notice(dbsession, units["city_b"], verified_by_unit=units["city_a"], verified_at=utcnow())
    draft = make_notice(dbsession, units["city_a"], state="draft")
    elsewhere = make_notice(dbsession, units["city_b"])
    units["city_a"].phone_110 = "0399-7110"
    dbsession.flush()
    assert [stamp_of(dbsession, n) for n in (published, verified, draft, elsewhere)] == [1, 1, 0, 0]


def test_a_new_notice_and_a_notice_deleted_leave_no_stamp(dbsession, units):
    notice = make_notice(dbsession, units["city_a"], kind="missing_person")
    assert dbsession.execute(select(NoticePageStamp)).first() is None
    dbsession.delete(notice)
    dbsession.flush()
    assert dbsession.execute(select(NoticePageStamp)).first() is None


def test_error_pages_and_pages_with_cookies_are_not_stored(pages):
    assert pages.row(1, "html:en", 0, "404 Not Found", [], b"gone") is None
    assert pages.row(1, "html:en", 0, "200 OK", [("Set-Cookie", "a=b")], b"page") is None
    assert pages.row(1, "html:en", 0, "200 OK", [], b"https://notice-page.invalid:8080/") is None  # not localizable
    assert pages.row(1, "html:en", 0, "200 OK", [], b"page")["stamp"] == 0


def test_the_code_version_follows_files_and_settings_but_not_secrets(tmp_path):
    (tmp_path / "layout.html").write_text("<p>one</p>")
    (tmp_path / "__pycache__").mkdir()
    settings = {"portal.fallback.police": "110", "portal.session_secret": "s" * 40}
    version = code_version(settings, roots=[tmp_path])
    assert code_version(dict(settings, **{"portal.session_secret": "t" * 40}), roots=[tmp_path]) == version
    (tmp_path / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert code_version(settings, roots=[tmp_path]) == version
    assert code_version(dict(settings, **{"portal.fallback.police": "911"}), roots=[tmp_path]) != version
    # The base of every absolute link on a page: a new one renders the pages again.
    assert code_version(dict(settings, **{"portal.public_url": "https://new.example"}), roots=[tmp_path]) != version
    assert code_version(dict(settings, **{"portal.alarm.leave_url": "https://x.example"}), roots=[tmp_path]) == version
    assert code_version(dict(settings, hook=lambda: None), roots=[tmp_path]) == version  # differs per process
    assert code_version(dict(settings, **{"portal.page_cache_entries": "9"}), roots=[tmp_path]) == version
    (tmp_path / "layout.html").write_text("<p>two</p>")
    assert code_version(settings, roots=[tmp_path]) != version


def test_origins_as_pyramid_writes_them_and_refused_hosts():
    assert origin({"wsgi.url_scheme": "https", "HTTP_HOST": "portal.example:443"}) == "https://portal.example"
    assert origin({"wsgi.url_scheme": "http", "HTTP_HOST": "portal.example:80"}) == "http://portal.example"
    assert origin({"wsgi.url_scheme": "http", "HTTP_HOST": "portal.example:443"}) == "http://portal.example:443"
    assert origin({"wsgi.url_scheme": "http", "HTTP_HOST": "[::1]:8080"}) == "http://[::1]:8080"
    for host in ('a"b', "a b", "a/b", "", "a:b:c", "a..b"):
        assert origin({"wsgi.url_scheme": "http", "HTTP_HOST": host}) is None
    assert origin({"wsgi.url_scheme": "ftp", "HTTP_HOST": "a"}) is None


def test_localize_puts_the_origin_in_both_forms():
    body = f'<a href="{PLACEHOLDER_ORIGIN}/notices/1">x</a> mailto:?body=http%3A//notice-page.invalid/notices/1'
    assert localize(body.encode(), "https://p.example:8443") == (
        b'<a href="https://p.example:8443/notices/1">x</a> mailto:?body=https%3A//p.example%3A8443/notices/1')


def test_targets():
    assert target("/notices/12") == ("html", 12)
    assert target("/api/v1/notices/12") == ("api", 12)
    for path in ("/notices", "/notices/12/poster", "/notices/12.cap", f"/notices/{2**31}"):
        assert target(path) is None


def test_rendering_ahead_without_a_store_does_nothing(dummy_request):
    assert "notice_pages" not in dummy_request.registry  # tests run with the page cache off
    assert notice_jobs.render_ahead(dummy_request) == 0


def test_the_reader_keeps_a_connection_per_thread_and_replaces_one_that_failed(engine):
    """The production read path (tests otherwise read on their own rolled-back connection): committed rows."""
    from sqlalchemy.orm import Session

    from portal.notices.page_store import Reader
    from tests.factories import make_unit

    expires = utcnow().replace(microsecond=0) + timedelta(days=1)
    with Session(engine, expire_on_commit=False) as session:
        unit = make_unit(session, "970000")
        notice = make_notice(session, unit, expires_at=expires)
        session.commit()
    try:
        reader = Reader(engine)
        state, expires_at, stamp, version, *_ = reader.read(notice.id, "html:en")
        assert (state, expires_at, stamp, version) == ("published", expires, None, None)
        assert reader.read(10**9, "html:en") is None
        first = reader._local.connection
        reader.read(notice.id, "html:en")
        assert reader._local.connection is first  # kept open for this thread
        first.close()  # the database went away
        with pytest.raises(reader.errors):
            reader.read(notice.id, "html:en")
        assert reader._local.connection is None
        assert reader.read(notice.id, "html:en")[0] == "published"  # a new connection
        reader._local.connection.close()
    finally:
        with Session(engine) as session:
            session.delete(session.get(type(notice), notice.id))
            session.delete(session.get(type(unit), unit.id))
            session.commit()
