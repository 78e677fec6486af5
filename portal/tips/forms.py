"""The tip form (built per category, from its questions) and the reporter's reply on /status.

Files are read from the request by their own colander type and checked by services/tip_media.py
while the rest of the form is validated, so one answer lists every problem and the form comes back
filled in. File inputs come last in the form: when an upload is cut off while it streams in, the
fields before it have already arrived (services/upload_stream.py)."""
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import colander
import deform
from pyramid.renderers import render
from sqlalchemy import select

from portal.abuse.forms import pow_node
from portal.core.i18n import _
from portal.core.localtime import LocalDateTime
from portal.core.meta import utcnow
from portal.core.nonces import well_formed
from portal.core.refused import Refused
from portal.core.widgets import honeypot_node, reject_filled_honeypot
from portal.geo.forms import location_node
from portal.media.uploads import UploadRefused, chosen_files
from portal.sightings.forms import _also, _place_or_point, sighting_schema
from portal.tips import media as tip_media
from portal.tips import submission as tips
from portal.units.models import Unit

MAX_DESCRIPTION = 4000
MAX_TEXT_ANSWER = 1000
MAX_REPLY = 4000
MAX_META_CHARS = 64 * 1024  # the script's file notes: names, times, a position
CLOCK_SKEW = timedelta(minutes=10)  # a phone a few minutes fast is not "in the future"
MAX_AGE = timedelta(days=30 * 365)
MAX_NUMBER = Decimal(10) ** 12
ATTACHMENTS = "attachments"


# Attachments ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttachmentRules:
    """The limits stated on the form, from the settings services/tip_media.py enforces."""

    max_files: int
    photo_mb: int
    video_mb: int
    audio_mb: int
    total_mb: int

    @classmethod
    def from_settings(cls, settings) -> "AttachmentRules":
        return cls(*(int(settings[f"portal.tip.{name}"]) for name in (
            "max_files", "max_photo_mb", "max_video_mb", "max_audio_mb", "max_total_mb")))


def client_meta(request):
    """What static/js/tip-form.js says about the chosen files (name, lastModified, position), or
    None: it is only a hint for the moderators' flags, so anything malformed is ignored."""
    raw = request.POST.get("attachment_meta") or ""
    if not isinstance(raw, str) or not raw or len(raw) > MAX_META_CHARS:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: deep nesting such as "[[[[...", well within the bound
        return None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else None


class AttachmentUploads(colander.SchemaType):
    """The files sent under the node's name, checked (sniffed, sized, flagged); deserializes to the
    list services/tip_media.py `store_attachments` takes. A refused file is a field error."""

    def serialize(self, node, appstruct):
        return colander.null

    def deserialize(self, node, cstruct):
        request = node.bindings["request"]
        try:
            return tip_media.check_attachments(chosen_files(request, node.name),
                                               tip_media.attachment_limits(request.registry.settings),
                                               client_meta(request))
        except UploadRefused as refused:
            raise colander.Invalid(node, refused.message) from None


class AttachmentInputsWidget(deform.widget.Widget):
    """templates/tips/_attachments.html: a camera, a video and a sound recorder input (a phone
    opens them directly) and a "choose files" input, all under one name, with the limits stated.
    Browsers never refill file inputs; the files are read from the request."""

    hidden = True  # the template has its own fieldset, legend and help text
    category = "structural"

    def serialize(self, field, cstruct, **kw):
        request = field.schema.bindings["request"]
        translate = request.localizer.translate
        errors = [translate(message) for message in field.error.messages()] if field.error else []
        return render("tips/_attachments.html", {
            "oid": field.oid, "name": field.name, "title": translate(field.title), "errors": errors,
            "rules": AttachmentRules.from_settings(request.registry.settings)}, request=request)

    def deserialize(self, field, pstruct):
        return ()  # never null, so the node's type always runs


def attachments_node(title=_("Photos, video or audio (optional)")) -> colander.SchemaNode:
    return colander.SchemaNode(AttachmentUploads(), name=ATTACHMENTS, title=title, missing=(),
                               widget=AttachmentInputsWidget())


# The category's questions -----------------------------------------------------------------------

def _clear_type(base, message):
    """A colander type whose wrong values get our message, not colander's technical one."""

    class Clear(base):
        def deserialize(self, node, cstruct):
            try:
                return super().deserialize(node, cstruct)
            except colander.Invalid:
                raise colander.Invalid(node, message) from None

    return Clear


