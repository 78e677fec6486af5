"""The public pages' read-only connections (core/read_only.py), on SQLite and PostgreSQL.

Every other functional test hands the app one rolled-back session; these run it as production does
(its own engines and pools), on a database of the module's own, and watch which engine each request
used: an anonymous GET of a declared public route reads on the read-only engine, in autocommit (no
BEGIN, no ROLLBACK on PostgreSQL), and nothing else does."""
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import webtest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, exc, func, make_url, select, update
from sqlalchemy.orm import Session

import portal
from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter
from portal.core import read_only
from portal.core.db import dispose_engines, get_engine
from portal.core.localtime import LOCAL_TZ
from portal.notices.models import Notice
from portal.sightings.models import Sighting
from tests.conftest import migrated_engine, own_postgres_database, settings_for
from tests.factories import make_notice, make_photo, make_units


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def ro_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('read-only')}/read_only.sqlite"
        return
    with own_postgres_database("read_only") as url:
        yield url


@pytest.fixture(scope="module")
def ro_engine(ro_url):
    with migrated_engine(ro_url) as engine:
        yield engine


@pytest.fixture(scope="module")
def ro_app(ro_url, ro_engine, tmp_path_factory):
    app = portal.main({}, **settings_for(ro_url, tmp_path_factory.mktemp("read-only-media")))
    app.registry.registerUtility(MemoryRateLimiter(), IRateLimiter)
    yield app
    dispose_engines(app.registry)


@pytest.fixture(scope="module")
def world(ro_app, ro_engine):
    with Session(ro_engine, expire_on_commit=False) as dbsession:
        units = make_units(dbsession)
        appeal = make_notice(dbsession, units["city_a"], kind="missing_person", title="Missing: Zhang Lan, 9")
        photo = make_photo(dbsession, ro_app.registry["media_store"], appeal)
        closed = make_notice(dbsession, units["city_a"], kind="missing_person", state="resolved")
        dbsession.commit()
        return {"appeal": appeal.id, "photo": photo.id, "closed": closed.id}


class EngineWatch:
    """The statements each engine ran, and whether the read-only engine's ran in autocommit."""

    def __init__(self, app):
        self.usual = []
        self.read = []
        self.autocommit = []
        event.listen(app.registry["db_engine"], "before_cursor_execute", self._usual)
        event.listen(app.registry["db_read_engine"], "before_cursor_execute", self._read)

    def _usual(self, _conn, _cursor, statement, *_args):
        self.usual.append(statement)

    def _read(self, conn, _cursor, statement, *_args):
        self.read.append(statement)
        dbapi = conn.connection.dbapi_connection
        # sqlite3: isolation_level None (no BEGIN before anything); psycopg: autocommit.
        self.autocommit.append(dbapi.isolation_level is None if isinstance(dbapi, sqlite3.Connection)
                               else dbapi.autocommit is True)

    def clear(self):
        self.usual.clear()
        self.read.clear()
        self.autocommit.clear()


@pytest.fixture(scope="module")
def watch(ro_app):
    return EngineWatch(ro_app)


def visitor(app, **environ):
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "en",
                                               "REMOTE_ADDR": "203.0.113.41", **environ})


def public_answers(world):
    """Every declared read-only route with what it answers: (route, path, status)."""
    appeal, closed, photo = world["appeal"], world["closed"], world["photo"]
    return [
        ("home", "/", 200),
        ("notices", "/notices", 200),
        ("notices", "/notices?kind=missing_person&sort=last_seen", 200),
        ("notices", "/notices?sort=sideways", 400),
        ("notices", "/notices?page=not-a-cursor", 400),
        ("notice", f"/notices/{appeal}", 200),
        ("notice", f"/notices/{closed}", 200),
        ("notice", "/notices/987654", 404),
        ("notice_poster", f"/notices/{appeal}/poster", 200),
        ("notice_cap", f"/notices/{appeal}.cap", 200),
        ("feed_atom", "/feeds/notices.atom", 200),
        ("feed_cap", "/feeds/notices.cap.atom", 200),
        ("robots", "/robots.txt", 200),
        ("sitemap", "/sitemap.xml", 200),
        ("media", f"/media/{photo}/public", 200),
        ("media", f"/media/{photo}/thumb", 200),
        ("media", "/media/987654/public", 404),
        ("api_notices", "/api/v1/notices", 200),
        ("api_notice", f"/api/v1/notices/{appeal}", 200),
        ("api_notice", "/api/v1/notices/987654", 404),
        ("api_openapi", "/api/openapi.json", 200),
    ]


