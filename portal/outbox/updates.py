"""Telling people that their matter changed ("tell me when something changes").

A reporter, a family or a sighting's sender who left a phone number or an e-mail address
(`email_node`) may tick the box on their form (`consent_node`); the domain stores the consent and the
form's language beside the sealed contact and calls `tell` in the transaction of each change worth a
message (tips/updates.py, missing/updates.py, sightings/updates.py: a template per message, then
`tell` where their state changes).

A message says only that there is an update, when, and where to read it: the /status page, with the
receipt code the person kept (never in the message: it is stored only as a hash). No name, no text of
theirs or of the police, no reason. At most one message per matter per `portal.notify.interval_minutes`:
while one is waiting to be sent, later changes add nothing (it already sends them to /status); the next
one waits until the interval since the last has passed. One channel per person: an SMS when they left
a phone number, else an e-mail (its subject from the template) saying the same; never both. The number
or address is read from the sealed contact without an audited "showing" (no officer sees it) and never
logged."""
import json
import re
from datetime import timedelta

import colander
import deform
from sqlalchemy import select

from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.links import public_url
from portal.core.localtime import local_time
from portal.core.meta import utcnow
from portal.outbox.models import OutboxMessage
from portal.outbox.services import send_template
from portal.outbox.templates import MessageTemplate

INTERVAL_SETTING = "portal.notify.interval_minutes"
VALUES = ("time", "url")  # what every update message says: when, and where to look
CONSENT_FIELD = "notify"
EMAIL_FIELD = "email"
CONSENT_LABEL = _("Tell me when something changes (by SMS or e-mail)")
NEEDS_CONTACT = _("To be told of changes, give your phone number or e-mail address above, or untick this box.")
BAD_EMAIL = _("Give an e-mail address like name@example.cn, or leave it empty.")
MAX_EMAIL = 254  # RFC 5321's longest path; a local part of at most 64
# Stricter than the browser's rule (colander.Email): a dot-atom local part and a domain with a top-level
# label, ASCII only, so that every address accepted here is one the SMTP sender can write in a header.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_RE = re.compile(rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})",
                      re.ASCII)


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def _email(node, value) -> None:
    if not value:
        return
    match = EMAIL_RE.fullmatch(value)
    if match is None or len(value) > MAX_EMAIL or len(match["local"]) > 64:
        raise colander.Invalid(node, BAD_EMAIL)


def email_node() -> colander.SchemaNode:
    """An optional e-mail address for the form's contact mapping, after the phone number: sealed with
    the contact, and where the messages go when no phone number was given."""
    return colander.SchemaNode(
        colander.String(), name=EMAIL_FIELD, title=_("Your e-mail address"), missing="", preparer=_stripped,
        validator=_email, widget=deform.widget.TextInputWidget(attributes={
            "type": "email", "autocomplete": "email", "maxlength": str(MAX_EMAIL), "inputmode": "email"}))


def reachable(contact) -> bool:
    """The contact has somewhere to send a message: a phone number or an e-mail address."""
    return bool((contact.get("phone") or "").strip() or (contact.get(EMAIL_FIELD) or "").strip())


def consent_node() -> colander.SchemaNode:
    """The checkbox, off by default; put it in the form's contact mapping after the phone number and
    check it with `check_consent`."""
    return colander.SchemaNode(
        colander.Boolean(), name=CONSENT_FIELD, title=CONSENT_LABEL, missing=False,
        description=_("We send a short SMS, or an e-mail when you give no phone number, saying that there is news "
                      "and that you can read it on the status page with your receipt code. It never contains your "
                      "code, your name or what you wrote."),
        widget=deform.widget.CheckboxWidget())


def check_consent(node, contact) -> None:
    """The contact mapping's validator: ticked without a phone number or an e-mail address is a clear
    error on the box."""
    if contact.get(CONSENT_FIELD) and not reachable(contact):
        error = colander.Invalid(node)
        error[CONSENT_FIELD] = NEEDS_CONTACT
        raise error


def interval(settings) -> timedelta:
    return timedelta(minutes=int(settings[INTERVAL_SETTING]))  # its default is in core/settings.py


def tell(request, declared: MessageTemplate, *, subject: tuple[str, int], consent: bool, phone: str | None,
         locale: str, email: str | None = None) -> OutboxMessage | None:
    """Queue `declared` for the person behind `subject` in the caller's transaction, if they asked to be
    told and left a phone number (an SMS) or else an e-mail address (an e-mail), unless a message about
    the same matter is still waiting. Returns the message, or None when nothing is sent."""
    phone, email = (phone or "").strip(), (email or "").strip()
    channel, recipient = ("sms", phone) if phone else ("email", email)
    if not consent or not recipient:
        return None
    subject_type, subject_id = subject
    last = request.dbsession.execute(
        select(OutboxMessage).where(OutboxMessage.subject_type == subject_type, OutboxMessage.subject_id == subject_id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(1)).scalar_one_or_none()
    if last is not None and last.sent_at is None and last.gave_up_at is None:
        return None  # still waiting: it already tells them to look
    now = utcnow()
    send_after = max(now, last.created_at + interval(request.registry.settings)) if last is not None else now
    params = {"time": local_time(now), "url": public_url(request, "status")}
    language = locale or request.registry.settings.get("portal.default_locale", "zh_CN")
    return send_template(request, channel, recipient, declared, params, language, subject, send_after=send_after)


STOPPED = "stopped at the person's request"


def stop(request, subject: tuple[str, int]) -> int:
    """The person asked on /status for no more messages about `subject`: messages still waiting are
    given up (never sent), in the caller's transaction. Returns how many."""
    subject_type, subject_id = subject
    waiting = request.dbsession.execute(select(OutboxMessage).where(
        OutboxMessage.subject_type == subject_type, OutboxMessage.subject_id == subject_id,
        OutboxMessage.sent_at.is_(None), OutboxMessage.gave_up_at.is_(None))).scalars().all()
    now = utcnow()
    for message in waiting:
        message.gave_up_at, message.last_error = now, STOPPED
    return len(waiting)


def stop_asked(request, matter, subject: tuple[str, int]) -> bool:
    """The person asked on /status for no more messages about `matter` (anything with `notify_consent`):
    the consent goes, waiting messages are given up, and the audit trail says so. False if it was off."""
    if not matter.notify_consent:
        return False
    matter.notify_consent = False
    stop(request, subject)
    audit.record(request, "updates.stopped", officer=None, actor="public", object_type=subject[0],
                 object_id=subject[1], reason="the person asked on /status for no more messages")
    return True


def sealed_reach(request, sealed_contact: str | None, label: str) -> dict:
    """The phone number and e-mail address of a sealed JSON contact ({"name", "phone", "email", ...}),
    as `tell`'s keyword arguments, for `tell` only: read by the system to send the message the person
    asked for, not shown to anyone, so not an audited showing. Empty when there is none."""
    if not sealed_contact:
        return {"phone": None, "email": None}
    try:
        contact = json.loads(request.registry["field_cipher"].decrypt(sealed_contact, label))
    except ValueError:
        contact = None
    if not isinstance(contact, dict):
        return {"phone": None, "email": None}
    return {key: (contact.get(key) or "").strip() or None for key in ("phone", EMAIL_FIELD)}
