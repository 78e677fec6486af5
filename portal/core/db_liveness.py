"""Dead database connections: found before use when they sat idle, retried when they failed in use.

SQLAlchemy's pool_pre_ping pings PostgreSQL before every request's first statement: a round trip, and on
an anonymous page about a tenth of the app server's CPU (issue 14, bench/render_ab.py). A connection
that served a request a moment ago is almost always alive; the ones that die are those left idle (a
firewall's or PostgreSQL's idle timeout) and all of them at once when PostgreSQL restarts. So:

- a connection idle for longer than `portal.db.ping_after_idle_seconds` (default 30) is pinged when it
  is taken from the pool; a dead one is replaced, with every connection older than it;
- a statement that finds its connection dead marks its error retryable: pyramid_retry runs the request
  again on a new connection (PostgreSQL undid the lost transaction). Not a failed COMMIT: whether it
  committed is unknown there, and running a submission twice could store it twice.
SQLite has no server to lose: neither applies."""
from time import monotonic

from pyramid_retry import mark_error_retryable
from sqlalchemy import event, exc

from portal.core.settings import DEFAULTS

SETTING = "portal.db.ping_after_idle_seconds"
_RETURNED_AT = "portal_returned_at"


def ping_after_idle(engine, idle_seconds: float) -> None:
    dialect = engine.dialect

    @event.listens_for(engine.pool, "checkin")
    def _remember_return(_dbapi_connection, record):
        if record is not None:
            record.info[_RETURNED_AT] = monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or monotonic() - returned_at < idle_seconds:
            return  # new, or used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # The pool replaces it, and every connection older (a restart killed them all).
                raise exc.InvalidatePoolError() from error
            raise


def retry_after_disconnect(engine) -> None:
    @event.listens_for(engine, "handle_error")
    def _mark_retryable(context):
        if context.is_disconnect and context.statement is not None and context.sqlalchemy_exception is not None:
            mark_error_retryable(context.sqlalchemy_exception)


def watch(engine, settings) -> None:
    if engine.dialect.name == "sqlite":
        return
    ping_after_idle(engine, float(settings.get(SETTING) or DEFAULTS[SETTING]))  # scripts pass bare settings
    retry_after_disconnect(engine)
