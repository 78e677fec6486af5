"""Verified phones: send a code by SMS, check it, hand the number to the report that uses it.

- `send_code`: one code per press, valid `VALID` (5 minutes), as an SMS through the outbox (its text
  and values sealed like every message). Limited per client address (429, which says nothing about
  the number) and per number (over it the answer is the same as when a code goes out, and no SMS is
  sent: the page never tells whether a number was seen before).
- `check_code`: at most `MAX_TRIES` per code, counted by one compare-and-set UPDATE in the request's
  transaction before the comparison, so two requests at once cannot both take the fifth try; a wrong
  code is a form error, never a refusal that would roll the count back. Checks are limited per
  address too.
- `consume`: the report that stores the number marks the code used and scrubs the SMS's sealed text;
  `purge` (the worker) scrubs the SMS of codes that expired unused and removes day-old rows.

Nothing logs a number or a code."""
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from pyramid.csrf import get_csrf_token
from sqlalchemy import delete, select, update

from portal.abuse.ratelimit import RateLimited
from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from portal.phones.codes import PhoneHasher, mask, new_code, new_salt, normalize_code, normalize_number
from portal.phones.models import PhoneVerification
from portal.privacy import protected

log = logging.getLogger("portal.phones")

MODES = ("off", "optional", "required")
MODE_SETTING = "portal.verified_phone"
VALID = timedelta(minutes=5)
MAX_TRIES = 5
VERIFIED_FOR = timedelta(hours=2)  # a proven number waits this long for the report it belongs to
KEEP = timedelta(days=1)  # rows (hashes only) are purged after this
SUBJECT_TYPE = "phone_verification"
SCRUBBED = "-"
MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")

CODE_SMS = outbox.template(
    "phones.code",
    _("Safety Portal: your code is ${code}. It is valid for ${minutes} minutes. Nobody from the police will ask "
      "you for it."),
    ("code", "minutes"))

BAD_NUMBER = _("Give a mobile phone number with digits only (spaces, + and - are fine).")
NOT_MAINLAND = _("Give a mainland China mobile number: 11 digits starting with 13 to 19 (+86 in front is fine).")
INTERNATIONAL_SETTING = "portal.phones.international"
SENT = _("If ${number} can receive SMS, a code is on its way to it. It is valid for 5 minutes. Type it below, then "
         "send the form: what you wrote stays here.")
NO_CODE = _("Type the 6-digit code from the SMS. No SMS yet? Press \"Send a code\".")
WRONG = _("This code is not right. ${left} tries left.")
SPENT = _("Too many wrong codes. Press \"Send a code\" for a new one.")
EXPIRED = _("This code has expired. Press \"Send a code\" for a new one.")
NEEDED = _("This form needs your mobile phone number, proven by a code we send by SMS.")
TOO_MANY_SENT = _("Many codes were asked for from your connection. Please wait ${minutes} minutes. If it is urgent, "
                  "call ${police}.")


def mode(settings) -> str:
    return str(settings.get(MODE_SETTING) or "off").strip().lower()


def hasher(request) -> PhoneHasher:
    registry = request.registry
    if "phone_hasher" not in registry:
        registry["phone_hasher"] = PhoneHasher(registry.settings["portal.session_secret"])
    return registry["phone_hasher"]


def owner_hash(request) -> str:
    """This browser session (the hash of its CSRF token): a code proves a number to it alone."""
    return hashlib.sha256(get_csrf_token(request).encode("utf-8")).hexdigest()


def number_for_codes(settings, typed: str | None) -> str | None:
    """The number a code may be sent to: a mainland mobile number, or any number when
    `portal.phones.international` is true (SMS to other countries cost more, and paid-for numbers
    abroad are what SMS-pumping fraud sends codes to)."""
    number = normalize_number(typed)
    if number is None:
        return None
    return number if _international(settings) or MAINLAND_MOBILE.fullmatch(number) else None


