"""The notices' worker job: published notices past their expiry time expire (the flush queues the
caching proxies' purge of their pages, notices/purge_tags.py)."""
from sqlalchemy import select

from portal.core.meta import utcnow
from portal.notices.editing import STAFF_KINDS
from portal.notices.models import Notice
from portal.notices.workflow import NOTICE_WORKFLOW


def expire_due(request, now=None) -> int:
    """Move published notices past their expiry time to expired (run by the worker). Missing-person
    appeals follow their request's workflow; past expires_at they are already off public pages."""
    now = now or utcnow()
    due = request.dbsession.execute(
        select(Notice).where(Notice.state == "published", Notice.kind.in_(STAFF_KINDS),
                             Notice.expires_at.is_not(None), Notice.expires_at <= now)
    ).scalars().all()
    for notice in due:
        NOTICE_WORKFLOW.apply(request, notice, "expire", actor="system",
                              reason=f"expiry time {notice.expires_at:%Y-%m-%d %H:%M} UTC passed")
        notice.updated_at = now
        notice.ended_at = notice.expires_at  # it left the public site then, not when the worker came by
    return len(due)
