"""Reading published notices for the public pages."""
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ..models import Notice
from ..models.notice import NOTICE_KINDS
from .pagination import decode_cursor, encode_cursor


def published_page(dbsession, *, kind: str | None = None, cursor: str | None = None, size: int = 20):
    """One page of published notices, newest first; returns (notices, next cursor or None)."""
    query = select(Notice).where(Notice.state == "published").options(selectinload(Notice.media))
    if kind:
        if kind not in NOTICE_KINDS:
            raise ValueError("unknown kind")
        query = query.where(Notice.kind == kind)
    if cursor:
        at, last_id = decode_cursor(cursor)
        query = query.where(
            or_(Notice.published_at < at, and_(Notice.published_at == at, Notice.id < last_id))
        )
    query = query.order_by(Notice.published_at.desc(), Notice.id.desc()).limit(size + 1)
    rows = dbsession.execute(query).scalars().all()
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = encode_cursor(rows[-1].published_at, rows[-1].id) if more else None
    return rows, next_cursor


def latest(dbsession, kind: str, limit: int = 6):
    rows, _ = published_page(dbsession, kind=kind, size=limit)
    return rows
