"""The public sighting form and the moderators' small forms (step with a reason, show contact)."""
from datetime import timedelta

import colander
import deform

from portal.core.forms import reason_node, stripped
from portal.core.i18n import _
from portal.core.localtime import LocalDateTime
from portal.core.meta import utcnow
from portal.core.nonces import well_formed
from portal.core.widgets import PhotoInputWidget, honeypot_node
from portal.geo.forms import location_node
from portal.outbox import updates
from portal.sightings.thread import MAX_MESSAGE

MAX_TEXT = 4000
CLOCK_SKEW = timedelta(minutes=10)  # a phone a few minutes fast is not "in the future"
MAX_AGE = timedelta(days=10 * 365)
PHONE_CHARS = set("0123456789+-() ")


def _seen_at_plausible(node, value):
    now = utcnow()
    if value > now + CLOCK_SKEW:
        raise colander.Invalid(node, _("The time cannot be in the future."))
    if value < now - MAX_AGE:
        raise colander.Invalid(node, _("Give a time within the last ten years."))


def _place_or_point(node, value):
    if not value.get("place") and value.get("lat") is None:
        raise colander.Invalid(node, _("Say where, in words or with a point on the map."))


def _also(first, then):
    """Run two validators in turn (colander.All would join their messages into a list)."""
    def validate(node, value):
        first(node, value)
        then(node, value)
    return validate


def _phone(node, value):
    digits = sum(ch.isdigit() for ch in value)
    if not set(value) <= PHONE_CHARS or not 5 <= digits <= 20:
        raise colander.Invalid(node, _("Give a phone number with digits only (spaces, + and - are fine)."))


def sighting_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(
        LocalDateTime(), name="seen_at", title=_("When did you see it?"),
        validator=_seen_at_plausible, description=_("Date and time, for example 2026-11-24 18:30."),
        widget=deform.widget.TextInputWidget(attributes={"type": "datetime-local"})))
    where = location_node("where", title=_("Where?"))
    where.validator = _also(where.validator, _place_or_point)
    schema.add(where)
    schema.add(colander.SchemaNode(
        colander.String(), name="text", title=_("What did you see?"),
        validator=colander.Length(1, MAX_TEXT, max_err=_("Please keep it under ${max} characters.")),
        description=_("What the person or thing looked like, what they were doing, which way they went."),
        widget=deform.widget.TextAreaWidget(rows=6, attributes={"maxlength": str(MAX_TEXT)})))
    schema.add(colander.SchemaNode(
        colander.String(), name="photo", title=_("Photo (optional)"), missing=colander.null,
        description=_("One photo, JPEG, PNG, WebP or GIF, up to 15 MB. Location data in it is not published."),
        widget=PhotoInputWidget()))
    contact = colander.SchemaNode(
        colander.Mapping(), name="contact", title=_("Your contact (optional)"),
        widget=deform.widget.MappingWidget(
            template="private_mapping", note=_("Only the police see this, to ask you more. You may leave it empty.")))
    contact.add(colander.SchemaNode(colander.String(), name="name", title=_("Your name"), missing="",
                                    validator=colander.Length(max=60)))
    contact.add(colander.SchemaNode(colander.String(), name="phone", title=_("Your phone number"), missing="",
                                    validator=colander.All(colander.Length(max=30), _phone),
                                    widget=deform.widget.TextInputWidget(attributes={"type": "tel",
                                                                                     "autocomplete": "tel"})))
    contact.add(updates.email_node())
    contact.add(updates.consent_node())
    contact.validator = updates.check_consent
    schema.add(contact)
    schema.add(honeypot_node())
    return schema



def step_schema(steps) -> colander.SchemaNode:
    """A moderator's step on a sighting (a hand-written form per step): which one, and why."""
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(colander.String(), name="step", validator=colander.OneOf(list(steps))))
    schema.add(reason_node())
    return schema


# The sender's answer on /status and a moderator's message to the sender -----------------------

def _nonce_or_empty(value):
    return value if value is colander.null else (well_formed(value) or "")


def _message_node(name, title):
    return colander.SchemaNode(
        colander.String(), name=name, title=title, preparer=stripped,
        missing_msg=_("Write the message first."),
        validator=colander.Length(1, MAX_MESSAGE, min_err=_("Write the message first."),
                                  max_err=_("Please keep it under ${max} characters.")),
        widget=deform.widget.TextAreaWidget(rows=4, attributes={"maxlength": str(MAX_MESSAGE)}))


def reply_schema() -> colander.SchemaNode:
    """The sender's answer: the code in a hidden field (never in a URL), a nonce per form shown."""
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(colander.String(), name="code", validator=colander.Length(1, 64),
                                   widget=deform.widget.HiddenWidget()))
    schema.add(colander.SchemaNode(colander.String(), name="nonce", missing="", preparer=_nonce_or_empty,
                                   widget=deform.widget.HiddenWidget()))
    schema.add(_message_node("message", _("Your answer or more information")))
    return schema


def message_schema() -> colander.SchemaNode:
    """A moderator's message to the sender (a hand-written form on the sighting's page)."""
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(_message_node("body", _("Message to the sender")))
    return schema
