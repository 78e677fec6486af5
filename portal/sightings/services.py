"""Sightings: clues the public sends on a published notice, and the moderators' queue of them.

A sighting is stored whole or not at all: the row, its photo (files and Media row), the sealed
contact, the receipt and the audit event share the request's transaction, and photo files written for a
transaction that does not commit are removed again (services/uploads.py)."""
import json
from datetime import UTC

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from portal.abuse.ratelimit import count_per_hour
from portal.audit import chain as audit
from portal.core.meta import utcnow
from portal.core.pagination import decode_cursor, encode_cursor
from portal.media.uploads import UploadLimits, check_photos, store_photos
from portal.notices.models import Notice
from portal.outbox import updates
from portal.privacy import protected
from portal.sightings import thread
from portal.sightings.models import CONTACT_LABEL, SIGHTING_STATES, Sighting
from portal.sightings.workflow import SIGHTING_WORKFLOW
from portal.units.models import Unit
from portal.units.scope import in_scope_clause

PHOTO_LIMITS = UploadLimits(max_count=1)
PAGE_SIZE = 50


def count_attempt(request) -> None:
    """Count one sending of the form; ratelimit.RateLimited over the hourly limit."""
    count_per_hour(request, "sighting", "portal.sighting.rate_per_hour")


def submit(request, notice: Notice, *, seen_at, text: str, place: str = "", lat=None, lon=None,
           accuracy_m=None, contact_name: str = "", contact_phone: str = "", notify: bool = False,
           phone_verified: bool = False, contact_email: str = "",
           photos=()) -> tuple[Sighting, str]:
    """Store one sighting on a public notice, routed to the notice's unit, and return it with its
    receipt code, which the caller shows once.

    Raises UploadRefused before anything is stored when the photo is not acceptable."""
    checked = check_photos(list(photos), PHOTO_LIMITS)
    media = None
    if checked:
        (media,) = store_photos(request, checked)
        # Never attached to the notice: the notice's media list is public, a clue's photo is not.
        media.notice_id = None
        request.dbsession.add(media)
    sighting = Sighting(
        notice=notice, unit_id=notice.unit_id, state=SIGHTING_WORKFLOW.initial,
        seen_at=seen_at.astimezone(UTC) if seen_at is not None else None,
        place=(place or "").strip(), lat=lat, lon=lon, accuracy_m=accuracy_m, text=text.strip(),
        media=media, contact=seal_contact(request, contact_name, contact_phone, phone_verified, contact_email),
        notify_consent=bool(notify and updates.reachable({"phone": contact_phone, "email": contact_email})),
        locale=request.locale_name,
    )
    request.dbsession.add(sighting)
    request.dbsession.flush()
    # What was said stays out of the log: only that a clue arrived, on which notice.
    audit.record(request, "sighting.received", officer=None, actor="public", object_type="sighting",
                 object_id=sighting.id, to_state=sighting.state, reason=f"notice {notice.id}")
    return sighting, thread.issue_receipt(request, sighting)


def seal_contact(request, name: str, phone: str, phone_verified: bool = False, email: str = "") -> str | None:
    name, phone, email = (name or "").strip(), (phone or "").strip(), (email or "").strip()
    if not (name or phone or email):
        return None
    value = {"name": name, "phone": phone, **({"email": email} if email else {}),
             **({"phone_verified": True} if phone_verified and phone else {})}
    return protected.seal(request, json.dumps(value, ensure_ascii=False), CONTACT_LABEL)


def transitions_for(request, sighting: Sighting, context=None):
    """The steps the signed-in officer may take from the sighting's state."""
    return SIGHTING_WORKFLOW.available(request, sighting, context=context)


def transition(request, sighting: Sighting, name: str, reason: str, *, context=None) -> None:
    """Move a sighting one step; the engine refuses it without the role, from the wrong state or
    without a reason, and audits it."""
    SIGHTING_WORKFLOW.apply(request, sighting, name, reason=reason, context=context)
    sighting.reason = reason.strip()
    sighting.updated_at = utcnow()
    thread.sender_news(request, sighting, "state")


def reveal_contact(request, sighting: Sighting, reason: str, *, officer=None) -> dict | None:
    """Decrypt the contact for this response only; the showing is audited first (Refused
    without a reason)."""
    officer = officer if officer is not None else request.identity
    value = protected.reveal(request, sighting.contact, officer=officer, label=CONTACT_LABEL,
                             object_type="sighting", object_id=sighting.id, reason=reason)
    return json.loads(value) if value else None


def _scoped(query, officer, notice_id=None):
    query = query.join(Unit, Sighting.unit_id == Unit.id).where(in_scope_clause(officer))
    if notice_id is not None:
        query = query.where(Sighting.notice_id == notice_id)
    return query


def queue(dbsession, officer, *, state: str | None = None, notice_id: int | None = None,
          cursor: str | None = None, size: int = PAGE_SIZE):
    """One page of the sightings of the officer's unit and the units below it, newest first;
    returns (sightings, next cursor or None). A bad cursor raises BadCursor."""
    query = _scoped(select(Sighting), officer, notice_id).options(selectinload(Sighting.notice))
    if state is not None:
        if state not in SIGHTING_STATES:
            raise ValueError(f"unknown sighting state {state!r}")
        query = query.where(Sighting.state == state)
    if cursor:
        at, last_id = decode_cursor(cursor)
        query = query.where(or_(Sighting.created_at < at, and_(Sighting.created_at == at, Sighting.id < last_id)))
    query = query.order_by(Sighting.created_at.desc(), Sighting.id.desc()).limit(size + 1)
    rows = dbsession.execute(query).scalars().all()
    more = len(rows) > size
    rows = rows[:size]
    return rows, (encode_cursor(rows[-1].created_at, rows[-1].id) if more else None)


def counts(dbsession, officer, *, notice_id: int | None = None) -> dict[str, int]:
    """How many sightings in the officer's scope are in each state (every state, zeros too)."""
    query = _scoped(select(Sighting.state, func.count()), officer, notice_id).group_by(Sighting.state)
    found = dict(dbsession.execute(query).all())
    return {state: found.get(state, 0) for state in SIGHTING_STATES}
