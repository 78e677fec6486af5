"""Changes to published notices, four eyes as for their first publication (DESIGN.md section 4).

An officer's edit of a published notice does not touch the notice: it is stored as a pending
revision (the changed public fields, before and as proposed) that another officer of the notice's
unit or a unit above approves or rejects with a reason. The public pages, API, feeds, CAP, posters
and search index keep the approved version until then; approving applies the values exactly as an
edit of a draft does (a new version, "updated" time, public caches cleared, a CAP Update).

One pending revision per notice: a newer edit (by anyone who saw the pending one: the edit form
starts from it) supersedes it. The audit keeps the old and new values of each changed field, on
submission and on approval; notices hold no protected fields (a missing-person family's contacts
live, encrypted, with its request, and those notices are not edited here)."""
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.notices import photos
from portal.notices.models import Notice, NoticeRevision
from portal.notices.workflow import NOTICE_UNCHANGED, REVISION_WORKFLOW
from portal.workflow import UNCHECKED

DATETIME_FIELDS = ("expires_at",)
# Each value in an audit event is cut to this many characters (the revision row keeps it whole),
# so that an event stays readable and bounded however long a notice's text is.
AUDIT_VALUE_CHARS = 1000
PENDING_CHANGED = _("Someone else proposed a change to this notice after you opened the form, so your "
                    "changes were NOT saved. What you typed is kept below; check the pending change, "
                    "then save again.")


def encode(name: str, value):
    """A field's value as the revision stores it (JSON): datetimes as ISO text."""
    return value.isoformat() if isinstance(value, datetime) else value


def decode(name: str, value):
    if name in DATETIME_FIELDS and value is not None:
        return datetime.fromisoformat(value)
    return value


def public_value(notice: Notice, name: str):
    """What the public sees of a field now; "photos" is the notice's photo set (photos.py)."""
    return photos.current(notice) if name == photos.FIELD else getattr(notice, name)


def pending_for(dbsession, notice: Notice) -> NoticeRevision | None:
    return dbsession.execute(
        select(NoticeRevision).where(NoticeRevision.pending_notice_id == notice.id)
    ).scalar_one_or_none()


def proposed_values(revision: NoticeRevision) -> dict:
    """The proposed public fields (not the photos: see proposed_photos)."""
    return {name: decode(name, value) for name, value in revision.new_values.items() if name != photos.FIELD}


def proposed_photos(revision: NoticeRevision | None) -> list[dict] | None:
    """The photo set a revision proposes; None when it leaves the photos as they are."""
    return revision.new_values.get(photos.FIELD) if revision is not None else None


def _cut(value) -> object:
    if isinstance(value, str) and len(value) > AUDIT_VALUE_CHARS:
        return value[:AUDIT_VALUE_CHARS] + f"… ({len(value)} characters)"
    return value


def audit_text(revision: NoticeRevision, old: dict, new: dict) -> str:
    """What an audit event says of a change: the revision and each field's old and new value."""
    diff = {name: {"old": _cut(old.get(name)), "new": _cut(new[name])} for name in sorted(new)}
    return f"revision {revision.id}: " + json.dumps(diff, ensure_ascii=False, sort_keys=True)


def diff(revision: NoticeRevision, labels: dict) -> list[tuple]:
    """(label, old, new) per changed field, for the staff page."""
    def shown(name, value):
        return photos.summary(value) if name == photos.FIELD else decode(name, value)
    return [(labels.get(name, name), shown(name, revision.old_values.get(name)), shown(name, value))
            for name, value in sorted(revision.new_values.items())]


def _end(revision: NoticeRevision, request, name: str, *, reason: str = "", audit_reason: str,
         version=UNCHECKED) -> None:
    """One step off "pending" through the engine (role, state at `version`, reason, guards, audit)."""
    REVISION_WORKFLOW.apply(request, revision, name, reason=reason, audit_reason=audit_reason, version=version)
    revision.pending_notice_id = None
    revision.decided_by_id = request.identity.id
    revision.decided_at = utcnow()
    revision.reason = reason.strip()
    request.dbsession.flush()


def propose(request, notice: Notice, changes: dict, *, pending_seen) -> NoticeRevision | None:
    """Store `changes` (public field -> new value, only those that differ from the notice) as the
    notice's pending revision, superseding the pending one the editor's form started from.
    `pending_seen` is that revision's id (None when the form showed none); if another one is pending
    now, the editor did not see it and nothing is saved. Changes equal to the public version just
    withdraw the pending revision (None is returned)."""
    dbsession = request.dbsession
    current = pending_for(dbsession, notice)
    if (current.id if current else None) != pending_seen:
        raise Refused(PENDING_CHANGED, 409)
    if current is not None and {k: encode(k, v) for k, v in changes.items()} == current.new_values:
        return current  # the form saved as it was shown: nothing new to propose
    try:
        with dbsession.begin_nested():
            if current is not None:
                _end(current, request, "supersede", audit_reason=f"revision {current.id}: replaced by a newer edit")
            if not changes:
                return None
            revision = NoticeRevision(
                notice=notice, pending_notice_id=notice.id, state="pending", base_version=notice.version,
                old_values={k: encode(k, public_value(notice, k)) for k in changes},
                new_values={k: encode(k, v) for k, v in changes.items()},
                author_id=request.identity.id, created_at=utcnow())
            dbsession.add(revision)
            dbsession.flush()
    except IntegrityError:
        # Another officer's revision was stored between our read and this write.
        raise Refused(PENDING_CHANGED, 409) from None
    audit.record(request, "notice.revision_proposed", object_type="notice", object_id=notice.id,
                 from_state=notice.state, to_state=notice.state,
                 reason=audit_text(revision, revision.old_values, revision.new_values))
    return revision


def _deciding(request, notice: Notice, revision_id) -> NoticeRevision:
    revision = request.dbsession.get(NoticeRevision, int(revision_id)) if str(revision_id).isdigit() else None
    if revision is None or revision.notice_id != notice.id:
        raise Refused(_("This change is not one of this notice's. Reload the page."), 404)
    return revision


def approve(request, notice: Notice, revision_id, *, version) -> NoticeRevision:
    """A second officer approves: the engine checks role and unit, four eyes, that the revision is
    still pending at the version the officer saw and that the notice did not change since it was
    proposed; then the values go public as an ordinary edit would."""
    revision = _deciding(request, notice, revision_id)
    now_values = {name: encode(name, public_value(notice, name)) for name in revision.new_values}
    try:
        with request.dbsession.begin_nested():
            _end(revision, request, "approve", version=version,
                 audit_reason=audit_text(revision, now_values, revision.new_values))
            for name, value in proposed_values(revision).items():
                setattr(notice, name, value)
            if photos.FIELD in revision.new_values:
                photos.apply(request.dbsession, notice, revision.new_values[photos.FIELD])
            notice.updated_at = utcnow()
            request.dbsession.flush()
    except StaleDataError:
        raise Refused(NOTICE_UNCHANGED.message, NOTICE_UNCHANGED.status) from None
    return revision


def reject(request, notice: Notice, revision_id, reason: str, *, version) -> NoticeRevision:
    """Turn a pending change down with a reason: the public version stays as it is."""
    revision = _deciding(request, notice, revision_id)
    reason = (reason or "").strip()[:4000]
    _end(revision, request, "reject", reason=reason, version=version, audit_reason=f"revision {revision.id}: {reason}")
    return revision
