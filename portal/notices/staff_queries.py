"""Reading notices for the staff pages: the unit-scoped list, the review queue, a notice's history."""
from sqlalchemy import String, and_, cast, func, or_, select
from sqlalchemy.orm import contains_eager

from portal.audit.models import AuditEvent
from portal.core.pagination import decode_cursor, encode_cursor
from portal.notices.models import Notice, NoticeRevision
from portal.units.models import Unit
from portal.units.scope import in_scope_clause


def _scoped(officer):
    # The unit comes from the join the scope needs anyway, not from a second one.
    return (select(Notice).join(Unit, Notice.unit_id == Unit.id).options(contains_eager(Notice.unit))
            .where(in_scope_clause(officer)))


def staff_page(dbsession, officer, *, state=None, kind=None, cursor=None, size=30):
    """One page of the notices of the officer's units, newest first by keyset; (rows, next cursor).
    Raises pagination.BadCursor for a forged page link."""
    query = _scoped(officer)
    if state:
        query = query.where(Notice.state == state)
    if kind:
        query = query.where(Notice.kind == kind)
    if cursor:
        at, last_id = decode_cursor(cursor)
        query = query.where(or_(Notice.created_at < at, and_(Notice.created_at == at, Notice.id < last_id)))
    rows = dbsession.execute(
        query.order_by(Notice.created_at.desc(), Notice.id.desc()).limit(size + 1)
    ).scalars().all()
    more = len(rows) > size
    rows = rows[:size]
    return rows, (encode_cursor(rows[-1].created_at, rows[-1].id) if more else None)


def _waiting():
    """Drafts sent for review, and published notices with a change waiting for approval."""
    changed = select(NoticeRevision.pending_notice_id).where(NoticeRevision.pending_notice_id.is_not(None))
    return or_(Notice.state == "in_review", and_(Notice.state == "published", Notice.id.in_(changed)))


def review_queue(dbsession, officer, limit=20):
    """What waits for a second officer in the officer's units, oldest first (it has waited longest)."""
    return dbsession.execute(
        _scoped(officer).where(_waiting()).order_by(Notice.updated_at, Notice.id).limit(limit)
    ).scalars().all()


def review_queue_count(dbsession, officer) -> int:
    return dbsession.execute(
        select(func.count(Notice.id)).join(Unit, Notice.unit_id == Unit.id)
        .where(_waiting(), in_scope_clause(officer))
    ).scalar_one()


def with_pending_change(dbsession, notices) -> set[int]:
    """Which of these notices have a change waiting for approval."""
    ids = [n.id for n in notices if n.state == "published"]
    if not ids:
        return set()
    return set(dbsession.execute(select(NoticeRevision.pending_notice_id)
                                 .where(NoticeRevision.pending_notice_id.in_(ids))).scalars())


def history(dbsession, notice):
    """The notice's audit events, with those of its changes' approvals and rejections, oldest first."""
    revision_ids = select(cast(NoticeRevision.id, String)).where(NoticeRevision.notice_id == notice.id)
    return dbsession.execute(
        select(AuditEvent).where(or_(
            and_(AuditEvent.object_type == "notice", AuditEvent.object_id == str(notice.id)),
            and_(AuditEvent.object_type == "notice_revision", AuditEvent.object_id.in_(revision_ids))))
        .order_by(AuditEvent.id)
    ).scalars().all()
