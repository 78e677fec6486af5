"""The person who sent a sighting hears back: a receipt code shown once, the coarse state and the
thread with the police on /status, their answers there; the moderators write to them from the
sighting's page.

What the sender reads never holds the moderators' reasons, who the officers are, or the internal
state names. Every line is audited without its text. `sender_news()` is called wherever something
the sender can see changes (a step, a message from the police): the one place a "tell me when
something changes" message hooks in."""
from sqlalchemy import delete, select

from portal.abuse.ratelimit import RateLimited, count_per_hour
from portal.audit import chain as audit
from portal.core.db import insert_once
from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.privacy import receipts
from portal.privacy.models import Receipt
from portal.sightings import updates
from portal.sightings.models import Sighting, SightingMessage

SUBJECT_TYPE = "sighting"
MAX_MESSAGE = 4000
# What the sender sees of the workflow: received, being checked, passed on, closed.
COARSE_STATES = {"received": "received", "reviewed": "checking", "forwarded": "passed_on", "closed": "closed"}
CLOSED = _("This sighting is closed: the person who sent it gets no more messages.")
NO_RECEIPT = _("This sighting was sent before sightings had receipt codes: its sender cannot read messages here.")
EMPTY = _("Write the message first.")
TOO_LONG = _("Please keep it under ${max} characters.", mapping={"max": MAX_MESSAGE})


def issue_receipt(request, sighting: Sighting) -> str:
    """The sighting's receipt code, in the sighting's transaction; the caller shows it once."""
    return receipts.issue(request.dbsession, request.registry["receipt_hasher"], SUBJECT_TYPE, sighting.id)


def for_receipt(dbsession, subject_id: int) -> Sighting | None:
    """The sighting a code opens; none once its personal data was purged (its receipt goes too)."""
    sighting = dbsession.get(Sighting, subject_id)
    return sighting if sighting is not None and sighting.purged_at is None else None


def coarse_state(sighting: Sighting) -> str:
    return COARSE_STATES.get(sighting.state, "checking")


def accepts_messages(sighting: Sighting) -> bool:
    """Open sightings take messages both ways; a closed one is a record."""
    return sighting.state != "closed" and sighting.purged_at is None


def has_receipt(dbsession, sighting: Sighting) -> bool:
    """Whether the sender can read the thread at all (sightings sent before receipts have none)."""
    return dbsession.execute(select(Receipt.id).where(
        Receipt.subject_type == SUBJECT_TYPE, Receipt.subject_id == sighting.id).limit(1)).first() is not None


def messages(dbsession, sighting: Sighting) -> list[SightingMessage]:
    """The whole thread, oldest first (the sender may read every line of it)."""
    return list(dbsession.execute(
        select(SightingMessage).where(SightingMessage.sighting_id == sighting.id)
        .order_by(SightingMessage.created_at, SightingMessage.id)).scalars())


def answered(dbsession, sighting_ids) -> set[int]:
    """Which of these sightings wait for the police: the last line of their thread is the sender's."""
    last: dict[int, str] = {}
    for sighting_id, author in dbsession.execute(
            select(SightingMessage.sighting_id, SightingMessage.author)
            .where(SightingMessage.sighting_id.in_(list(sighting_ids)))
            .order_by(SightingMessage.created_at, SightingMessage.id)):
        last[sighting_id] = author
    return {sighting_id for sighting_id, author in last.items() if author == "sender"}


def sender_news(request, sighting: Sighting, what: str) -> None:
    """Something the sender sees on /status changed: `what` is "state" (a workflow step) or
    "message" (the police wrote); a sender who asked to be told gets a message (sightings/updates.py)."""
    updates.tell(request, sighting, what, subject_type=SUBJECT_TYPE)


def _checked_body(body: str, field: str) -> str:
    body = (body or "").strip()
    if not body:
        raise Refused(EMPTY, 400, field)
    if len(body) > MAX_MESSAGE:
        raise Refused(TOO_LONG, 400, field)
    return body


def write_to_sender(request, sighting: Sighting, body: str) -> SightingMessage:
    """A moderator's message to the sender, shown on /status as from "the police" (never a name).
    Refused on a closed sighting; audited without its text."""
    if not accepts_messages(sighting):
        raise Refused(CLOSED, 409)
    if not has_receipt(request.dbsession, sighting):
        raise Refused(NO_RECEIPT, 409)
    message = SightingMessage(sighting_id=sighting.id, author="police", officer_id=request.identity.id,
                              body=_checked_body(body, "body"))
    request.dbsession.add(message)
    sighting.updated_at = utcnow()  # a conversation keeps the sighting from retention meanwhile
    request.dbsession.flush()
    audit.record(request, "sighting.message", object_type=SUBJECT_TYPE, object_id=sighting.id,
                 from_state=sighting.state, to_state=sighting.state, reason=f"message {message.id} to the sender")
    sender_news(request, sighting, "message")
    return message


def count_reply(request, receipt: Receipt) -> None:
    """Answers count per address and per receipt (many addresses cannot flood one thread)."""
    count_per_hour(request, "sighting-reply", "portal.sighting.reply_rate_per_hour")
    per_hour = int(request.registry.settings["portal.sighting.reply_rate_per_hour"])
    key = f"sighting-reply-receipt:{receipt.id}"
    if not request.rate_limiter.hit(key, per_hour, 3600):
        raise RateLimited(request.rate_limiter.retry_after(key, 3600))


def reply(request, sighting: Sighting, body: str, nonce=None) -> SightingMessage:
    """The sender's answer on the thread; the same form's `nonce` sent again (a double press, a
    retry whose answer was lost) returns the answer stored first."""
    dbsession = request.dbsession
    resent = _resent(dbsession, sighting, nonce)
    if resent is not None:
        return resent
    message = SightingMessage(sighting_id=sighting.id, author="sender", body=_checked_body(body, "message"),
                              client_nonce=nonce)
    if not insert_once(dbsession, message):
        return _resent(dbsession, sighting, nonce)  # its twin request stored it first
    sighting.updated_at = utcnow()
    dbsession.flush()
    audit.record(request, "sighting.reply", officer=None, actor="public", object_type=SUBJECT_TYPE,
                 object_id=sighting.id, from_state=sighting.state, to_state=sighting.state,
                 reason=f"sender replied, message {message.id}")
    return message


def _resent(dbsession, sighting: Sighting, nonce) -> SightingMessage | None:
    if not nonce:
        return None
    return dbsession.execute(select(SightingMessage).where(
        SightingMessage.sighting_id == sighting.id, SightingMessage.client_nonce == nonce)).scalar_one_or_none()


def forget(dbsession, sighting: Sighting) -> tuple[int, int]:
    """Retention: the thread and the receipt go with the sighting's personal data; returns
    (messages, receipts) removed."""
    gone_messages = dbsession.execute(
        delete(SightingMessage).where(SightingMessage.sighting_id == sighting.id)).rowcount
    gone_receipts = dbsession.execute(
        delete(Receipt).where(Receipt.subject_type == SUBJECT_TYPE, Receipt.subject_id == sighting.id)).rowcount
    return gone_messages, gone_receipts
