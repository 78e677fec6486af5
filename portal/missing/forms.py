"""The family's missing-person request form, and the dispatcher's small forms.

Photos are read from the request by their own colander type: they are checked (sniffed, sized,
pixel-counted) while the rest of the form is validated, so one answer lists every problem and
the form comes back filled in. A browser cannot refill a file input: the page says so."""
from datetime import date, timedelta

import colander
import deform
from sqlalchemy import select

from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.localtime import LocalDateTime, local_today
from portal.core.meta import utcnow
from portal.core.widgets import PhotoInputWidget, honeypot_node, reject_filled_honeypot
from portal.geo.forms import location_node
from portal.media.forms import CheckedPhotos
from portal.media.uploads import UploadLimits
from portal.notices.models import SEXES
from portal.outbox import updates
from portal.units.models import Unit

CLOCK_SKEW = timedelta(minutes=10)  # a phone a few minutes fast is not "in the future"
MAX_PHOTOS = 8
PHOTO_LIMITS = UploadLimits(max_count=MAX_PHOTOS)
PHONE_CHARS = set("0123456789+-() ")
SEX_LABELS = {"female": _("female"), "male": _("male"), "unknown": _("unknown")}
MAX_REASON = 2000


def _phone(node, value):
    digits = sum(ch.isdigit() for ch in value)
    if not set(value) <= PHONE_CHARS or not 5 <= digits <= 20:
        raise colander.Invalid(node, _("Give a phone number with digits only (spaces, + and - are fine)."))


def _text(name, title, max_length, *, rows=None, missing="", description=None):
    attributes = {"maxlength": str(max_length)}
    widget = (deform.widget.TextAreaWidget(rows=rows, attributes=attributes) if rows
              else deform.widget.TextInputWidget(attributes=attributes))
    return colander.SchemaNode(colander.String(), name=name, title=title, missing=missing, description=description,
                               validator=colander.Length(max=max_length), widget=widget)


@colander.deferred
def _unit_widget(node, kw):
    request = kw["request"]
    units = request.dbsession.execute(select(Unit).order_by(Unit.path)).scalars().all()
    # Indented by depth so the tree reads in a plain <select>, which works without JavaScript.
    values = [("", _("Choose the unit"))] + [
        (str(u.id), f"{'— ' * (len(u.ancestor_codes) - 1)}{u.name(request.locale_name)}") for u in units]
    return deform.widget.SelectWidget(values=values)


@colander.deferred
def _unit_exists(node, kw):
    dbsession = kw["request"].dbsession

    def check(node, value):
        unit_id = record_id(value)
        if unit_id is None or dbsession.get(Unit, unit_id) is None:
            raise colander.Invalid(node, _("Choose the unit from the list."))
    return check


def _not_future_date(node, value):
    today = local_today()
    if value > today:
        raise colander.Invalid(node, _("The date cannot be in the future."))
    if value < date(today.year - 130, 1, 1):
        raise colander.Invalid(node, _("Give a date within the last 130 years."))


def _last_seen_plausible(node, value):
    now = utcnow()
    if value > now + CLOCK_SKEW:
        raise colander.Invalid(node, _("The time cannot be in the future."))
    if value < now - timedelta(days=100 * 365):
        raise colander.Invalid(node, _("Give a time within the last hundred years."))


RANGES = (  # (lower field, upper field, the message when the upper is below the lower)
    ("age_min", "age_max", _("The highest age must not be below the lowest.")),
    ("height_min_cm", "height_max_cm", _("The largest height must not be smaller than the smallest.")),
    ("weight_min_kg", "weight_max_kg", _("The largest weight must not be smaller than the smallest.")),
)


def _person_consistent(node, value):
    exc = colander.Invalid(node)
    if value.get("birth_date") is None and value.get("age_min") is None and value.get("age_max") is None:
        exc["age_min"] = _("Give the date of birth or the age (from, to).")
    for low_name, high_name, message in RANGES:
        low, high = value.get(low_name), value.get(high_name)
        if low is not None and high is not None and low > high:
            exc[high_name] = message
    if exc.children:
        raise exc


def _range_nodes(name, unit, titles, low, high, error):
    bounds = colander.Range(low, high, min_err=error, max_err=error)
    widget = deform.widget.TextInputWidget(attributes={"type": "number", "min": str(low), "max": str(high)})
    ends = zip(("min", "max"), titles, strict=True)
    return [colander.SchemaNode(colander.Integer(), name=f"{name}_{end}{unit}", title=title, missing=None,
                                validator=bounds, widget=widget) for end, title in ends]


def person_range_nodes():
    """Age, height and weight ranges: the family's form and the dispatcher's correction form."""
    return (_range_nodes("age", "", (_("Age from"), _("Age to")), 0, 130, _("Age is between 0 and 130."))
            + _range_nodes("height", "_cm", (_("Height from (cm)"), _("Height to (cm)")), 30, 260,
                           _("Height is between 30 and 260 cm."))
            + _range_nodes("weight", "_kg", (_("Weight from (kg)"), _("Weight to (kg)")), 1, 400,
                           _("Weight is between 1 and 400 kg.")))


def vehicle_nodes():
    return [_text("vehicle_make", _("Vehicle: make"), 60), _text("vehicle_model", _("Vehicle: model"), 60),
            _text("vehicle_colour", _("Vehicle: colour"), 30), _text("vehicle_plate", _("Vehicle: number plate"), 20)]


