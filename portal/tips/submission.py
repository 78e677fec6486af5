"""Tips from the public: the categories offered, routing to the receiving unit, submission and the
reporter's replies through /status.

A tip is stored whole or not at all: the row with the sealed contact, its answers, its attachments
(files and Media rows), the receipt and the audit event share the request's transaction; files of a
transaction that does not commit are removed again (services/tip_media.py). What the reporter wrote
stays out of the audit log: only that a tip arrived, for which unit, with how many files."""
import json
from dataclasses import dataclass
from datetime import UTC, timedelta

from sqlalchemy import select

from portal.abuse.ratelimit import RateLimited, count_per_hour
from portal.audit import chain as audit
from portal.core.db import insert_once
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.refused import Refused
from portal.geo import routing
from portal.notices.models import Notice
from portal.outbox import updates
from portal.privacy import protected, receipts
from portal.tips import media as tip_media
from portal.tips.models import Tip, TipAnswer, TipAttachment, TipCategory, TipMessage, TipReward
from portal.tips.workflow import TIP_WORKFLOW
from portal.units.models import Unit

SUBJECT_TYPE = "tip"
CONTACT_LABEL = "tip.contact"
FALLBACK_LANGUAGES = ("zh_CN", "en")
# What the reporter sees of the workflow: never the internal steps.
COARSE_STATES = {"received": "received", "triaged": "handling", "assigned": "handling",
                 "in_progress": "handling", "closed": "closed"}


OUTSIDE = _("This place is outside the areas of the police units on this portal. Check the point, or choose "
            "the receiving unit from the list.")
NO_PLACE = _("The receiving unit is chosen from the point of the place. Mark the place on the map, use your "
             "location, or choose the receiving unit from the list.")
NO_UNIT = _("Choose the unit from the list.")
# The messages (msgids) services/tip_media.py refuses an upload with when it is too large.
_TOO_LARGE = frozenset(str(refused.message) for refused in (
    tip_media.too_large("", 0), tip_media.too_much(tip_media.AttachmentLimits(0, {}, 0, timedelta(0)))))


def text_in(texts: dict | None, locale: str) -> str:
    """A text of a category or question in the visitor's language, else Chinese, else English,
    else whatever language it was written in."""
    texts = texts or {}
    for language in (locale, *FALLBACK_LANGUAGES):
        if texts.get(language):
            return texts[language]
    return next((value for value in texts.values() if value), "")


# Categories and questions -----------------------------------------------------------------------

def offered_categories(dbsession) -> list[TipCategory]:
    return list(dbsession.execute(TipCategory.in_order(offered_only=True)).scalars())


def category_by_slug(dbsession, slug: str | None) -> TipCategory | None:
    """The offered category with this slug; None for unknown and retired ones."""
    if not slug or len(slug) > 40:
        return None
    return dbsession.execute(
        select(TipCategory).where(TipCategory.slug == slug, TipCategory.retired.is_(False))
    ).scalar_one_or_none()


def active_questions(category: TipCategory) -> list:
    return [question for question in category.questions if not question.retired]


def answer_field(question) -> str:
    """The form field of a question: prefixed, so a key can never shadow another field."""
    return f"q_{question.key}"


def is_danger_answer(question, value) -> bool:
    return question.kind == "choice" and value not in (None, "") and value in (question.danger_values or [])


def reward_task(dbsession, notice_id) -> Notice | None:
    """A published reward task a tip may answer; None for anything else."""
    notice_id = record_id(notice_id)
    if notice_id is None:
        return None
    notice = dbsession.get(Notice, notice_id)
    return notice if notice is not None and notice.kind == "reward_task" and notice.is_public else None


# Routing ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Receiving:
    unit: Unit
    suggested: Unit | None  # what the point routed to, whatever the reporter chose


def receiving_unit(dbsession, unit_id, lat, lon) -> Receiving:
    """The unit a tip goes to: the one the reporter chose, else the smallest unit whose area holds
    the point. Refused when neither gives a unit."""
    suggested = routing.unit_for_point(dbsession, lat, lon) if lat is not None and lon is not None else None
    if unit_id not in (None, ""):
        chosen_id = record_id(unit_id)
        chosen = dbsession.get(Unit, chosen_id) if chosen_id is not None else None
        if chosen is None:
            raise Refused(NO_UNIT)
        return Receiving(chosen, suggested)
    if suggested is not None:
        return Receiving(suggested, suggested)
    raise Refused(OUTSIDE if lat is not None and lon is not None else NO_PLACE)


