"""Writing and reviewing notices: drafts, four-eyes approval, updates, closing. Every step is
audited (through the workflow engine) and clears the public page cache when it changes a page."""
from sqlalchemy import select

from ..models import Notice
from ..models.meta import utcnow
from ..workflow.engine import TransitionRefused
from ..workflow.notices import NOTICE_WORKFLOW
from . import audit, pagecache

EDITABLE_STATES = ("draft", "published")
COMMON_FIELDS = ("title", "body", "expires_at")
KIND_FIELDS = {
    "wanted": ("suspect_description", "caution"),
    "lost_found": ("item_description", "found_place"),
    "case_appeal": (),
    "vehicle": ("vehicle_plate", "vehicle_make", "vehicle_model", "vehicle_colour"),
    "reward_task": ("reward_amount", "reward_conditions"),
}
STAFF_KINDS = tuple(KIND_FIELDS)  # missing persons come from families' requests, verified by dispatchers


class StaleEdit(Exception):
    """Someone saved the notice after this form was opened."""


def fields_for(kind: str) -> tuple[str, ...]:
    return COMMON_FIELDS + KIND_FIELDS[kind]


def create_draft(request, *, kind: str, unit, values: dict) -> Notice:
    if kind not in KIND_FIELDS:
        raise ValueError(f"officers cannot write {kind} notices here")
    notice = Notice(kind=kind, state="draft", unit=unit, author_id=request.identity.id, slug=f"{kind}",
                    **{k: v for k, v in values.items() if k in fields_for(kind)})
    request.dbsession.add(notice)
    request.dbsession.flush()
    notice.slug = f"{kind}-{notice.id}"
    audit.record(request, "notice.created", object_type="notice", object_id=notice.id, to_state="draft")
    return notice


def update(request, notice: Notice, values: dict, *, version: int) -> list[str]:
    """Save an edit made on the form opened at `version`; refuse it if someone saved since."""
    if notice.state not in EDITABLE_STATES:
        raise TransitionRefused(f"a notice that is {notice.state} cannot be edited")
    if version != notice.version:
        raise StaleEdit()
    changed = [k for k in fields_for(notice.kind) if k in values and getattr(notice, k) != values[k]]
    for name in changed:
        setattr(notice, name, values[name])
    if changed:
        notice.updated_at = utcnow()
        request.dbsession.flush()  # the version column moves on here (and guards a race)
        audit.record(request, "notice.edited", object_type="notice", object_id=notice.id,
                     from_state=notice.state, to_state=notice.state, reason="changed: " + ", ".join(changed))
        if notice.state == "published":
            pagecache.invalidate(request)
    return changed


def transition(request, notice: Notice, name: str, reason: str = "") -> None:
    officer = request.identity
    if name == "approve" and notice.author_id == officer.id:
        raise TransitionRefused("four eyes: the author of a notice cannot approve it")
    if name == "expire":
        raise TransitionRefused("notices expire by themselves at their expiry time")
    NOTICE_WORKFLOW.apply(request, notice, name, reason=reason)
    now = utcnow()
    if name == "request_changes":
        notice.review_note = reason.strip()
    elif name == "approve":
        notice.review_note = ""
        notice.approver_id = officer.id
        notice.published_at = notice.updated_at = now
    elif name in ("resolve", "retract"):
        notice.resolved_at = notice.updated_at = now
    pagecache.invalidate(request)


def expire_due(request, now=None) -> int:
    """Move published notices past their expiry time to expired (run by the worker)."""
    now = now or utcnow()
    due = request.dbsession.execute(
        select(Notice).where(Notice.state == "published", Notice.expires_at.is_not(None), Notice.expires_at <= now)
    ).scalars().all()
    for notice in due:
        NOTICE_WORKFLOW.apply(request, notice, "expire", actor="system", officer=None,
                              reason=f"expiry time {notice.expires_at:%Y-%m-%d %H:%M} UTC passed")
        notice.updated_at = now
    if due:
        pagecache.invalidate(request)
    return len(due)
