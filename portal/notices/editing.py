"""Writing and reviewing notices: drafts, four-eyes approval, updates, closing. Every step is
audited (through the workflow engine) and clears the public page cache when it changes a page.

Refusals carry translatable messages: the views show them to the officer as they are."""
from sqlalchemy.orm.exc import StaleDataError

from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.notices import photos, revisions
from portal.notices.models import Notice
from portal.notices.workflow import NOTICE_WORKFLOW, STAFF_WRITTEN

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
STALE_EDIT = _("Someone else saved this notice after you opened the form, so your changes were NOT saved. "
               "What you typed is kept below; the history shows what changed. Check it, then save again.")


def fields_for(kind: str) -> tuple[str, ...]:
    return COMMON_FIELDS + KIND_FIELDS[kind]


def is_staff_kind(notice: Notice) -> bool:
    return notice.kind in KIND_FIELDS


def create_draft(request, *, kind: str, unit, values: dict) -> Notice:
    if kind not in KIND_FIELDS:
        raise ValueError(f"officers cannot write {kind} notices here")
    notice = Notice(kind=kind, state="draft", unit=unit, author_id=request.identity.id, slug=f"{kind}",
                    **{k: v for k, v in values.items() if k in fields_for(kind)})
    request.dbsession.add(notice)
    request.dbsession.flush()
    notice.slug = f"{kind}-{notice.id}"
    plan = photos.planned(request, notice, {**values, photos.FIELD: []}, [])
    photos.apply(request.dbsession, notice, plan)
    audit.record(request, "notice.created", object_type="notice", object_id=notice.id, to_state="draft",
                 reason=f"{len(plan)} photo(s)" if plan else "")
    return notice


def check_editable(notice: Notice) -> None:
    if not is_staff_kind(notice):
        raise Refused(STAFF_WRITTEN.message, STAFF_WRITTEN.status)
    if notice.state not in EDITABLE_STATES:
        raise Refused(_("This notice is ${state}: it can no longer be edited.",
                                  mapping={"state": notice.state}))


def update(request, notice: Notice, values: dict, *, version: int | None, pending: int | None = None) -> list[str]:
    """Save an edit made on the form opened at `version`; refuse it if someone saved since. An edit
    of a published notice is not applied: it becomes a revision a second officer approves
    (revisions.py); `pending` is the pending revision the form showed, if any."""
    check_editable(notice)
    if version != notice.version:
        raise Refused(STALE_EDIT, 409)
    changed = [k for k in fields_for(notice.kind) if k in values and getattr(notice, k) != values[k]]
    changes = {k: values[k] for k in changed}
    public_photos = photos.current(notice)
    if notice.state == "published":
        # The form showed the pending change's photos, if it changes them (checked by propose too).
        shown = revisions.pending_for(request.dbsession, notice)
        base = revisions.proposed_photos(shown) if shown is not None and shown.id == pending else None
        plan = photos.planned(request, notice, values, public_photos if base is None else base)
        if plan != public_photos:
            changes[photos.FIELD] = plan
        revision = revisions.propose(request, notice, changes, pending_seen=pending)
        return sorted(revision.new_values) if revision is not None else []
    plan = photos.planned(request, notice, values, public_photos)
    if plan != public_photos:
        changed.append(photos.FIELD)
    if changed:
        try:
            # A savepoint: when another save lands between our read and this write, the version
            # check in the UPDATE fails, only this step is undone and the session stays usable.
            with request.dbsession.begin_nested():
                for name in changed:
                    if name == photos.FIELD:
                        photos.apply(request.dbsession, notice, plan)
                    else:
                        setattr(notice, name, values[name])
                notice.updated_at = utcnow()
        except StaleDataError:
            raise Refused(STALE_EDIT, 409) from None
        audit.record(request, "notice.edited", object_type="notice", object_id=notice.id,
                     from_state=notice.state, to_state=notice.state, reason="changed: " + ", ".join(changed))
    return changed


def transition(request, notice: Notice, name: str, reason: str = "", *, context=None) -> None:
    """One step by the signed-in officer; the engine checks role, state, reason and four eyes."""
    officer = request.identity
    NOTICE_WORKFLOW.apply(request, notice, name, reason=reason, context=context)
    now = utcnow()
    if name == "request_changes":
        notice.review_note = reason.strip()
        notice.updated_at = now
    elif name == "submit":
        notice.updated_at = now
    elif name == "approve":
        notice.review_note = ""
        notice.approver_id = officer.id
        notice.published_at = notice.updated_at = now
        # The public badge: "approved by <the second officer's unit> on <day>" (four eyes).
        notice.verified_by_unit_id, notice.verified_at = officer.unit_id, now
    elif name in ("resolve", "retract"):
        notice.resolved_at = notice.updated_at = now
    request.dbsession.flush()  # which queues the proxies' purge of its answers (notices/purge_tags.py)


