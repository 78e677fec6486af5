"""The outbox: messages that leave the system (SMS, e-mail).

`enqueue` writes a row in the caller's transaction, so nothing is sent for work that was rolled
back; the worker's `send_due` sends what is due after that transaction committed. Recipient and
text are sealed with the field cipher (they may name a person or a place) and never logged.

The sender is chosen by `portal.outbox.sender`: `log` (the default: one line per message, with a
masked recipient and the length, never the content), or the dotted path of a class taking the
settings, whose `send(channel, recipient, body)` raises on failure (an SMS or e-mail gateway).
Delivery is at least once: a message whose sending succeeded but whose row could not be updated
is sent again on the next round."""
import logging
from datetime import timedelta

from pyramid.path import DottedNameResolver
from sqlalchemy import select

from portal.core.meta import utcnow
from portal.outbox.models import OUTBOX_CHANNELS, OutboxMessage
from portal.privacy import protected

log = logging.getLogger("portal.outbox")

RECIPIENT_LABEL = "outbox.recipient"
BODY_LABEL = "outbox.body"
BATCH = 50
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
DEFAULT_MAX_ATTEMPTS = 8


def mask(recipient: str) -> str:
    """Enough to tell two recipients apart in a log, never the whole number or address."""
    recipient = (recipient or "").strip()
    if "@" in recipient:
        name, _, domain = recipient.rpartition("@")
        return f"{name[:1]}***@{domain}"
    digits = [ch for ch in recipient if ch.isdigit()]
    return "***" + "".join(digits[-2:]) if len(digits) >= 6 else "***"


class LogSender:
    """Writes that a message would go out; for development and for sites without a gateway."""

    def __init__(self, settings=None):
        self.settings = settings or {}

    def send(self, channel: str, recipient: str, body: str) -> None:
        log.info("outbox: %s to %s, %d chars", channel, mask(recipient), len(body))


def make_sender(settings):
    """The configured sender: `log`, or a class path such as `mypackage.sms:GatewaySender`."""
    name = (settings.get("portal.outbox.sender") or "log").strip()
    if name == "log":
        return LogSender(settings)
    factory = DottedNameResolver().resolve(name)
    return factory(settings)


def sender(request):
    """One sender per application (a gateway client may keep a connection)."""
    registry = request.registry
    if "outbox_sender" not in registry:
        registry["outbox_sender"] = make_sender(registry.settings)
    return registry["outbox_sender"]


def enqueue(request, channel: str, recipient: str, body: str, subject=("", None), *, send_after=None) -> OutboxMessage:
    """Queue one message in the caller's transaction. `subject` names what caused it, e.g. ("trip", 12)."""
    if channel not in OUTBOX_CHANNELS:
        raise ValueError(f"unknown outbox channel {channel!r}")
    if not (recipient or "").strip() or not (body or "").strip():
        raise ValueError("an outbox message needs a recipient and a text")
    subject_type, subject_id = subject
    message = OutboxMessage(
        channel=channel,
        recipient=protected.seal(request, recipient.strip(), RECIPIENT_LABEL),
        body=protected.seal(request, body, BODY_LABEL),
        subject_type=subject_type or "", subject_id=subject_id, send_after=send_after or utcnow(),
    )
    request.dbsession.add(message)
    request.dbsession.flush()
    return message


def _backoff(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def _error_text(exc: Exception, recipient: str) -> str:
    """The failure for the row, with the recipient masked out (gateways like to repeat it)."""
    text = f"{type(exc).__name__}: {exc}".replace(recipient, mask(recipient))
    return text[:255]


def send_due(request, now=None) -> int:
    """Send every message that is due; record sent_at, attempts and the last error. A failure is
    retried later with a growing pause, up to `portal.outbox.max_attempts` attempts. Returns how many
    were sent."""
    now = now or utcnow()
    settings = request.registry.settings
    max_attempts = int(settings.get("portal.outbox.max_attempts", DEFAULT_MAX_ATTEMPTS))
    dbsession = request.dbsession
    query = (select(OutboxMessage)
             .where(OutboxMessage.sent_at.is_(None), OutboxMessage.send_after <= now,
                    OutboxMessage.attempts < max_attempts)
             .order_by(OutboxMessage.id).limit(BATCH))
    if dbsession.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two workers never send the same message
    cipher = request.registry["field_cipher"]
    gateway = sender(request)
    sent = 0
    for message in dbsession.execute(query).scalars().all():
        message.attempts += 1
        recipient = ""
        try:
            recipient = cipher.decrypt(message.recipient, RECIPIENT_LABEL)
            gateway.send(message.channel, recipient, cipher.decrypt(message.body, BODY_LABEL))
        except Exception as exc:  # a gateway may raise anything; the next round tries again
            message.last_error = _error_text(exc, recipient) if recipient else type(exc).__name__
            message.send_after = now + _backoff(message.attempts)
            log.warning("outbox: message %s failed (attempt %s): %s", message.id, message.attempts,
                        type(exc).__name__)
            continue
        message.sent_at = now
        message.last_error = ""
        sent += 1
    dbsession.flush()
    return sent
