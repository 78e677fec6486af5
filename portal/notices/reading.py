"""Reading published notices for the public pages and the API."""
from datetime import UTC, datetime, time

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from portal.core.meta import UTCDateTime, utcnow
from portal.core.pagination import decode_cursor, encode_cursor
from portal.notices import search
from portal.notices.models import MissingPersonDetails, Notice
from portal.units.models import Unit


class UnknownRegion(ValueError):
    pass


def region_codes(dbsession) -> list[str]:
    """Every unit's code: the values `region` takes (the list page offers the same units)."""
    return list(dbsession.execute(select(Unit.code).order_by(Unit.code)).scalars())


def not_expired(now):
    # Of the table's column, so that the Core reads (card_reading.py) share it without the ORM's execution.
    expires_at = Notice.__table__.c.expires_at
    return or_(expires_at.is_(None), expires_at > now)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


SORTS = ("newest", "last_seen")


def with_details(query):
    """The missing person's details beside each notice (none for the other kinds)."""
    return query.outerjoin(MissingPersonDetails, MissingPersonDetails.notice_id == Notice.id)


def filtered(dbsession, query, filters: dict, *, join_details: bool = False):
    """Apply the public filters; region is a unit code and takes the units below it too. An age filter
    keeps the people whose age range overlaps the one asked for."""
    details = MissingPersonDetails
    if filters.get("kind"):
        query = query.where(Notice.kind == filters["kind"])
    if filters.get("region"):
        region = dbsession.execute(select(Unit.path).where(Unit.code == filters["region"])).scalar_one_or_none()
        if region is None:
            raise UnknownRegion(filters["region"])
        query = query.join(Unit, Notice.unit_id == Unit.id).where(Unit.path.startswith(region))
    person = join_details or any(filters.get(k) is not None for k in ("sex", "age_min", "age_max", "q"))
    if person:
        query = with_details(query)
    if filters.get("sex"):
        query = query.where(details.sex == filters["sex"])
    if filters.get("age_min") is not None:
        query = query.where(details.age_max >= filters["age_min"])
    if filters.get("age_max") is not None:
        query = query.where(details.age_min <= filters["age_max"])
    if filters.get("since"):
        query = query.where(Notice.published_at >= datetime.combine(filters["since"], time.min, tzinfo=UTC))
    if filters.get("q"):
        # Substring match: finds two-character Chinese names and places on both databases.
        pattern = _like(filters["q"])
        query = query.where(or_(*(column.like(pattern, escape="\\") for column in (
            Notice.title, Notice.body, details.full_name, details.last_seen_place))))
    return query


def _order_key(sort: str):
    if sort == "last_seen":  # missing persons by when they were last seen; other notices by publication
        return func.coalesce(MissingPersonDetails.last_seen_at, Notice.published_at, type_=UTCDateTime())
    return Notice.published_at


def _key_of(notice: Notice, sort: str):
    details = notice.missing_person if sort == "last_seen" else None
    return (details.last_seen_at if details is not None and details.last_seen_at else None) or notice.published_at


def published_query(dbsession, filters: dict, sort: str):
    filters = filters or {}
    # The search index narrows the rows the words filter (LIKE) reads; LIKE still decides.
    ids = search.candidates(dbsession, filters["q"]) if filters.get("q") else None
    # With candidates, read just those rows by id: `|| ''` hides the state index, which SQLite's
    # planner (it keeps no statistics) would otherwise walk from end to end.
    state = Notice.state if ids is None else Notice.state.concat("")
    query = select(Notice).where(state == "published", not_expired(utcnow()))
    query = filtered(dbsession, query, filters, join_details=sort == "last_seen")
    if ids is not None:
        query = query.where(Notice.id.in_(ids))
    return query


def published_count(dbsession, *, filters: dict | None = None, sort: str = "newest") -> int:
    """How many published notices the filters match (the list says it above the cards)."""
    query = published_query(dbsession, filters, sort).with_only_columns(Notice.id)
    return dbsession.execute(select(func.count()).select_from(query.subquery())).scalar_one()


def published_page(dbsession, *, filters: dict | None = None, cursor: str | None = None, size: int = 20,
                   sort: str = "newest"):
    """One page of published notices, newest first (or last seen first), as ORM objects with their
    photos and approving unit (the API); returns (notices, next cursor or None). The public cards
    read theirs with Core (card_reading.py)."""
    key = _order_key(sort)
    query = published_query(dbsession, filters, sort).options(
        selectinload(Notice.media), selectinload(Notice.verified_by_unit))
    if sort == "last_seen":
        query = query.options(selectinload(Notice.missing_person))
    if cursor:
        at, last_id = decode_cursor(cursor)
        query = query.where(or_(key < at, and_(key == at, Notice.id < last_id)))
    query = query.order_by(key.desc(), Notice.id.desc()).limit(size + 1)
    rows = dbsession.execute(query).scalars().all()
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = encode_cursor(_key_of(rows[-1], sort), rows[-1].id) if more else None
    return rows, next_cursor
