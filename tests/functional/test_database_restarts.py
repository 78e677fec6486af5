"""PostgreSQL restarts under a running portal (core/db_liveness.py): no visitor sees an error for it.

PostgreSQL ends every connection when it restarts (or an administrator ends them): here with
pg_terminate_backend, on a database of this module's own, with the app run as production runs it (its
own engine and pool, each request its own transaction). A connection that served a request a moment
ago is not pinged before use: the request that finds it dead is run again on a new one. A connection
idle for longer than portal.db.ping_after_idle_seconds is pinged, and replaced before anything uses it."""
import time
from datetime import UTC, datetime, timedelta

import pytest
import webtest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

import portal
from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter
from portal.core.db import dispose_engines, engines
from portal.core.localtime import LOCAL_TZ
from portal.sightings.models import Sighting
from tests.conftest import migrated_engine, own_postgres_database, settings_for
from tests.factories import make_notice, make_units


@pytest.fixture(scope="module")
def restart_url():
    with own_postgres_database("restarts") as url:
        yield url


@pytest.fixture(scope="module")
def restart_engine(restart_url):
    with migrated_engine(restart_url) as engine:
        yield engine


@pytest.fixture(scope="module")
def notice_id(restart_engine):
    with Session(restart_engine) as dbsession:
        notice = make_notice(dbsession, make_units(dbsession)["city_a"], kind="missing_person",
                             title="Missing: Zhang Lan, 9")
        dbsession.commit()
        return notice.id


def make_app(url, media_dir, **settings):
    app = portal.main({}, **{**settings_for(url, media_dir), **settings})
    app.registry.registerUtility(MemoryRateLimiter(), IRateLimiter)
    failures = []  # statements that found their connection dead

    def _count(context):
        if context.is_disconnect:
            failures.append(context.statement)
    for engine in engines(app.registry):  # the public pages read on their own (core/read_only.py)
        event.listen(engine, "handle_error", _count)
    return app, failures


def browser(app):
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "en",
                                               "REMOTE_ADDR": "203.0.113.40"})


def end_every_connection_but_mine(engine) -> int:
    """What a restart does to the app's connections (the test's own engine keeps its one)."""
    with engine.connect() as connection:
        ended = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    time.sleep(0.2)  # the backends take a moment to go
    return ended


def test_a_page_asked_right_after_a_restart_is_answered(restart_engine, notice_id, tmp_path):
    app, failures = make_app(restart_engine.url.render_as_string(hide_password=False), tmp_path)
    try:
        testapp = browser(app)
        assert "Zhang Lan" in testapp.get(f"/notices/{notice_id}").text
        assert end_every_connection_but_mine(restart_engine) >= 1

        page = testapp.get(f"/notices/{notice_id}", status=200)
        assert "Zhang Lan" in page.text
        # Not pinged (it was used a moment ago): the statement found it dead, and the request ran again.
        assert len(failures) == 1
        assert testapp.get(f"/notices/{notice_id}", status=200)
        assert len(failures) == 1  # the pool holds only new connections now
    finally:
        dispose_engines(app.registry)


def test_a_sighting_sent_right_after_a_restart_is_stored_once(restart_engine, notice_id, tmp_path):
    app, failures = make_app(restart_engine.url.render_as_string(hide_password=False), tmp_path)
    try:
        testapp = browser(app)
        form = testapp.get(f"/notices/{notice_id}/sightings/new").forms["deform"]
        form["seen_at"] = (datetime.now(UTC) - timedelta(hours=2)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
        form["place"] = "Bus stop, Renmin Road"
        form["text"] = "A girl in a red coat waited at the number 5 bus stop after the restart."
        end_every_connection_but_mine(restart_engine)

        receipt = form.submit("send", status=200)
        assert "sighting" in receipt.text.lower()
        assert len(failures) >= 1  # the submission's first statement found its connection dead
        with Session(restart_engine) as dbsession:
            stored = dbsession.execute(select(func.count()).select_from(Sighting)
                                       .where(Sighting.text.like("%after the restart%"))).scalar_one()
        assert stored == 1
    finally:
        dispose_engines(app.registry)


def test_a_connection_left_idle_is_pinged_and_replaced_before_use(restart_engine, notice_id, tmp_path):
    app, failures = make_app(restart_engine.url.render_as_string(hide_password=False), tmp_path,
                             **{"portal.db.ping_after_idle_seconds": "0.5"})
    try:
        testapp = browser(app)
        testapp.get(f"/notices/{notice_id}", status=200)
        end_every_connection_but_mine(restart_engine)
        time.sleep(0.6)

        assert "Zhang Lan" in testapp.get(f"/notices/{notice_id}", status=200).text
        assert failures == []  # the ping found it dead: no statement ever ran on it
    finally:
        dispose_engines(app.registry)
