"""Pre-rendered notice pages: `/notices/{id}` and `/api/v1/notices/{id}` kept per notice and language
in the database (models/notice_page.py), so a notice opened for the first time in a while costs one
primary-key read instead of a render (about 2.5 ms of CPU), on every server.

- Served by the page cache's WSGI wrapper (services/pagecache.py) when its memory misses. One query
  reads the notice's state and expiry, its current stamp and the stored page: a page is served only
  while the notice is public (published, not past its expiry time), the page's stamp is the notice's
  current one and it was rendered by this code (`code_version`). Anything else (a closed appeal, an
  unpublished notice, a missing id) goes to Pyramid as before.
- Rendered on a miss by the application itself (every view, subscriber and header as usual) for a
  placeholder origin, stored, and served with the request's origin put in (`localize`): one row per
  notice and language, whatever the host name. A render that is not a plain 200 page is not stored.
  With `portal.public_url` set (production must) the pages' absolute links are already that address,
  so no placeholder is left to replace; the replacing serves development without the setting.
- Rendered ahead by the worker's `render-notice-pages` job for newly published or changed notices in
  the default language, newest first.
- A stale page is never served: see models/notice_page.py for the stamp that makes this exact.

Conditional requests: every notice page carries an ETag and `Cache-Control: no-cache`, so a browser
or proxy may keep it but asks each time (a 304 costs the same row read and no body). Without a
max-age a closed appeal leaves every cache at once."""
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import threading
import zlib
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import and_, bindparam, exists, func, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from webob import Request as BlankRequest

from portal.core.meta import utcnow
from portal.notices.models import Notice
from portal.notices.page_store_models import NoticePage, NoticePageStamp

log = logging.getLogger(__name__)

PATH = re.compile(r"^/(api/v1/)?notices/(\d+)$")
MAX_ID = 2**31 - 1
# Pages are rendered for this origin; `localize` puts the request's in its place. ".invalid" is
# reserved (RFC 6761): no real request carries it.
PLACEHOLDER_HOST = "notice-page.invalid"
PLACEHOLDER_ORIGIN = "http://" + PLACEHOLDER_HOST
# Host names that are safe to write into HTML and JSON as they are (anything else is rendered afresh).
SAFE_HOST = re.compile(r"^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$")
# Conditional requests are answered by the page cache; a render always makes the whole page (to store it).
DROPPED_REQUEST_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
# Settings left out of the code version: secrets (never hashed into a value stored in the database),
# and knobs an operator tunes per server that shape no page (caches, limits, queues). Anything else is
# in: a setting wrongly in only costs renders, one wrongly out would serve stale pages (portal.public_url,
# the base of every absolute link on a page, is in).
UNVERSIONED_SETTINGS = re.compile(
    r"secret|key|pepper|password|token|sqlalchemy\.|(?<!public_)url$|_dir$"
    r"|^portal\.(page_cache|notice_pages|ratelimit\.|outbox\.|login\.)|rate_per_", re.IGNORECASE)
# Libraries whose output is part of the page.
LIBRARIES = ("pyramid", "pyramid_jinja2", "Jinja2", "MarkupSafe", "WebOb", "translationstring")
PORTAL_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATES_DIR = os.path.join(os.path.dirname(PORTAL_DIR), "templates")
ACCEPT_LANGUAGE = {"zh_CN": "zh-CN", "en": "en", "ug": "ug"}
SQLITE_READER_PRAGMAS = ("PRAGMA query_only = 1", "PRAGMA busy_timeout = 5000", f"PRAGMA mmap_size = {2**32}")