def missing_request_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping())

    # The explanations of these groups are on the page (templates/missing/new.html), once.
    acceptance = colander.SchemaNode(
        colander.Mapping(), name="acceptance", title=_("The police unit that accepted your report"))
    acceptance.add(colander.SchemaNode(colander.String(), name="unit_id", title=_("Accepting unit"),
                                       widget=_unit_widget, validator=_unit_exists,
                                       missing_msg=_("Choose the unit from the list.")))
    acceptance.add(colander.SchemaNode(
        colander.String(), name="unit_phone", title=_("The unit's phone number"),
        validator=colander.All(colander.Length(max=40), _phone),
        widget=deform.widget.TextInputWidget(attributes={"type": "tel", "maxlength": "40"})))
    acceptance.add(colander.SchemaNode(
        colander.String(), name="receipt_no", title=_("Acceptance receipt number"),
        validator=colander.Length(1, 60), widget=deform.widget.TextInputWidget(attributes={"maxlength": "60"})))
    schema.add(acceptance)

    contact = colander.SchemaNode(colander.Mapping(), name="contact", title=_("Your contact (protected)"))
    contact.add(_text("name", _("Your name"), 60, missing=colander.required))
    contact.add(colander.SchemaNode(
        colander.String(), name="phone", title=_("Your phone number"), validator=colander.All(
            colander.Length(max=30), _phone),
        widget=deform.widget.TextInputWidget(attributes={"type": "tel", "autocomplete": "tel", "maxlength": "30"})))
    contact.add(updates.email_node())
    contact.add(_text("relationship", _("Your relationship to the missing person"), 60, missing=colander.required))
    contact.add(updates.consent_node())
    contact.validator = updates.check_consent
    schema.add(contact)

    person = colander.SchemaNode(colander.Mapping(), name="person", title=_("The missing person"),
                                 validator=_person_consistent)
    person.add(_text("full_name", _("Full name"), 120, missing=colander.required))
    person.add(colander.SchemaNode(
        colander.String(), name="sex", title=_("Sex"),
        validator=colander.OneOf(SEXES, msg_err=_("Choose one of the answers offered.")),
        widget=deform.widget.SelectWidget(values=[("", _("Choose"))] + list(SEX_LABELS.items()))))
    person.add(colander.SchemaNode(
        colander.Date(), name="birth_date", title=_("Date of birth"), missing=None, validator=_not_future_date,
        description=_("For example 2012-05-31. If you do not know it, give the age instead."),
        widget=deform.widget.TextInputWidget(attributes={"type": "date"})))
    for node in person_range_nodes():
        person.add(node)
    person.add(_text("build", _("Build"), 120))
    person.add(_text("hair", _("Hair"), 120))
    person.add(_text("eyes", _("Eyes"), 120))
    person.add(_text("clothing", _("Clothing when last seen"), 2000, rows=2))
    person.add(_text("distinguishing_marks", _("Distinguishing marks"), 2000, rows=2))
    person.add(_text("languages", _("Languages spoken"), 200, description=_("For example: Mandarin, Uyghur.")))
    person.add(_text("medical_needs", _("Medical needs (protected)"), 2000, rows=2, description=_(
        "Medicines or conditions helpers should know of. Only the police see this, unless you tick the box below.")))
    person.add(colander.SchemaNode(
        colander.Boolean(), name="medical_public", missing=False,
        title=_("Publish the medical needs on the appeal (so that people who find the person can help)"),
        widget=deform.widget.CheckboxWidget()))
    for node in vehicle_nodes():
        person.add(node)
    person.add(colander.SchemaNode(
        LocalDateTime(), name="last_seen_at", title=_("Last seen (date and time)"),
        validator=_last_seen_plausible, description=_("Beijing time, for example 2026-11-24 18:30."),
        widget=deform.widget.TextInputWidget(attributes={"type": "datetime-local"})))
    person.add(location_node("last_seen", title=_("Where the person was last seen"), place_required=True))
    person.add(_text("circumstances", _("Circumstances"), 4000, rows=4,
                     description=_("How and when the person went missing, anything that may help people recognise "
                                   "them. Do not write your own phone number here: it would be published.")))
    schema.add(person)

    schema.add(colander.SchemaNode(
        CheckedPhotos(PHOTO_LIMITS), name="photos", title=_("Photos of the person (optional)"),
        description=_("Up to ${n} recent photos, JPEG, PNG, WebP or GIF, up to 15 MB each. Location data in "
                      "them is not published.", mapping={"n": MAX_PHOTOS}),
        widget=PhotoInputWidget(max_count=MAX_PHOTOS)))
    schema.add(colander.SchemaNode(
        colander.Date(), name="photos_taken_on", title=_("When were the photos taken?"), missing=None,
        validator=_not_future_date, description=_("The day (or about) the newest photo was taken."),
        widget=deform.widget.TextInputWidget(attributes={"type": "date"})))
    schema.add(honeypot_node(validator=reject_filled_honeypot))
    return schema


class ReasonSchema(colander.MappingSchema):
    reason = colander.SchemaNode(colander.String(), validator=colander.Length(1, MAX_REASON),
                                 missing_msg=_("Give a reason."))


class ChecklistSchema(colander.MappingSchema):
    family_confirmed = colander.SchemaNode(colander.Boolean(), missing=False)
    unit_confirmed = colander.SchemaNode(colander.Boolean(), missing=False)
    verification_how = colander.SchemaNode(colander.String(), missing="", validator=colander.Length(max=2000))


