"""The public notice cards (templates/notices/cards.html: the list page and the home page) read with
Core into plain rows, not ORM objects (issue 14: loading 20 notices and their photos through the ORM
was about a third of the list's CPU, its objects' reference cycles feeding the garbage collector).

A card is what the template reads: id, kind, title, publication, the verified badge's unit id and
date, the owning unit (from the units' directory, units/directory.py) and its main photo's id, read
in the page's own statement (a correlated subquery: no second statement for the photos). The list's
usual statements (no filter, or one kind; first page or after a cursor) are built once per process
and reused, so SQLAlchemy's compiled cache finds them without building and hashing a new select."""
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import and_, bindparam, func, or_, select

from portal.core.meta import UTCDateTime, utcnow
from portal.core.pagination import decode_cursor, encode_cursor
from portal.media.models import Media
from portal.notices import reading
from portal.notices.models import MissingPersonDetails, Notice
from portal.units.directory import UnitName, directory, unit_name


@dataclass(frozen=True, slots=True)
class CardPhoto:
    id: int


@dataclass(frozen=True, slots=True)
class Card:
    """One notice as a card shows it; `unit` and `media` as on Notice (media: the main photo or none)."""

    id: int
    kind: str
    title: str
    published_at: datetime
    verified_by_unit_id: int | None
    verified_at: datetime | None
    unit: UnitName
    media: tuple[CardPhoto, ...]


# Of the tables' columns, not the mapped attributes: a statement naming any of those runs through the
# ORM's execution even when it returns rows.
_NOTICES, _PEOPLE, _MEDIA = Notice.__table__.c, MissingPersonDetails.__table__.c, Media.__table__.c


def _main_photo():
    # The notice's photos in Notice.media's order; the card shows the first.
    return (select(_MEDIA.id).where(_MEDIA.notice_id == _NOTICES.id).order_by(_MEDIA.position, _MEDIA.id).limit(1)
            .correlate(Notice.__table__).scalar_subquery())


def _order_key(sort: str):
    # reading._order_key of the tables' columns.
    if sort == "last_seen":
        return func.coalesce(_PEOPLE.last_seen_at, _NOTICES.published_at, type_=UTCDateTime())
    return _NOTICES.published_at


def _columns(sort: str):
    return (_NOTICES.id, _NOTICES.kind, _NOTICES.title, _NOTICES.unit_id, _NOTICES.published_at,
            _NOTICES.verified_by_unit_id, _NOTICES.verified_at, _main_photo().label("photo_id"),
            _order_key(sort).label("sort_key"))


def _after(sort: str, at, last_id):
    key = _order_key(sort)
    return or_(key < at, and_(key == at, _NOTICES.id < last_id))


def _ordered(query, sort: str, size: int):
    return query.order_by(_order_key(sort).desc(), _NOTICES.id.desc()).limit(size + 1)


def _plain(filters: dict) -> bool:
    """No filter but the kind: the list as most readers open it, and the home page's lists."""
    return not any(value is not None and value != "" for name, value in filters.items() if name != "kind")


@cache
def _plain_page_statement(kind: bool, sort: str, after: bool, size: int, total: bool = False):
    now = bindparam("now", type_=UTCDateTime())
    notices = Notice.__table__
    if sort == "last_seen":
        notices = notices.outerjoin(MissingPersonDetails.__table__, _PEOPLE.notice_id == _NOTICES.id)
    query = (select(*_columns(sort)).select_from(notices)
             .where(_NOTICES.state == "published", reading.not_expired(now)))
    if kind:
        query = query.where(_NOTICES.kind == bindparam("kind"))
    if after:
        query = query.where(_after(sort, bindparam("at", type_=UTCDateTime()), bindparam("last_id")))
    if total:  # the count in the page's own statement, one round trip; uncorrelated (not per row): run once
        query = query.add_columns(_plain_count_statement(kind).correlate(None).scalar_subquery().label("total"))
    return _ordered(query, sort, size)


@cache
def _plain_count_statement(kind: bool):
    now = bindparam("now", type_=UTCDateTime())
    query = select(func.count(_NOTICES.id)).where(_NOTICES.state == "published", reading.not_expired(now))
    return query.where(_NOTICES.kind == bindparam("kind")) if kind else query


def _page_statement(dbsession, filters: dict, sort: str, cursor: str | None, size: int, total: bool = False):
    at, last_id = decode_cursor(cursor) if cursor else (None, None)
    if _plain(filters):
        kind = filters.get("kind") or None
        statement = _plain_page_statement(kind is not None, sort, cursor is not None, size, total)
        return statement, {"now": utcnow(), "kind": kind, "at": at, "last_id": last_id}
    query = reading.published_query(dbsession, filters, sort).with_only_columns(*_columns(sort))
    if cursor:
        query = query.where(_after(sort, at, last_id))
    return _ordered(query, sort, size), {}


def published_cards(dbsession, *, filters: dict | None = None, cursor: str | None = None, size: int = 20,
                    sort: str = "newest") -> tuple[list[Card], str | None]:
    """One page of published notices as cards, as reading.published_page orders and pages them;
    returns (cards, next cursor or None)."""
    filters = filters or {}
    statement, params = _page_statement(dbsession, filters, sort, cursor, size)
    return _cards(dbsession, dbsession.execute(statement, params).all(), size)


def list_page(dbsession, *, filters: dict | None = None, cursor: str | None = None, size: int = 20,
              sort: str = "newest") -> tuple[list[Card], str | None, int]:
    """published_cards and published_count: (cards, next cursor or None, total). The plain list (no
    filter but the kind, as most readers open it) reads them in one statement: on PostgreSQL a round
    trip cost the app server about as much as a whole /healthz (bench/README.md)."""
    filters = filters or {}
    if not _plain(filters):
        cards, next_cursor = published_cards(dbsession, filters=filters, cursor=cursor, size=size, sort=sort)
        return cards, next_cursor, published_count(dbsession, filters=filters, sort=sort)
    statement, params = _page_statement(dbsession, filters, sort, cursor, size, total=True)
    rows = dbsession.execute(statement, params).all()
    # No row (a cursor past the end), no count in it: asked on its own.
    total = rows[0].total if rows else published_count(dbsession, filters=filters, sort=sort)
    return (*_cards(dbsession, rows, size), total)


def _cards(dbsession, rows, size: int) -> tuple[list[Card], str | None]:
    units = directory(dbsession)
    more = len(rows) > size
    rows = rows[:size]
    cards = [Card(row.id, row.kind, row.title, row.published_at, row.verified_by_unit_id, row.verified_at,
                  unit_name(dbsession, units, row.unit_id),
                  (CardPhoto(row.photo_id),) if row.photo_id is not None else ()) for row in rows]
    next_cursor = encode_cursor(rows[-1].sort_key, rows[-1].id) if more else None
    return cards, next_cursor


def published_count(dbsession, *, filters: dict | None = None, sort: str = "newest") -> int:
    """reading.published_count, from a statement kept per process when there is no filter but the kind."""
    filters = filters or {}
    if not _plain(filters):
        return reading.published_count(dbsession, filters=filters, sort=sort)
    kind = filters.get("kind") or None
    return dbsession.execute(_plain_count_statement(kind is not None),
                             {"now": utcnow(), "kind": kind}).scalar_one()


def latest_cards(dbsession, kind: str, limit: int = 6) -> list[Card]:
    return published_cards(dbsession, filters={"kind": kind}, size=limit)[0]
