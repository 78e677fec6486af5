"""Database wiring: engine from settings, a session per request joined to pyramid_tm."""
import sqlite3

import zope.sqlalchemy
from sqlalchemy import engine_from_config, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker


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


def get_engine(settings, prefix="sqlalchemy."):
    engine = engine_from_config(settings, prefix, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        _sqlite_busy_is_retryable()
    return engine


def get_session_factory(engine, settings=None):
    # Sessions carry the settings for code that has a session but no request (the audit key: audit/chain.py).
    return sessionmaker(bind=engine, expire_on_commit=False, info={"settings": settings})


def get_tm_session(session_factory, transaction_manager, request=None):
    dbsession = session_factory(info={"request": request})
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


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
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    engine = get_engine(settings)
    session_factory = get_session_factory(engine, settings)
    config.registry["dbsession_factory"] = session_factory
    config.registry["db_engine"] = engine

    def dbsession(request):
        # Tests hand in their own session bound to a rolled-back connection.
        dbsession = request.environ.get("app.dbsession")
        if dbsession is None:
            dbsession = get_tm_session(session_factory, request.tm, request=request)
        return dbsession

    config.add_request_method(dbsession, reify=True)