# Abuse control ----------------------------------------------------------------------------------

def count_attempt(request, *, solved_pow: bool) -> None:
    """Count one sending of the form; without a solved proof of work (no JavaScript) the stricter
    limit applies too. RateLimited over either."""
    count_per_hour(request, "tip", "portal.tip.rate_per_hour")
    if not solved_pow:
        count_per_hour(request, "tip-nojs", "portal.tip.nojs_rate_per_hour")


def count_reply(request, receipt) -> None:
    """Replies count per address and per receipt (many addresses cannot flood one thread)."""
    count_per_hour(request, "tip-reply", "portal.tip.reply_rate_per_hour")
    per_hour = int(request.registry.settings["portal.tip.reply_rate_per_hour"])
    key = f"tip-reply-receipt:{receipt.id}"
    if not request.rate_limiter.hit(key, per_hour, 3600):
        raise RateLimited(request.rate_limiter.retry_after(key, 3600))


def refusal_status(refused) -> int:
    """The status of a refused upload: what the refusal says (413 too large, 429 too many, 400), else
    413 when its message is one of the size refusals, else 400."""
    status = getattr(refused, "status", None)
    if status is not None:
        return status
    return 413 if str(getattr(refused, "message", "")) in _TOO_LARGE else 400


# Submission -------------------------------------------------------------------------------------

def _answer_text(question, value) -> str:
    if question.kind == "date":
        return value.isoformat()
    if question.kind == "number":
        return format(value.normalize(), "f")  # 2.50 -> "2.5", 1E+2 -> "100"
    return str(value).strip()


def seal_contact(request, contact: dict | None) -> str | None:
    contact = contact or {}
    name, phone = (contact.get("name") or "").strip(), (contact.get("phone") or "").strip()
    email = (contact.get("email") or "").strip()
    if not (name or phone or email):
        return None
    value = {"name": name, "phone": phone, **({"email": email} if email else {}),
             **({"phone_verified": True} if contact.get("phone_verified") else {})}
    return protected.seal(request, json.dumps(value, ensure_ascii=False), CONTACT_LABEL)


def wants_updates(contact: dict | None) -> bool:
    """The reporter ticked "tell me when something changes" and left a phone number or an e-mail
    address to send it to."""
    contact = contact or {}
    return bool(contact.get("notify") and updates.reachable(contact))


def _store_files(request, attachments) -> list:
    """The checked files into the media store, before any row is written: a storage error then
    leaves nothing behind (the files already written go with the aborted transaction)."""
    return tip_media.store_attachments(request, list(attachments))


def _link_files(request, tip: Tip, stored: list, message: TipMessage | None = None) -> list[TipAttachment]:
    dbsession, far_km = request.dbsession, float(request.registry.settings["portal.tip.photo_distance_km"])
    rows = []
    for media, checked in stored:
        dbsession.add(media)
        flags = list(checked.flags)
        distance = tip_media.capture_distance_km(tip, media)
        if distance is not None and distance > far_km:
            flags.append("far-capture")  # the photo's own GPS says it was taken elsewhere
        row = TipAttachment(tip=tip, media=media, message_id=message.id if message is not None else None,
                            flags=" ".join(flags), client_captured_at=checked.client_captured_at,
                            client_lat=checked.client_lat, client_lon=checked.client_lon)
        dbsession.add(row)
        rows.append(row)
    if any(row.flags for row in rows):
        tip.flagged = True  # moderators look at old or far captures and mismatched types
    return rows