def code_version(settings, roots=(PORTAL_DIR, TEMPLATES_DIR)) -> str:
    """A digest of everything besides the data that shapes a page: code, templates, catalogs, static
    files, the non-secret settings and the rendering libraries. Any deploy that changes one of them
    stops serving the pages stored before it (they are rendered again). So the web servers and the
    worker must run the same code with the same settings file, or they render over each other's pages."""
    digest = hashlib.sha256()
    for root in roots:
        for directory, subdirectories, files in os.walk(root):
            subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".pyc", ".po", ".pot")):
                    continue
                path = os.path.join(directory, name)
                digest.update(os.path.relpath(path, root).encode() + b"\0")
                with open(path, "rb") as file:
                    digest.update(hashlib.sha256(file.read()).digest())
    for key in sorted(settings):
        # Only plain values: hooks that includes put in the settings print differently in each process.
        if isinstance(settings[key], str | int | float | bool) and not UNVERSIONED_SETTINGS.search(key):
            digest.update(f"{key}={settings[key]}\0".encode())
    for library in LIBRARIES:
        try:
            digest.update(f"{library}={importlib.metadata.version(library)}\0".encode())
        except importlib.metadata.PackageNotFoundError:
            pass
    return digest.hexdigest()[:16]


def target(path: str) -> tuple[str, int] | None:
    """("html" or "api", notice id) for a notice page's path, else None."""
    match = PATH.match(path)
    if match is None or int(match.group(2)) > MAX_ID:
        return None
    return ("api" if match.group(1) else "html"), int(match.group(2))


def origin(environ) -> str | None:
    """The request's scheme and host as Pyramid writes them into absolute links, or None when the
    host is not a plain host name (such a request is rendered afresh, never from a stored page)."""
    return _origin(environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"))


@functools.lru_cache(maxsize=256)
def _origin(scheme, host) -> str | None:
    if scheme not in ("http", "https") or not host or not SAFE_HOST.match(host):
        return None
    name, _, port = host.rpartition(":") if not host.endswith("]") and ":" in host else (host, "", "")
    if (scheme, port) in (("http", "80"), ("https", "443")):
        host = name
    return f"{scheme}://{host}"


@functools.lru_cache(maxsize=64)
def _forms(site: str) -> tuple[tuple[bytes, bytes], ...]:
    return ((PLACEHOLDER_ORIGIN.encode(), site.encode()), (quote(PLACEHOLDER_ORIGIN).encode(), quote(site).encode()))


def localize(body: bytes, site: str) -> bytes:
    """The stored body with the placeholder origin replaced by the request's, in the two forms pages
    carry it: as it is (links, Open Graph, JSON-LD, the API) and percent-encoded (share links)."""
    for placeholder, value in _forms(site):
        body = body.replace(placeholder, value)
    return body


def etag(stored_etag: str, site: str) -> str:
    return f'"{stored_etag}-{zlib.crc32(site.encode()):08x}"'


class Reader:
    """The store's one read, on a DBAPI connection of its own per server thread, kept open and in
    autocommit: a pooled SQLAlchemy connection with its pre-ping costs several times the read itself.
    A connection that fails is dropped; the next read opens another."""

    def __init__(self, engine):
        self.engine = engine
        self.errors = (engine.dialect.loaded_dbapi.Error,)
        page, stamp = NoticePage, NoticePageStamp
        query = (select(Notice.state, Notice.expires_at, stamp.stamp, page.code_version, page.stamp,
                        page.content, page.etag)
                 .outerjoin(stamp, stamp.notice_id == Notice.id)
                 .outerjoin(page, and_(page.notice_id == Notice.id, page.variant == bindparam("variant")))
                 .where(Notice.id == bindparam("notice_id")))
        compiled = query.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self.positions = compiled.positiontup if compiled.positional else None
        # SQLite keeps times as text: read them as the models do.
        self.read_time = Notice.__table__.c.expires_at.type.dialect_impl(engine.dialect).result_processor(
            engine.dialect, None)
        self._local = threading.local()

    def _connect(self):
        dialect = self.engine.dialect
        arguments, options = dialect.create_connect_args(self.engine.url)
        connection = dialect.connect(*arguments, **options)
        dialect.set_isolation_level(connection, "AUTOCOMMIT")
        if dialect.name == "sqlite":
            # Reads through a memory map of the file (the system's page cache), not copies into a
            # small cache of this connection's own: rows of notices far apart cost no more than near ones.
            for pragma in SQLITE_READER_PRAGMAS:
                connection.execute(pragma)
        return connection

    def read(self, notice_id: int, variant: str, connection=None):
        """(state, expires_at, stamp, page's code_version, page's stamp, content, etag) or None."""
        values = {"notice_id": notice_id, "variant": variant}
        params = tuple(values[name] for name in self.positions) if self.positions is not None else values
        own = connection is None
        if own:
            connection = getattr(self._local, "connection", None) or self._connect()
            self._local.connection = connection
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self.sql, params)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except self.errors:
            if own:
                self._local.connection = None
                with suppress(*self.errors):
                    connection.close()
            raise
        if row is None:
            return None
        return (row[0], self.read_time(row[1]) if self.read_time else row[1], *row[2:])


