"""The outbox: messages that leave the system (SMS, e-mail).

`enqueue` writes a row in the caller's transaction, so nothing is sent for work that was rolled
back; the worker's `send_due` sends what is due after that transaction committed. Recipient, text
and the template's values are sealed with the field cipher (they may name a person or a place) and
never logged. A message is a declared template (outbox/templates.py) rendered in the recipient's
language, or, for the audit checkpoints' e-mail only, a free text.

Each channel has its sender (outbox/senders: the log, an HTTP SMS gateway, Tencent Cloud SMS, SMTP,
or a class of the site's own). A failure is tried again with a growing pause, up to
`portal.outbox.max_attempts` attempts; then, or at once when the sender says no attempt can succeed
(`GiveUp`), the message is given up: `gave_up_at`, a warning and an audit event naming what it was
about, never its recipient or text. Delivery is at least once: a message whose sending succeeded but
whose row could not be updated is sent again on the next round."""
import json
import logging
from datetime import timedelta

from sqlalchemy import select

from portal.audit import chain as audit
from portal.core.meta import utcnow
from portal.outbox.models import OUTBOX_CHANNELS, OutboxMessage
from portal.outbox.senders import GiveUp, LogSender, Outgoing, make_sender, mask  # noqa: F401 (the API)
from portal.outbox.templates import TEMPLATES, MessageTemplate, localizer_for
from portal.outbox.templates import template as template  # noqa: F401, PLC0414 (the API: declare a message)
from portal.privacy import protected

log = logging.getLogger("portal.outbox")

RECIPIENT_LABEL = "outbox.recipient"
BODY_LABEL = "outbox.body"
PARAMS_LABEL = "outbox.params"
BATCH = 50
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
DEFAULT_MAX_ATTEMPTS = 8


def sender(request):
    """One sender per application (a gateway client may keep a connection)."""
    registry = request.registry
    if "outbox_sender" not in registry:
        registry["outbox_sender"] = make_sender(registry.settings)
    return registry["outbox_sender"]


def send_template(request, channel: str, recipient: str, declared: MessageTemplate, params: dict, locale: str,
                  subject=("", None), *, send_after=None) -> OutboxMessage:
    """Queue one message from a declared template, rendered in `locale`, in the caller's transaction."""
    localizer = localizer_for(request, locale)
    message = enqueue(request, channel, recipient, declared.render(localizer, params), subject,
                      send_after=send_after)
    message.template, message.locale = declared.name, locale
    message.params = protected.seal(request, json.dumps(params, ensure_ascii=False, default=str), PARAMS_LABEL)
    return message


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
    text = f"{type(exc).__name__}: {exc}"
    return (text.replace(recipient, mask(recipient)) if recipient else type(exc).__name__)[:255]


def _outgoing(request, message: OutboxMessage) -> Outgoing:
    cipher = request.registry["field_cipher"]
    params = json.loads(cipher.decrypt(message.params, PARAMS_LABEL)) if message.params else {}
    declared = TEMPLATES.get(message.template)
    subject = declared.render_subject(localizer_for(request, message.locale)) if declared else ""
    return Outgoing(channel=message.channel, recipient=cipher.decrypt(message.recipient, RECIPIENT_LABEL),
                    body=cipher.decrypt(message.body, BODY_LABEL), template=message.template, params=params,
                    locale=message.locale, subject=subject)


def _give_up(request, message: OutboxMessage, now) -> None:
    message.gave_up_at = now
    log.warning("outbox: message %s given up after %s attempt(s)", message.id, message.attempts)
    audit.record(request, "outbox.gave_up", officer=None, actor="system",
                 object_type=message.subject_type or "outbox", object_id=message.subject_id or message.id,
                 reason=f"{message.channel} {message.template or 'text'} (outbox {message.id}) after "
                        f"{message.attempts} attempt(s): {message.last_error.split(':')[0]}")


def send_due(request, now=None) -> int:
    """Send every message that is due; record sent_at, attempts and the last error (masked). Returns
    how many were sent."""
    now = now or utcnow()
    settings = request.registry.settings
    max_attempts = int(settings.get("portal.outbox.max_attempts", DEFAULT_MAX_ATTEMPTS))
    dbsession = request.dbsession
    query = (select(OutboxMessage)
             .where(OutboxMessage.sent_at.is_(None), OutboxMessage.gave_up_at.is_(None),
                    OutboxMessage.send_after <= now, OutboxMessage.attempts < max_attempts)
             .order_by(OutboxMessage.id).limit(BATCH))
    if dbsession.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two workers never send the same message
    gateway = sender(request)
    sent = 0
    for message in dbsession.execute(query).scalars().all():
        message.attempts += 1
        outgoing = None
        try:
            outgoing = _outgoing(request, message)
            gateway.send(outgoing)
        except Exception as exc:  # a gateway may raise anything; the next round tries again
            message.last_error = _error_text(exc, outgoing.recipient if outgoing else "")
            message.send_after = now + _backoff(message.attempts)
            log.warning("outbox: message %s failed (attempt %s): %s", message.id, message.attempts,
                        type(exc).__name__)
            if isinstance(exc, GiveUp) or message.attempts >= max_attempts:
                _give_up(request, message, now)
            continue
        message.sent_at = now
        message.last_error = ""
        sent += 1
    dbsession.flush()
    return sent