def test_the_walk_covers_every_declared_route(ro_app, world):
    assert {route for route, _path, _status in public_answers(world)} == ro_app.registry[read_only.ROUTES]


def test_anonymous_public_answers_read_in_autocommit_on_the_read_only_engine(ro_app, world, watch):
    browser = visitor(ro_app)
    for _route, path, status in public_answers(world):
        watch.clear()
        browser.get(path, status=status)
        assert watch.usual == [], path  # no transaction: not even a BEGIN through the usual engine
        assert all(watch.autocommit), path
    watch.clear()
    page = browser.get(f"/notices/{world['appeal']}")
    assert "Zhang Lan" in page.text
    assert watch.read and watch.usual == []
    watch.clear()
    assert browser.head(f"/notices/{world['appeal']}", status=200).body == b""
    assert watch.read and watch.usual == []


def test_the_database_itself_refuses_a_write_on_the_read_only_connections(ro_app, ro_engine, world):
    read_engine = ro_app.registry["db_read_engine"]
    with read_engine.connect() as connection, pytest.raises(exc.DBAPIError) as refused:
        connection.execute(update(Notice).where(Notice.id == world["appeal"]).values(title="Overwritten"))
    assert "read-only" in str(refused.value) or "readonly" in str(refused.value)
    with Session(ro_engine) as dbsession:
        assert dbsession.get(Notice, world["appeal"]).title == "Missing: Zhang Lan, 9"


def test_a_flush_on_a_read_only_session_is_refused_before_the_database(ro_app, ro_engine, world):
    dbsession = ro_app.registry[read_only.FACTORY](info={"request": None})
    try:
        dbsession.add(Sighting(notice_id=world["appeal"], unit_id=None, place="Bus station", text="Stored?"))
        with pytest.raises(read_only.WriteOnReadOnlyRoute):
            dbsession.flush()
    finally:
        dbsession.close()
    with Session(ro_engine) as check:
        assert check.execute(select(func.count()).select_from(Sighting)).scalar_one() == 0


def test_a_session_holder_and_a_submission_keep_the_usual_transaction(ro_app, ro_engine, world, watch):
    watch.clear()
    visitor(ro_app, HTTP_COOKIE="portal_session=someone").get(f"/notices/{world['appeal']}", status=200)
    assert watch.usual and watch.read == []  # a session: maybe staff, whose requests may write

    browser = visitor(ro_app)
    form = browser.get(f"/notices/{world['appeal']}/sightings/new").forms["deform"]
    form["seen_at"] = (datetime.now(UTC) - timedelta(hours=2)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    form["place"] = "Bus stop, Renmin Road"
    form["text"] = "A girl in a red coat waited at the number 5 bus stop this morning."
    watch.clear()
    form.submit("send", status=200)
    assert watch.usual and watch.read == []
    with Session(ro_engine) as dbsession:
        stored = dbsession.execute(select(func.count()).select_from(Sighting)
                                   .where(Sighting.text.like("%red coat%"))).scalar_one()
    assert stored == 1


FILTER_KEYS = st.sampled_from(["kind", "q", "region", "sex", "age_min", "age_max", "since", "sort", "page",
                               "lang", "unknown"])
FILTER_VALUES = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.lists(st.tuples(FILTER_KEYS, FILTER_VALUES), max_size=4),
       path=st.sampled_from(["/notices", "/api/v1/notices"]))
