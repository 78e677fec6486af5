"""Missing-person requests: a family submits, the command center verifies and publishes, and
closes the appeal when the person is found.

A submission is stored whole or not at all: the draft notice with the person's description, the
photos (files and Media rows), the request with the sealed family contact, the receipt and the
audit event share the request's transaction; photo files of a transaction that does not commit
are removed again (services/uploads.py). Every step after that is a workflow transition (audited)
and every change to what the public sees clears the page cache."""
import json
from datetime import UTC

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from portal.abuse.ratelimit import count_per_hour
from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.localtime import LOCAL_TZ, local_today
from portal.core.meta import utcnow
from portal.core.pagination import decode_cursor, encode_cursor
from portal.core.refused import Refused
from portal.media.uploads import UploadRefused, store_photos
from portal.missing import updates as missing_updates
from portal.missing.models import MissingPersonRequest
from portal.missing.workflow import MISSING_REQUEST_WORKFLOW
from portal.notices import medical
from portal.notices.models import MissingPersonDetails, Notice
from portal.outbox import updates
from portal.privacy import protected, receipts
from portal.units.models import Unit
from portal.units.scope import in_scope_clause

CONTACT_LABEL = missing_updates.CONTACT_LABEL
SUBJECT_TYPE = missing_updates.SUBJECT_TYPE
PAGE_SIZE = 50
PERSON_FIELDS = ("full_name", "sex", "birth_date", "age_min", "age_max", "height_min_cm", "height_max_cm",
                 "weight_min_kg", "weight_max_kg", "build", "hair", "eyes", "clothing", "distinguishing_marks",
                 "languages", "circumstances")
VEHICLE_FIELDS = ("vehicle_make", "vehicle_model", "vehicle_colour", "vehicle_plate")
OPEN_STATES = ("submitted", "verifying")


def count_attempt(request) -> None:
    """Count one sending of the form; ratelimit.RateLimited over the hourly limit."""
    count_per_hour(request, "missing", "portal.missing.rate_per_hour")


def command_unit_for(unit: Unit) -> Unit:
    """The nearest command center at or above the unit (the root when none is marked)."""
    current = unit
    while current is not None:
        if current.is_command_center:
            return current
        if current.parent is None:
            return current
        current = current.parent
    return unit


def _age_on(birth_date, day) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def submit(request, data: dict) -> tuple[MissingPersonRequest, str]:
    """Store a validated form (schemas/missing.py; photos already checked) and return the request
    and its receipt code, which the caller shows once."""
    dbsession = request.dbsession
    acceptance, contact, person = data["acceptance"], data["contact"], data["person"]
    unit = dbsession.get(Unit, int(acceptance["unit_id"]))
    details = MissingPersonDetails(**{k: person[k] for k in PERSON_FIELDS})
    for name in ("full_name", "build", "hair", "eyes", "clothing", "distinguishing_marks", "languages",
                 "circumstances"):
        setattr(details, name, (getattr(details, name) or "").strip())
    if details.age_min is None and details.age_max is None and details.birth_date is not None:
        details.age = _age_on(details.birth_date, local_today())
    elif details.age_min is None or details.age_max is None:  # one end given: that one age
        details.age = details.age_min if details.age_min is not None else details.age_max
    details.medical_needs = medical.seal(request, person.get("medical_needs"))
    details.medical_needs_public = bool(person.get("medical_public") and details.medical_needs)
    last_seen = person["last_seen"]
    details.last_seen_at = person["last_seen_at"].astimezone(UTC)
    details.last_seen_place = last_seen["place"].strip()
    details.last_seen_lat, details.last_seen_lon = last_seen.get("lat"), last_seen.get("lon")

    try:
        photos = store_photos(request, data["photos"])
    except UploadRefused:
        _doom(request)  # some files may be written: the transaction must not commit
        raise
    # The notice belongs to the accepting unit (it holds the case); it stays a draft until published.
    notice = Notice(kind="missing_person", state="draft", unit=unit, title=_title(details.full_name),
                    body=_summary(details), slug="missing", missing_person=details,
                    **{k: (person.get(k) or "").strip() for k in VEHICLE_FIELDS})
    dbsession.add(notice)
    for photo in photos:
        photo.alt_text = details.full_name[:255]
        photo.taken_on = data.get("photos_taken_on")
        photo.notice = notice
        dbsession.add(photo)
    dbsession.flush()
    notice.slug = f"missing-{notice.id}"
    missing_request = MissingPersonRequest(
        state=MISSING_REQUEST_WORKFLOW.initial, notice=notice, accepting_unit=unit,
        accepting_unit_phone=acceptance["unit_phone"].strip(), acceptance_receipt_no=acceptance["receipt_no"].strip(),
        command_unit=command_unit_for(unit), family_contact=seal_contact(request, contact),
        notify_consent=bool(contact.get("notify") and updates.reachable(contact)),
        locale=request.locale_name)
    dbsession.add(missing_request)
    dbsession.flush()
    code = receipts.issue(dbsession, request.registry["receipt_hasher"], SUBJECT_TYPE, missing_request.id)
    # Who the person is stays out of the log: only that a request arrived, for which unit.
    audit.record(request, "missing_request.submitted", officer=None, actor="public", object_type=SUBJECT_TYPE,
                 object_id=missing_request.id, to_state=missing_request.state,
                 reason=f"accepting unit {unit.code}, {len(photos)} photo(s)")
    return missing_request, code


def _title(name: str) -> str:
    # Stored once, in the portal's default language (the notice list shows titles as written).
    return f"寻人启事：{name}"[:200]