DateAnswer = _clear_type(colander.Date, _("Give a date, for example 2026-05-31."))
NumberAnswer = _clear_type(colander.Decimal, _("Give a number, for example 3 or 2.5."))


def _sane_date(node, value):
    if not date(1900, 1, 1) <= value <= date(2100, 12, 31):
        raise colander.Invalid(node, _("Give a date between 1900 and 2100."))


def _sane_number(node, value):
    if not value.is_finite() or abs(value) >= MAX_NUMBER:
        raise colander.Invalid(node, _("Give a number, for example 3 or 2.5."))


def _danger_note(question, locale, police):
    answers = [tips.text_in(choice.get("labels"), locale) or choice.get("value")
               for choice in question.choices or [] if choice.get("value") in (question.danger_values or [])]
    return _("If your answer is ${answers}: someone may be in danger now. Call ${police} first, then send this "
             "form.", mapping={"answers": " / ".join(answers), "police": police}) if answers else None


def question_node(question, locale: str, police: str = "110") -> colander.SchemaNode:
    """One of the category's questions as a form field, by its kind, in the visitor's language."""
    title = tips.text_in(question.labels, locale) or question.key
    required = {"missing": colander.required, "missing_msg": _("Answer this question.")} if question.required \
        else {"missing": None if question.kind in ("date", "number") else ""}
    name = tips.answer_field(question)
    if question.kind == "choice":
        values = [(choice.get("value"), tips.text_in(choice.get("labels"), locale) or choice.get("value"))
                  for choice in question.choices or [] if choice.get("value")]
        attributes = {"data-danger-values": json.dumps(question.danger_values)} if question.danger_values else {}
        return colander.SchemaNode(
            colander.String(), name=name, title=title, description=_danger_note(question, locale, police), **required,
            validator=colander.OneOf([value for value, _label in values],
                                     msg_err=_("Choose one of the answers offered.")),
            widget=deform.widget.SelectWidget(values=[("", _("Choose"))] + values, attributes=attributes))
    if question.kind == "date":
        return colander.SchemaNode(DateAnswer(), name=name, title=title, validator=_sane_date, **required,
                                   widget=deform.widget.TextInputWidget(attributes={"type": "date"}))
    if question.kind == "number":
        return colander.SchemaNode(NumberAnswer(), name=name, title=title, validator=_sane_number, **required,
                                   widget=deform.widget.TextInputWidget(attributes={
                                       "inputmode": "decimal", "dir": "ltr", "maxlength": "20"}))
    return colander.SchemaNode(
        colander.String(), name=name, title=title, **required, preparer=stripped,
        validator=colander.Length(max=MAX_TEXT_ANSWER, max_err=_("Please keep it under ${max} characters.")),
        widget=deform.widget.TextAreaWidget(rows=2, attributes={"maxlength": str(MAX_TEXT_ANSWER)}))


# The form ---------------------------------------------------------------------------------------

def stripped(value):
    return value.strip() if isinstance(value, str) else value


def _happened_plausible(node, value):
    now = utcnow()
    if value > now + CLOCK_SKEW:
        raise colander.Invalid(node, _("The time cannot be in the future."))
    if value < now - MAX_AGE:
        raise colander.Invalid(node, _("Give a time within the last thirty years."))


@colander.deferred
def _unit_widget(node, kw):
    request = kw["request"]
    units = request.dbsession.execute(select(Unit).order_by(Unit.path)).scalars().all()
    # Indented by depth so the tree reads in a plain <select>, which works without JavaScript.
    values = [("", _("Automatic: the unit responsible for the place"))] + [
        (str(u.id), f"{'— ' * (len(u.ancestor_codes) - 1)}{u.name(request.locale_name)}") for u in units]
    return deform.widget.SelectWidget(values=values, attributes={"data-tip-unit": ""})


@colander.deferred
def _routable(node, kw):
    """The tip must reach a unit: the chosen one, or the one whose area holds the point."""
    dbsession = kw["request"].dbsession

    def check(node, value):
        where = value["where"]
        try:
            tips.receiving_unit(dbsession, value.get("unit"), where.get("lat"), where.get("lon"))
        except Refused as refused:
            error = colander.Invalid(node)
            error["unit"] = refused.message
            raise error from None
    return check