def _international(settings) -> bool:
    return str(settings.get(INTERNATIONAL_SETTING, "false")).strip().lower() in ("true", "1", "yes", "on")


def _limit(request, key: str, setting: str) -> tuple[bool, int]:
    per_hour = int(request.registry.settings[setting])
    allowed = request.rate_limiter.hit(key, per_hour, 3600)
    return allowed, (0 if allowed else request.rate_limiter.retry_after(key, 3600))


def _bad_number(request):
    return BAD_NUMBER if _international(request.registry.settings) else NOT_MAINLAND


def send_code(request, typed_number: str, now=None) -> str:
    """Queue a new code for the number; returns what the page says (the same whatever the number).
    Refused for a malformed number (at the field "phone") or too many codes from this address (429)."""
    now = now or utcnow()
    number = number_for_codes(request.registry.settings, typed_number)
    if number is None:
        raise Refused(_bad_number(request), 400, "phone")
    allowed, retry = _limit(request, f"phone-send:{request.client_addr}", "portal.phones.sends_per_hour")
    if not allowed:
        raise RateLimited(retry, _(TOO_MANY_SENT, mapping={"minutes": max(1, (retry + 59) // 60),
                                                          "police": request.registry["fallbacks"].police}))
    digest = hasher(request).number(number)
    per_number, _retry = _limit(request, f"phone-send-number:{digest}", "portal.phones.sends_per_number_per_hour")
    code, salt = new_code(), new_salt()
    row = PhoneVerification(number_hash=digest, owner_hash=owner_hash(request), salt=salt,
                            code_hash=hasher(request).code(salt, digest, code), created_at=now,
                            expires_at=now + VALID, tries=0)
    request.dbsession.add(row)
    request.dbsession.flush()
    message = outbox.send_template(request, "sms", number, CODE_SMS,
                                   {"code": code, "minutes": int(VALID.total_seconds() // 60)},
                                   request.locale_name, (SUBJECT_TYPE, row.id))
    row.outbox_id = message.id
    if not per_number:
        # The same work, the same answer, no SMS: neither the page nor its timing tells whether this
        # number was asked for before. The row is given up at once, its text scrubbed, and goes with
        # the outbox's retention.
        _scrub(request, message)
        message.gave_up_at, message.last_error = now, "phones: over the number's hourly limit"
        message.attempts = int(request.registry.settings.get("portal.outbox.max_attempts",
                                                              outbox.DEFAULT_MAX_ATTEMPTS))
        log.info("phones: a code was not sent: its number was sent too many codes this hour")
    return _(SENT, mapping={"number": mask(number)})


def _scrub(request, message: OutboxMessage) -> None:
    message.body = protected.seal(request, SCRUBBED, outbox.BODY_LABEL)
    message.params = None


@dataclass(frozen=True)
class Proven:
    """A number proven by its code, for the report that takes it (consume)."""

    number: str
    verification_id: int


def _newest(request, digest: str) -> PhoneVerification | None:
    return request.dbsession.execute(
        select(PhoneVerification).where(PhoneVerification.owner_hash == owner_hash(request),
                                        PhoneVerification.number_hash == digest,
                                        PhoneVerification.used_at.is_(None))
        .order_by(PhoneVerification.created_at.desc(), PhoneVerification.id.desc()).limit(1)
    ).scalar_one_or_none()


def _take_try(dbsession, row_id: int, now) -> bool:
    """Count one try, if one is left and the code is still valid; atomic, so racing requests cannot
    together pass MAX_TRIES."""
    result = dbsession.execute(
        update(PhoneVerification)
        .where(PhoneVerification.id == row_id, PhoneVerification.tries < MAX_TRIES,
               PhoneVerification.expires_at > now, PhoneVerification.verified_at.is_(None),
               PhoneVerification.used_at.is_(None))
        .values(tries=PhoneVerification.tries + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def attempt(dbsession, phone_hasher: PhoneHasher, row: PhoneVerification, code: str, now):
    """One try of `code` against `row`: None when it proves the number, else the message to show.
    A code already proven (before, or by a twin request meanwhile) is accepted again without a try:
    the form came back for another field."""
    if row.verified_at is None:
        took = _take_try(dbsession, row.id, now)
        dbsession.refresh(row)
        if took:
            if not phone_hasher.matches(row.salt, row.number_hash, code, row.code_hash):
                return SPENT if row.tries >= MAX_TRIES else _(WRONG, mapping={"left": MAX_TRIES - row.tries})
            dbsession.execute(update(PhoneVerification).where(PhoneVerification.id == row.id)
                              .values(verified_at=now).execution_options(synchronize_session=False))
            dbsession.refresh(row)
            return None
        if row.verified_at is None:
            return SPENT if row.tries >= MAX_TRIES else EXPIRED
    if now - row.verified_at < VERIFIED_FOR and phone_hasher.matches(row.salt, row.number_hash, code, row.code_hash):
        return None
    return EXPIRED


class CodeRefused(Exception):
    """The code does not prove the number: `message` for the code field (a form error, not a Refused:
    the transaction must commit the try it counted)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def check_code(request, typed_number: str, typed_code: str, now=None) -> Proven:
    """The number proven by the code typed for it in this session; CodeRefused otherwise. Every check
    counts against the address's hourly limit (RateLimited over it)."""
    now = now or utcnow()
    allowed, retry = _limit(request, f"phone-check:{request.client_addr}", "portal.phones.checks_per_hour")
    if not allowed:
        raise RateLimited(retry)
    number, code = number_for_codes(request.registry.settings, typed_number), normalize_code(typed_code)
    if number is None:
        raise CodeRefused(_bad_number(request))
    if code is None:
        raise CodeRefused(NO_CODE)
    row = _newest(request, hasher(request).number(number))
    if row is None:
        raise CodeRefused(EXPIRED)
    problem = attempt(request.dbsession, hasher(request), row, code, now)
    if problem is not None:
        raise CodeRefused(problem)
    return Proven(number, row.id)


def consume(request, proven: Proven | None, now=None) -> None:
    """The report that stores the number takes its code: used once, and the SMS's sealed text (the
    code) is replaced now that it has done its work. In the report's transaction."""
    if proven is None:
        return
    now = now or utcnow()
    result = request.dbsession.execute(
        update(PhoneVerification)
        .where(PhoneVerification.id == proven.verification_id, PhoneVerification.used_at.is_(None),
               PhoneVerification.verified_at.is_not(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # a twin request took it first
        raise Refused(EXPIRED, 409, "code")
    row = request.dbsession.get(PhoneVerification, proven.verification_id)
    message = request.dbsession.get(OutboxMessage, row.outbox_id) if row.outbox_id else None
    if message is not None and message.sent_at is not None:
        _scrub(request, message)


def purge(request, now=None, batch: int = 200) -> int:
    """The worker's round: the SMS of codes that expired unused lose their text (the code; sent or
    given up, so nothing is left to send), and rows older than KEEP go (hashes only, of no further use).
    Returns how many of both."""
    now = now or utcnow()
    dbsession = request.dbsession
    spent = select(PhoneVerification.outbox_id).where(PhoneVerification.expires_at <= now,
                                                      PhoneVerification.outbox_id.is_not(None))
    messages = dbsession.execute(
        select(OutboxMessage).where(OutboxMessage.id.in_(spent), OutboxMessage.params.is_not(None),
                                    (OutboxMessage.sent_at.is_not(None)) | (OutboxMessage.gave_up_at.is_not(None)))
        .order_by(OutboxMessage.id).limit(batch)).scalars().all()
    for message in messages:
        _scrub(request, message)
    result = dbsession.execute(delete(PhoneVerification).where(PhoneVerification.created_at < now - KEEP))
    return len(messages) + (result.rowcount or 0)
