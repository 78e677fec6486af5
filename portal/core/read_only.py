"""Public pages read through connections that cannot write, outside any transaction.

An anonymous GET of a page the proxy may share (home, lists, notice pages, feeds, CAP, API, public
media) only reads. On PostgreSQL its transaction cost three round trips (BEGIN, the SELECTs, ROLLBACK),
and round trips are most of what such a page costs the app server there (issue 14, bench/render_ab.py).
Such requests get a session of their own, on a second engine whose connections

- run each statement on its own (autocommit): no BEGIN, no ROLLBACK. Nothing is lost: PostgreSQL's
  READ COMMITTED already gives every statement of a transaction its own snapshot;
- are read-only for the database itself (PostgreSQL's `default_transaction_read_only`, SQLite's
  `PRAGMA query_only`): a write on a public page fails whole instead of being committed half-way.

The session is not joined to pyramid_tm; it is closed when its request ends. Routes say they only read
with `config.add_read_only_route(...)`. A visitor with a session cookie, a POST or any other route keeps
the usual session in the request's transaction. `portal.db.read_only_public_pages = false` turns it off."""
import os

from pyramid.settings import asbool
from sqlalchemy import event, make_url, text
from sqlalchemy.orm import sessionmaker

from portal.core.caching import anonymous
from portal.core.settings import DEFAULTS

SETTING = "portal.db.read_only_public_pages"
ROUTES = "read_only_routes"  # the registry's set of route names
FACTORY = "read_only_session_factory"
READ_METHODS = ("GET", "HEAD")
_READ_ONLY_OPTION = "-c default_transaction_read_only=on"


class WriteOnReadOnlyRoute(RuntimeError):
    """A view of a route declared read-only tried to store something: a programming error."""


def read_only_connect_args(url, connect_args: dict, environ=os.environ) -> dict:
    """`connect_args` for the read-only engine: PostgreSQL refuses writes on every connection. libpq
    reads PGOPTIONS only when no `options` is given, so what it holds is passed on here."""
    if url.get_backend_name() != "postgresql":
        return connect_args
    given = (environ.get("PGOPTIONS"), url.query.get("options"), connect_args.get("options"), _READ_ONLY_OPTION)
    return {**connect_args, "options": " ".join(o for o in given if o)}


def refuses_writes(connection) -> bool:
    """Whether the database itself refuses writes on this connection: a connection pooler told to ignore
    the startup option (PgBouncer's ignore_startup_parameters) would leave it writable, silently."""
    if connection.dialect.name == "postgresql":
        return connection.execute(text("SHOW default_transaction_read_only")).scalar() == "on"
    if connection.dialect.name == "sqlite":
        return connection.execute(text("PRAGMA query_only")).scalar() == 1
    return False


def _sqlite_query_only(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def watch_sqlite(engine) -> None:
    # After the engine's own pragmas (journal_mode=WAL is a write): listeners run in the order added.
    event.listen(engine, "connect", _sqlite_query_only)


def _refuse_flush(session, _flush_context, _instances):
    request = session.info.get("request")
    route = getattr(getattr(request, "matched_route", None), "name", None)
    raise WriteOnReadOnlyRoute(f"route {route!r} is declared read-only (add_read_only_route) but stores something")


def usable(url) -> bool:
    """An in-memory SQLite database is one per connection: a second engine would see another one."""
    url = make_url(url)
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def session_factory(read_engine, settings, database_key: str):
    factory = sessionmaker(bind=read_engine, expire_on_commit=False,
                           info={"settings": settings, "database_key": database_key})
    event.listen(factory, "before_flush", _refuse_flush)
    return factory


def applies(request) -> bool:
    route = request.matched_route
    return (route is not None and request.method in READ_METHODS and route.name in request.registry[ROUTES]
            and anonymous(request))


def session_for(request):
    """The request's read-only session, or None when it must use the usual one."""
    factory = request.registry.get(FACTORY)
    if factory is None or not applies(request):
        return None
    dbsession = factory(info={"request": request})
    request.add_finished_callback(lambda _request: dbsession.close())
    return dbsession


def add_read_only_route(config, name, pattern, **kwargs) -> None:
    """`config.add_route`, for a route whose anonymous GETs only read (see the module's note)."""
    config.add_route(name, pattern, **kwargs)
    config.registry[ROUTES].add(name)


def enabled(settings) -> bool:
    return asbool(settings.get(SETTING, DEFAULTS[SETTING])) and usable(settings["sqlalchemy.url"])


def includeme(config):
    config.registry[ROUTES] = set()
    config.add_directive("add_read_only_route", add_read_only_route)