def submit(request, category: TipCategory, data: dict, attachments=()) -> tuple[Tip, str]:
    """Store a validated tip (schemas/tips.py; attachments already checked) and return it with
    its receipt code, which the caller shows once. Raises Refused when no unit can receive it
    and UploadRefused when a file cannot be stored; the caller dooms the transaction."""
    dbsession = request.dbsession
    where = data["where"]
    receiving = receiving_unit(dbsession, data.get("unit"), where.get("lat"), where.get("lon"))
    questions = {answer_field(q): q for q in active_questions(category)}
    answers = {name: value for name, value in (data.get("answers") or {}).items()
               if name in questions and value not in (None, "")}
    danger = category.danger or any(is_danger_answer(questions[name], value) for name, value in answers.items())
    happened_at = data.get("happened_at")
    task = data.get("task")
    files = _store_files(request, attachments)
    tip = Tip(category=category, unit=receiving.unit, suggested_unit=receiving.suggested,
              state=TIP_WORKFLOW.initial, description=data["description"].strip(),
              happened_at=happened_at.astimezone(UTC) if happened_at is not None else None,
              place=(where.get("place") or "").strip(), lat=where.get("lat"), lon=where.get("lon"),
              accuracy_m=where.get("accuracy_m"), contact=seal_contact(request, data.get("contact")),
              danger=danger, task_notice_id=task.id if task is not None else None,
              notify_consent=wants_updates(data.get("contact")), locale=request.locale_name)
    dbsession.add(tip)
    for name, value in answers.items():
        dbsession.add(TipAnswer(tip=tip, question=questions[name], value=_answer_text(questions[name], value)))
    dbsession.flush()
    stored = _link_files(request, tip, files)
    dbsession.flush()
    code = receipts.issue(dbsession, request.registry["receipt_hasher"], SUBJECT_TYPE, tip.id)
    audit.record(request, "tip.submitted", officer=None, actor="public", object_type=SUBJECT_TYPE,
                 object_id=tip.id, to_state=tip.state,
                 reason=f"category {category.slug}, unit {receiving.unit.code}, {len(stored)} file(s)"
                        + (", danger" if danger else "") + (f", task notice {task.id}" if task is not None else ""))
    return tip, code


def reply(request, tip: Tip, body: str, attachments=(), nonce=None) -> TipMessage:
    """The reporter's answer on the thread, with its files, stored whole; the same form's `nonce`
    sent again (a double press, a retry whose answer was lost) returns the answer stored first."""
    dbsession = request.dbsession
    resent = _resent_reply(dbsession, tip, nonce)
    if resent is not None:
        return resent
    files = _store_files(request, attachments)
    message = TipMessage(tip_id=tip.id, author="reporter", internal=False, body=(body or "").strip(),
                         client_nonce=nonce)
    if not insert_once(dbsession, message):
        request.tm.doom()  # the same answer is being stored by its twin request: these files go
        return _resent_reply(dbsession, tip, nonce)
    stored = _link_files(request, tip, files, message)
    request.dbsession.flush()
    audit.record(request, "tip.reply", officer=None, actor="public", object_type=SUBJECT_TYPE, object_id=tip.id,
                 from_state=tip.state, to_state=tip.state, reason=f"reporter replied, {len(stored)} file(s)")
    return message


def _resent_reply(dbsession, tip: Tip, nonce) -> TipMessage | None:
    if not nonce:
        return None
    return dbsession.execute(select(TipMessage).where(
        TipMessage.tip_id == tip.id, TipMessage.client_nonce == nonce)).scalar_one_or_none()


# What the reporter sees -------------------------------------------------------------------------

def for_receipt(dbsession, subject_id: int) -> Tip | None:
    return dbsession.get(Tip, subject_id)


def coarse_state(tip: Tip) -> str:
    return COARSE_STATES.get(tip.state, "handling")


def accepts_replies(tip: Tip) -> bool:
    return tip.state != "closed"


def public_thread(dbsession, tip: Tip) -> list[tuple[TipMessage, list[TipAttachment]]]:
    """The thread without internal notes, oldest first, each message with the files sent with it."""
    messages = dbsession.execute(
        select(TipMessage).where(TipMessage.tip_id == tip.id, TipMessage.internal.is_(False))
        .order_by(TipMessage.created_at, TipMessage.id)
    ).scalars().all()
    files: dict = {}
    for attachment in tip.attachments:
        files.setdefault(attachment.message_id, []).append(attachment)
    return [(message, files.get(message.id, [])) for message in messages]


def first_files(tip: Tip) -> list[TipAttachment]:
    """The files sent with the tip itself (not with a later reply)."""
    return [attachment for attachment in tip.attachments if attachment.message_id is None]


def visible_rewards(dbsession, tip: Tip) -> list[TipReward]:
    """Rewards the reporter is told about: approved (how to claim) and paid. A proposal or a
    refusal is the police's internal business."""
    return list(dbsession.execute(
        select(TipReward).where(TipReward.tip_id == tip.id, TipReward.state.in_(("approved", "paid")))
        .order_by(TipReward.proposed_at, TipReward.id)
    ).scalars())