def _contact_node():
    # The sighting form's contact fields (name, phone, "tell me when something changes" and their checks),
    # with what a tip's contact means.
    contact = sighting_schema()["contact"].clone()
    contact.title = _("Your contact (optional, protected)")
    contact.widget = deform.widget.MappingWidget(template="private_mapping", note=_(
        "Only the officer handling your tip can see this, and each look is recorded. The status page tells you "
        "when it was viewed. You may leave it empty and stay anonymous."))
    return contact


def tip_schema(request, category) -> colander.SchemaNode:
    """The form of one category: what, when, where, the receiving unit, the category's questions,
    an optional protected contact, the anti-bot fields and, last, the files."""
    locale = request.locale_name
    police = request.registry["fallbacks"].police
    schema = colander.SchemaNode(colander.Mapping(), validator=_routable)
    schema.add(colander.SchemaNode(
        colander.String(), name="description", title=_("What happened?"), preparer=stripped,
        missing_msg=_("Say what happened."),
        validator=colander.Length(1, MAX_DESCRIPTION, min_err=_("Say what happened."),
                                  max_err=_("Please keep it under ${max} characters.")),
        description=_("Who, what, how often; anything that helps the police check it."),
        widget=deform.widget.TextAreaWidget(rows=6, attributes={"maxlength": str(MAX_DESCRIPTION)})))
    schema.add(colander.SchemaNode(
        LocalDateTime(), name="happened_at", title=_("When did it happen?"), validator=_happened_plausible,
        missing_msg=_("Give the date and time (an estimate is fine)."),
        description=_("Date and time, Beijing time, for example 2026-11-24 18:30. An estimate is fine."),
        widget=deform.widget.TextInputWidget(attributes={"type": "datetime-local"})))
    where = location_node("where", title=_("Where?"), description=_(
        "Say where in words, and mark the place on the map or use your location: the tip then goes to the "
        "police unit responsible for that place."))
    where.validator = _also(where.validator, _place_or_point)
    schema.add(where)
    schema.add(colander.SchemaNode(
        colander.String(), name="unit", title=_("Receiving police unit"), missing="", widget=_unit_widget,
        description=_("Leave it on automatic to send the tip to the unit responsible for the place, or choose "
                      "another unit.")))
    questions = tips.active_questions(category)
    if questions:
        answers = colander.SchemaNode(colander.Mapping(), name="answers", title=_("About this matter"))
        for question in questions:
            answers.add(question_node(question, locale, police))
        schema.add(answers)
    schema.add(_contact_node())
    schema.add(pow_node())
    schema.add(honeypot_node(validator=reject_filled_honeypot))
    schema.add(attachments_node())
    return schema


def danger_chosen(category, post) -> bool:
    """Whether what was sent (or is being shown again) names a danger answer."""
    return any(tips.is_danger_answer(question, post.get(tips.answer_field(question)))
               for question in tips.active_questions(category))


# The reporter's reply on /status ----------------------------------------------------------------

def _message_or_files(node, value):
    if not value.get("message") and not value.get(ATTACHMENTS):
        error = colander.Invalid(node)
        error["message"] = _("Write your answer, or add a file.")
        raise error


def _nonce_or_empty(value):
    return value if value is colander.null else (well_formed(value) or "")


def reply_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping(), validator=_message_or_files)
    # The receipt code travels in the body only, never in a URL (history, logs, Referer).
    schema.add(colander.SchemaNode(colander.String(), name="code", validator=colander.Length(1, 64),
                                   widget=deform.widget.HiddenWidget()))
    # One per form shown: the same answer sent twice (a double press, a retry) is stored once.
    schema.add(colander.SchemaNode(colander.String(), name="nonce", missing="",
                                   preparer=_nonce_or_empty,
                                   widget=deform.widget.HiddenWidget()))
    schema.add(colander.SchemaNode(
        colander.String(), name="message", title=_("Your answer or more information"), missing="",
        preparer=stripped,
        validator=colander.Length(max=MAX_REPLY, max_err=_("Please keep it under ${max} characters.")),
        widget=deform.widget.TextAreaWidget(rows=4, attributes={"maxlength": str(MAX_REPLY)})))
    schema.add(attachments_node(title=_("Add photos, video or audio (optional)")))
    return schema