def test_any_filter_is_answered_on_the_read_only_engine(ro_app, world, watch, query, path):
    watch.clear()
    answer = visitor(ro_app).get(f"{path}?{urlencode(query)}", expect_errors=True)
    assert answer.status_int in (200, 400), (path, query, answer.status)
    assert watch.usual == []


def test_pages_read_while_the_notice_changes_are_whole(ro_app, ro_engine, world):
    titles = [f"Missing: Zhang Lan, 9 (update {n})" for n in range(12)]
    seen, failures = [], []
    done = threading.Event()

    def read():
        browser = visitor(ro_app)
        while not done.is_set():
            for path in (f"/notices/{world['appeal']}", f"/api/v1/notices/{world['appeal']}"):
                answer = browser.get(path, expect_errors=True)
                if answer.status_int != 200:
                    failures.append((path, answer.status))
                else:
                    seen.append(answer.text)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for title in titles:
            with Session(ro_engine) as dbsession:
                dbsession.execute(update(Notice).where(Notice.id == world["appeal"]).values(title=title))
                dbsession.commit()
    finally:
        done.set()
        for reader in readers:
            reader.join(timeout=60)
    with Session(ro_engine) as dbsession:  # as the other tests found it
        dbsession.execute(update(Notice).where(Notice.id == world["appeal"]).values(title="Missing: Zhang Lan, 9"))
        dbsession.commit()
    assert failures == []
    assert len(seen) >= 6
    assert all("Zhang Lan, 9" in page for page in seen)
    last = visitor(ro_app).get(f"/api/v1/notices/{world['appeal']}").text
    assert "Zhang Lan, 9" in last


def test_turned_off_the_public_pages_use_the_transaction(ro_url, ro_engine, world, tmp_path):
    app = portal.main({}, **{**settings_for(ro_url, tmp_path), read_only.SETTING: "false"})
    try:
        assert "db_read_engine" not in app.registry
        sent = []
        event.listen(app.registry["db_engine"], "before_cursor_execute", lambda *args: sent.append(args[2]))
        assert "Zhang Lan" in visitor(app).get(f"/notices/{world['appeal']}").text
        assert sent
    finally:
        dispose_engines(app.registry)


def test_failing_read_only_connections_reach_monitoring_not_the_load_balancer(ro_url, ro_engine, tmp_path):
    app = portal.main({}, **settings_for(ro_url, tmp_path))
    try:
        browser = visitor(app)
        assert browser.get("/readyz/web").json == {"status": "ok"}

        # Connections that would take writes (a pooler that dropped the startup option): reported too.
        app.registry["db_read_engine"].dispose()
        app.registry["db_read_engine"] = get_engine({"sqlalchemy.url": ro_url})
        assert browser.get("/readyz", status=503).json == {"status": "unavailable", "read_only_database": "writable"}
        app.registry["db_read_engine"].dispose()
        unreachable = ("sqlite:////nonexistent-directory/portal.sqlite" if ro_url.startswith("sqlite")
                       else make_url(ro_url).set(port=1).render_as_string(hide_password=False))
        app.registry["db_read_engine"] = get_engine({"sqlalchemy.url": unreachable}, for_reading_only=True)
        # Monitoring hears of it; the load balancer's probe does not take the server out of rotation:
        # its alarms, tips and sightings still work on the usual connections.
        answer = browser.get("/readyz", status=503)
        assert answer.json == {"status": "unavailable", "read_only_database": "OperationalError"}
        assert "nonexistent" not in answer.text and ":1/" not in answer.text  # never an address
        assert browser.get("/readyz/web").json == {"status": "ok"}

        # Connections that would take writes (a pooler that dropped the startup option): reported too.
        app.registry["db_read_engine"].dispose()
        app.registry["db_read_engine"] = get_engine({"sqlalchemy.url": ro_url})
        assert browser.get("/readyz", status=503).json == {"status": "unavailable", "read_only_database": "writable"}
    finally:
        dispose_engines(app.registry)
