"""Database wiring: engine from settings, a session per request joined to pyramid_tm."""
import zope.sqlalchemy
from sqlalchemy import engine_from_config, event
from sqlalchemy.orm import sessionmaker


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def get_engine(settings, prefix="sqlalchemy."):
    engine = engine_from_config(settings, prefix, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def get_session_factory(engine, settings=None):
    # Sessions carry the settings for code that has a session but no request (the audit key: audit/chain.py).
    return sessionmaker(bind=engine, expire_on_commit=False, info={"settings": settings})


def get_tm_session(session_factory, transaction_manager, request=None):
    dbsession = session_factory(info={"request": request})
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


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