def _summary(details: MissingPersonDetails) -> str:
    """One sentence for feeds and CAP (the page shows the full description from the details)."""
    seen = details.last_seen_at.astimezone(LOCAL_TZ)
    return f"{details.full_name}于{seen:%Y年%m月%d日 %H:%M}在{details.last_seen_place}走失。"[:2000]


def _doom(request) -> None:
    tm = getattr(request, "tm", None)
    if tm is not None:
        tm.doom()


def seal_contact(request, contact: dict) -> str:
    value = {k: (contact.get(k) or "").strip() for k in ("name", "phone", "relationship")}
    if (contact.get("email") or "").strip():
        value["email"] = contact["email"].strip()
    if contact.get("phone_verified"):
        value["phone_verified"] = True
    return protected.seal(request, json.dumps(value, ensure_ascii=False), CONTACT_LABEL)


def reveal_contact(request, missing_request: MissingPersonRequest, reason: str) -> dict:
    """The family contact for the signed-in dispatcher, audited with the reason first."""
    # Emptied by retention (missing/jobs.py): nothing to show, but the attempt is still audited.
    plain = protected.reveal(request, missing_request.family_contact or None, officer=request.identity,
                             label=CONTACT_LABEL, object_type=SUBJECT_TYPE, object_id=missing_request.id,
                             reason=reason)
    return json.loads(plain) if plain else {}


# Dispatchers' steps ---------------------------------------------------------------------------

def steps_for(request, missing_request: MissingPersonRequest, context=None):
    """The transitions the signed-in officer may take from the request's state."""
    # Publishing shows before the checklist is complete: pressing it says what is missing.
    return MISSING_REQUEST_WORKFLOW.available(request, missing_request, context=context, check_guards=False)


def check_version(missing_request: MissingPersonRequest, version) -> None:
    if version is not None and str(version) != str(missing_request.version):
        raise Refused(_("Someone else changed this request meanwhile. Nothing was changed; "
                        "please check the page again."), 409)


def record_checklist(request, missing_request: MissingPersonRequest, *, family_confirmed: bool,
                     unit_confirmed: bool, how: str) -> None:
    """Record what the dispatcher checked; who and when are recorded here, not typed."""
    if missing_request.state != "verifying":
        raise Refused(_("Start verifying the request before recording the checklist."))
    how = (how or "").strip()
    if (family_confirmed or unit_confirmed) and not how:
        raise Refused(_("Say how the request was confirmed (for example: called the family and the "
                               "accepting unit's duty desk)."))
    missing_request.family_confirmed = bool(family_confirmed)
    missing_request.unit_confirmed = bool(unit_confirmed)
    missing_request.verification_how = how
    missing_request.verified_by_id = request.identity.id
    missing_request.verified_at = utcnow()
    request.dbsession.flush()
    done = [name for name, value in (("family", family_confirmed), ("accepting unit", unit_confirmed)) if value]
    audit.record(request, "missing_request.checklist", object_type=SUBJECT_TYPE, object_id=missing_request.id,
                 from_state=missing_request.state, to_state=missing_request.state,
                 # "How" stays on the request: it may name the family or a phone number.
                 reason="confirmed: " + (", ".join(done) or "nothing") + "; how recorded on the request")


def transition(request, missing_request: MissingPersonRequest, name: str, reason: str = "", *, context=None) -> None:
    """Take one step; the engine checks role, state, reason and, for publishing, the checklist."""
    reason = (reason or "").strip()
    MISSING_REQUEST_WORKFLOW.apply(request, missing_request, name, reason=reason, context=context)
    missing_request.reason = reason if name in ("reject", "withdraw") else missing_request.reason
    notice = missing_request.notice
    now = utcnow()
    was_public = notice.state == "published"
    if name == "publish":
        notice.state = "published"
        notice.published_at = notice.updated_at = now
        notice.approver_id = request.identity.id
        notice.verified_by_unit = command_unit_for(request.identity.unit)
        notice.verified_at = now
    elif name in ("resolve", "withdraw") and was_public:
        # A closed appeal: the neutral page, a CAP Cancel, nothing of the person anywhere public.
        notice.state = "resolved"
        notice.resolved_at = notice.updated_at = now
    elif name in ("reject", "withdraw"):
        notice.state = "retracted"  # never public; kept for the record
        notice.updated_at = now
    request.dbsession.flush()  # which queues the proxies' purge of its answers (notices/purge_tags.py)
    missing_updates.tell(request, missing_request, name)


# Reading ---------------------------------------------------------------------------------------

def queue_page(dbsession, officer, *, state: str, cursor: str | None = None, size: int = PAGE_SIZE):
    """Requests of the command centers in the officer's scope in one state, oldest first."""
    query = (select(MissingPersonRequest)
             .join(Unit, MissingPersonRequest.command_unit_id == Unit.id)
             .where(in_scope_clause(officer), MissingPersonRequest.state == state)
             .options(selectinload(MissingPersonRequest.notice).selectinload(Notice.missing_person),
                      selectinload(MissingPersonRequest.accepting_unit)))
    if cursor:
        at, last_id = decode_cursor(cursor)
        query = query.where(or_(MissingPersonRequest.created_at > at,
                                and_(MissingPersonRequest.created_at == at, MissingPersonRequest.id > last_id)))
    rows = dbsession.execute(
        query.order_by(MissingPersonRequest.created_at, MissingPersonRequest.id).limit(size + 1)).scalars().all()
    more = len(rows) > size
    rows = rows[:size]
    return rows, (encode_cursor(rows[-1].created_at, rows[-1].id) if more else None)


def for_receipt(dbsession, subject_id: int) -> MissingPersonRequest | None:
    return dbsession.get(MissingPersonRequest, subject_id)
