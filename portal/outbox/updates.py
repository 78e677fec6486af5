"""Telling people that their matter changed ("tell me when something changes").

A reporter, a family or a sighting's sender who left a phone number may tick the box on their form
(`consent_node`); the domain stores the consent and the form's language beside the sealed contact and
calls `tell` in the transaction of each change worth a message (tips/updates.py, missing/updates.py;
sightings plug in the same way: a template per message, then `tell` where their state changes).

A message says only that there is an update, when, and where to read it: the /status page, with the
receipt code the person kept (never in the message: it is stored only as a hash). No name, no text of
theirs or of the police, no reason. At most one message per matter per `portal.notify.interval_minutes`:
while one is waiting to be sent, later changes add nothing (it already sends them to /status); the next
one waits until the interval since the last has passed. The phone number is read from the sealed
contact without an audited "showing" (no officer sees it) and never logged."""
import json
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
CONSENT_LABEL = _("Tell me when something changes (by SMS to the phone number above)")
NEEDS_PHONE = _("To be told of changes, give your phone number above, or untick this box.")


def consent_node() -> colander.SchemaNode:
    """The checkbox, off by default; put it in the form's contact mapping after the phone number and
    check it with `check_consent`."""
    return colander.SchemaNode(
        colander.Boolean(), name=CONSENT_FIELD, title=CONSENT_LABEL, missing=False,
        description=_("We send a short message saying that there is news and that you can read it on the status "
                      "page with your receipt code. It never contains your code, your name or what you wrote."),
        widget=deform.widget.CheckboxWidget())


def check_consent(node, contact) -> None:
    """The contact mapping's validator: ticked without a phone number is a clear error on the box."""
    if contact.get(CONSENT_FIELD) and not (contact.get("phone") or "").strip():
        error = colander.Invalid(node)
        error[CONSENT_FIELD] = NEEDS_PHONE
        raise error


def interval(settings) -> timedelta:
    return timedelta(minutes=int(settings[INTERVAL_SETTING]))  # its default is in core/settings.py


def tell(request, declared: MessageTemplate, *, subject: tuple[str, int], consent: bool, phone: str | None,
         locale: str) -> OutboxMessage | None:
    """Queue `declared` for the person behind `subject` in the caller's transaction, if they asked to be
    told and left a phone number, unless a message about the same matter is still waiting. Returns
    the message, or None when nothing is sent."""
    phone = (phone or "").strip()
    if not consent or not phone:
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
    return send_template(request, "sms", phone, declared, params, language, subject, send_after=send_after)


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


def sealed_phone(request, sealed_contact: str | None, label: str) -> str | None:
    """The phone number of a sealed JSON contact ({"name", "phone", ...}), for `tell` only: read by the
    system to send the message the person asked for, not shown to anyone, so not an audited showing."""
    if not sealed_contact:
        return None
    try:
        contact = json.loads(request.registry["field_cipher"].decrypt(sealed_contact, label))
    except ValueError:
        return None
    return (contact.get("phone") or "").strip() or None if isinstance(contact, dict) else None
