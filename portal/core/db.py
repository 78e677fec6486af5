"""Database wiring: engine from settings, a session per request joined to pyramid_tm."""
import sqlite3

from sqlalchemy import engine_from_config, event, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from zope.sqlalchemy import mark_changed
from zope.sqlalchemy.datamanager import STATUS_ACTIVE, ZopeStatus, join_transaction

from portal.core import db_liveness, pg_cursor, read_only


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_busy_is_retryable() -> None:
    """SQLite lets one writer at a time; one that waited past busy_timeout gets "database is locked".
    Like a PostgreSQL serialization failure, that request is run again (pyramid_retry, through
    zope.sqlalchemy's list of retryable errors) instead of answering 503."""
    from zope.sqlalchemy import datamanager

    if not any(kind is sqlite3.OperationalError for kind, _test in datamanager._retryable_errors):
        datamanager._retryable_errors.append(
            (sqlite3.OperationalError, lambda error: "locked" in str(error) or "busy" in str(error)))


def get_engine(settings, prefix="sqlalchemy.", *, for_reading_only=False):
    """The engine; `for_reading_only`: the public pages' second one (core/read_only.py), its connections in
    autocommit and refusing writes."""
    url = make_url(settings[prefix + "url"])
    connect_args = pg_cursor.connect_args(url)
    options = {}
    if for_reading_only:
        connect_args = read_only.read_only_connect_args(url, connect_args)
        options["isolation_level"] = "AUTOCOMMIT"
    engine = engine_from_config(settings, prefix, connect_args=connect_args, **options)
    db_liveness.watch(engine, settings)  # instead of pool_pre_ping: a ping per request was a tenth of a page
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        _sqlite_busy_is_retryable()
        if for_reading_only:
            read_only.watch_sqlite(engine)
    return engine


def get_session_factory(engine, settings=None):
    # Sessions carry the settings for code that has a session but no request (the audit key: audit/chain.py).
    # database_key: the URL as units/fingerprint.py keys its per-process copies, written once.
    return sessionmaker(bind=engine, expire_on_commit=False,
                        info={"settings": settings, "database_key": str(engine.url)})


class _SessionTransactionEvents:
    """zope.sqlalchemy's events (its ZopeTransactionEvents), listened to once per session factory
    rather than once per session: `zope.sqlalchemy.register()` on each request's session added seven
    listeners to it, about a fifth of an anonymous page's database work (issue 14). Each session
    names its own transaction manager (`info["transaction_manager"]`: its request's, a script's)."""

    @staticmethod
    def after_begin(session, _transaction, _connection):
        join_transaction(session, STATUS_ACTIVE, session.info["transaction_manager"])

    @staticmethod
    def after_attach(session, _instance):
        join_transaction(session, STATUS_ACTIVE, session.info["transaction_manager"])

    @staticmethod
    def after_flush(session, _flush_context=None):
        mark_changed(session, session.info["transaction_manager"])

    @classmethod
    def after_bulk_update(cls, update_context):
        cls.after_flush(update_context.session)

    @classmethod
    def after_bulk_delete(cls, delete_context):
        cls.after_flush(delete_context.session)

    @staticmethod
    def before_commit(session):
        committing = session.info["transaction_manager"].get().status == ZopeStatus.COMMITTING
        assert session.in_nested_transaction() or committing, (  # noqa: S101 -- zope.sqlalchemy's guard
            "Transaction must be committed using the transaction manager")

    @classmethod
    def do_orm_execute(cls, execute_state):
        if execute_state.is_orm_statement and (
                execute_state.is_update or execute_state.is_insert or execute_state.is_delete):
            cls.after_flush(execute_state.session)

    @classmethod
    def listen(cls, session_factory) -> None:
        for name in ("after_begin", "after_attach", "after_flush", "after_bulk_update", "after_bulk_delete",
                     "before_commit", "do_orm_execute"):
            event.listen(session_factory, name, getattr(cls, name))


_REGISTERED = "_portal_transaction_events"


def get_tm_session(session_factory, transaction_manager, request=None):
    """A session joined to the transaction manager (pyramid_tm's of the request, a script's own)."""
    if not getattr(session_factory, _REGISTERED, False):
        _SessionTransactionEvents.listen(session_factory)
        setattr(session_factory, _REGISTERED, True)
    return session_factory(info={"request": request, "transaction_manager": transaction_manager})


def engines(registry) -> list:
    """The app's engines: the usual one, and the public pages' read-only one when it has it."""
    return [e for e in (registry.get("db_engine"), registry.get("db_read_engine")) if e is not None]


def dispose_engines(registry) -> None:
    for engine in engines(registry):
        engine.dispose()


def insert_once(dbsession, row) -> bool:
    """Insert `row` in a savepoint; False when a unique index (a client nonce, a derived token) says
    another request stored the same thing first. Only the savepoint is undone, not the request."""
    try:
        with dbsession.begin_nested():
            dbsession.add(row)
            dbsession.flush()
    except IntegrityError:
        return False
    return True


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    # The transaction's user note is for ZODB's history; nothing reads it here, and making it asked the
    # security policy on every request, public pages included.
    settings.setdefault("tm.annotate_user", "false")
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    engine = get_engine(settings)
    session_factory = get_session_factory(engine, settings)
    config.registry["dbsession_factory"] = session_factory
    config.registry["db_engine"] = engine
    config.include(".read_only")
    if read_only.enabled(settings):
        read_engine = get_engine(settings, for_reading_only=True)
        config.registry["db_read_engine"] = read_engine
        config.registry[read_only.FACTORY] = read_only.session_factory(
            read_engine, settings, session_factory.kw["info"]["database_key"])

    def dbsession(request):
        # Tests hand in their own session bound to a rolled-back connection.
        dbsession = request.environ.get("app.dbsession")
        if dbsession is None:
            dbsession = read_only.session_for(request) or get_tm_session(session_factory, request.tm, request=request)
        return dbsession

    config.add_request_method(dbsession, reify=True)