@dataclass(frozen=True)
class Page:
    status: str
    headers: list  # [(name, value)] without Content-Length
    body: bytes  # for the request's origin
    source: str  # "stored" or "rendered"


@dataclass(frozen=True)
class Lookup:
    stamp: int  # the notice's current stamp, read before any render
    stored: tuple | None  # (content, etag) of a current stored page


class NoticePages:
    """The store, its code version and the application that renders for it."""

    def __init__(self, app, registry):
        self.app = app  # the Pyramid router (not the page cache in front of it)
        self.engine = registry["db_engine"]
        self.version = code_version(registry.settings)
        self.default_locale = registry.settings.get("portal.default_locale", "zh_CN")
        self.reader = Reader(self.engine)
        log.info("notice pages of code version %s", self.version)

    @contextmanager
    def connection(self, environ, write=False):
        # Tests hand in their own session bound to a rolled-back connection (as models.dbsession does).
        session = environ.get("app.dbsession")
        if session is not None:
            yield session.connection()
            return
        with (self.engine.begin() if write else self.engine.connect()) as connection:
            yield connection

    def lookup(self, environ, notice_id: int, variant: str) -> Lookup | None:
        """None unless the notice is public now (a closed appeal, a draft, an expired or missing notice
        are Pyramid's to answer)."""
        session = environ.get("app.dbsession")
        if session is not None:  # tests: the same read on their own connection
            row = self.reader.read(notice_id, variant, session.connection().connection.dbapi_connection)
        else:
            row = self.reader.read(notice_id, variant)
        if row is None:
            return None
        state, expires_at, stamp, version, page_stamp, content, page_etag = row
        if state != "published" or (expires_at is not None and expires_at <= utcnow()):
            return None
        stamp = stamp or 0
        current = version == self.version and page_stamp == stamp
        return Lookup(stamp, (bytes(content), page_etag) if current else None)

    def page(self, environ, locale: str) -> Page | None:
        """The notice page this request asks for, from the store or rendered (and stored) now; None
        when it is not a notice page the store answers (Pyramid then answers as usual)."""
        found = target(environ.get("PATH_INFO", ""))
        site = origin(environ)
        if found is None or site is None or environ.get("SCRIPT_NAME"):
            return None
        kind, notice_id = found
        variant = f"{kind}:{locale}"
        try:
            looked_up = self.lookup(environ, notice_id, variant)
        except (SQLAlchemyError, *self.reader.errors):
            log.warning("notice page store unreadable; rendering", exc_info=True)
            return None
        if looked_up is None:
            return None
        if looked_up.stored is not None:
            content, stored_etag = looked_up.stored
            headers, body = zlib.decompress(content).split(b"\n", 1)
            return Page("200 OK", _validated(_headers(headers), stored_etag, site), localize(body, site), "stored")
        status, headers, body = self.render(environ)
        served = localize(body, site)
        if PLACEHOLDER_HOST.encode() in served:  # some link this code does not know how to localize
            log.warning("%s is not host-independent; rendered afresh", environ.get("PATH_INFO"))
            return None
        row = self.row(notice_id, variant, looked_up.stamp, status, headers, body)
        if row is not None:
            self.store(environ, [row])
            headers = _with_validators(headers, row["etag"], site)
        return Page(status, headers, served, "rendered")

    def render(self, environ) -> tuple[str, list, bytes]:
        """The application's answer to this request as if it came for the placeholder origin."""
        environ = {k: v for k, v in environ.items() if k not in DROPPED_REQUEST_HEADERS}
        environ.update(HTTP_HOST=PLACEHOLDER_HOST, SERVER_NAME=PLACEHOLDER_HOST, SERVER_PORT="80",
                       QUERY_STRING="")
        environ["wsgi.url_scheme"] = "http"
        seen = {}

        def start_response(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return lambda data: None

        chunks = self.app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        headers = [(h, v) for h, v in seen["headers"] if h.lower() != "content-length"]
        return seen["status"], headers, body

    def row(self, notice_id: int, variant: str, stamp: int, status: str, headers, body: bytes) -> dict | None:
        """What to store for a rendered answer, kept under the stamp read before rendering; None for
        anything but a plain 200 page without cookies."""
        if not status.startswith("200") or any(h.lower() == "set-cookie" for h, _ in headers):
            return None
        if PLACEHOLDER_HOST.encode() in localize(body, "http://localhost"):
            return None
        return {"notice_id": notice_id, "variant": variant, "code_version": self.version, "stamp": stamp,
                "content": zlib.compress(json.dumps(headers).encode() + b"\n" + body, 6),
                "etag": hashlib.sha256(body).hexdigest()[:20], "rendered_at": utcnow()}

    def store(self, environ, rows) -> None:
        """Keep rendered pages. Losing a race to another server's store is fine: either row is a
        correct page or a stale one, which is never served."""
        try:
            with self.connection(environ, write=True) as connection:
                statement = _insert(connection)(NoticePage)
                connection.execute(statement.on_conflict_do_update(
                    index_elements=["notice_id", "variant"],
                    set_={c: statement.excluded[c] for c in rows[0] if c not in ("notice_id", "variant")}), rows)
        except SQLAlchemyError:  # the pages are still served; the next request tries again
            log.warning("could not store %s notice page(s)", len(rows), exc_info=True)

    def blank_environ(self, notice_id: int, kind: str, locale: str, extra=None) -> dict:
        """A request as a visitor in `locale` would make it, for rendering ahead."""
        path = f"/api/v1/notices/{notice_id}" if kind == "api" else f"/notices/{notice_id}"
        environ = BlankRequest.blank(path, base_url=PLACEHOLDER_ORIGIN,
                                     headers={"Accept-Language": ACCEPT_LANGUAGE.get(locale, locale)}).environ
        environ.update(extra or {})
        return environ

    def due(self, dbsession, variants, limit: int, after=None) -> list[tuple]:
        """(published_at, id) of public notices, newest first (older than `after`), with a variant not
        stored for their current stamp and this code."""
        stamp = func.coalesce(NoticePageStamp.stamp, 0)
        missing = [~exists().where(NoticePage.notice_id == Notice.id, NoticePage.variant == v,
                                   NoticePage.code_version == self.version, NoticePage.stamp == stamp)
                   for v in variants]
        query = (select(Notice.published_at, Notice.id)
                 .outerjoin(NoticePageStamp, NoticePageStamp.notice_id == Notice.id)
                 .where(Notice.state == "published", or_(Notice.expires_at.is_(None), Notice.expires_at > utcnow()),
                        or_(*missing)))
        if after is not None:
            query = query.where(tuple_(Notice.published_at, Notice.id) < tuple_(*after))
        return list(dbsession.execute(
            query.order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit)).all())


def _insert(connection):
    return (postgresql if connection.dialect.name == "postgresql" else sqlite).insert


VALIDATORS = ("etag", "cache-control", "vary")


@functools.lru_cache(maxsize=64)
def _headers(stored: bytes) -> tuple:
    # Pages of one kind share their headers: each server reads each set once.
    return tuple((name, value) for name, value in json.loads(stored) if name.lower() not in VALIDATORS)


def _with_validators(headers, stored_etag: str, site: str) -> list:
    kept = [(h, v) for h, v in headers if h.lower() not in VALIDATORS]
    return _validated(kept, stored_etag, site)


def _validated(headers, stored_etag: str, site: str) -> list:
    # Kept by browsers and proxies, but asked about each time: a closed appeal leaves every cache at once.
    return [*headers, ("ETag", etag(stored_etag, site)), ("Cache-Control", "no-cache"),
            ("Vary", "Accept-Language, Cookie")]


