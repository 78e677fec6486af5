"""The traveller's form that starts a trip (/trips/new)."""
import re

import colander
import deform
from pyramid.threadlocal import get_current_request

from portal.core.i18n import _
from portal.core.localtime import LocalDateTime
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.core.widgets import PhotoInputWidget, honeypot_node
from portal.media.forms import CheckedPhotos
from portal.trips import services as trips

PHONE_CHARS = set("0123456789+-() ")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")


def _translate(term) -> str:
    request = get_current_request()
    return request.localizer.translate(term) if request is not None else str(term)


def _arrival_plausible(node, value):
    try:
        trips.check_arrival(value, utcnow())
    except Refused as refused:
        raise colander.Invalid(node, refused.message) from None


def _phone(node, value):
    digits = sum(ch.isdigit() for ch in value)
    if not set(value) <= PHONE_CHARS or not 5 <= digits <= 20:
        raise colander.Invalid(node, _("Give a phone number with digits only (spaces, + and - are fine)."))


def _phone_or_email(node, value):
    if "@" in value:
        if not EMAIL.match(value):
            raise colander.Invalid(node, _("Give an e-mail address such as name@example.com, or a phone number."))
    else:
        _phone(node, value)


def _guardian_named(node, value):
    if value.get("contact") and not value.get("label"):
        error = colander.Invalid(node)
        error["label"] = _("Give this guardian a name.")
        raise error


def _drop_empty(value):
    if not isinstance(value, list):
        return value
    return [g for g in value if isinstance(g, dict) and (g.get("label") or g.get("contact"))]


class GuardianSlotsWidget(deform.widget.SequenceWidget):
    """Five plain guardian slots (templates/deform/guardian_sequence.pt): no JavaScript needed."""

    template = "guardian_sequence"
    item_template = "guardian_item"
    # The template shows the title, description and errors itself, inside its fieldset; "hidden"
    # keeps Deform's mapping_item.pt from repeating them around it.
    hidden = True

    def item_title(self, number: int) -> str:
        if number == 1:
            return _translate(_("Guardian 1"))
        return _translate(_("Guardian ${n} (optional)", mapping={"n": number}))

    def add_title(self) -> str:
        return _translate(_("Add another guardian"))


def _text(name, title, max_length, *, missing=colander.required, description=None, attributes=None, **kw):
    attributes = dict(attributes or {}, maxlength=str(max_length))
    return colander.SchemaNode(colander.String(), name=name, title=title, missing=missing, description=description,
                               validator=kw.pop("validator", colander.Length(max=max_length)),
                               widget=deform.widget.TextInputWidget(attributes=attributes), **kw)


def trip_schema() -> colander.SchemaNode:
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(_text("destination", _("Where are you going?"), 255,
                     validator=colander.Length(1, 255), missing_msg=_("Say where you are going."),
                     description=_("For example: home, Railway station, 12 Renmin Road.")))
    schema.add(colander.SchemaNode(
        LocalDateTime(), name="expected_arrival_at", title=_("When do you expect to arrive?"),
        validator=_arrival_plausible, missing_msg=_("Give the time you expect to arrive."),
        description=_("Beijing time, within the next 24 hours, for example 2026-11-24 18:30. If you have not "
                      "arrived by then, your guardians are told."),
        widget=deform.widget.TextInputWidget(attributes={"type": "datetime-local"})))
    schema.add(_text("vehicle_plate", _("Vehicle plate (optional)"), 20, missing="",
                     description=_("The number plate of the taxi or car you are in."),
                     attributes={"autocapitalize": "characters", "spellcheck": "false"}))
    schema.add(colander.SchemaNode(
        CheckedPhotos(trips.PHOTO_LIMITS), name="photos", title=_("Photos (optional)"),
        description=_("Up to ${n} photos, for example of the taxi's number plate. Only your guardians see them "
                      "(and the police, if an alarm is raised).", mapping={"n": trips.PHOTO_LIMITS.max_count}),
        widget=PhotoInputWidget(max_count=trips.PHOTO_LIMITS.max_count)))

    guardian = colander.SchemaNode(colander.Mapping(), name="guardian", validator=_guardian_named)
    guardian.add(_text("label", _("Name"), 60, missing="",
                       description=_("How you call this person, for example Mum.")))
    guardian.add(_text("contact", _("Phone or e-mail for a notice (optional)"), 254, missing="",
                       validator=colander.All(colander.Length(max=254), _phone_or_email),
                       description=_("Used only to tell them if you have not arrived in time."),
                       attributes={"autocomplete": "off", "spellcheck": "false"}))
    limit = _("Name between 1 and ${max} guardians.", mapping={"max": trips.MAX_GUARDIANS})
    schema.add(colander.SchemaNode(
        colander.Sequence(), guardian, name="guardians", title=_("Your guardians"),
        description=_("People who follow your trip: each gets their own link. Name at least one."),
        preparer=_drop_empty,
        validator=colander.Length(1, trips.MAX_GUARDIANS, min_err=limit, max_err=limit),
        default=[{"label": "", "contact": ""} for _i in range(trips.MAX_GUARDIANS)],
        widget=GuardianSlotsWidget()))

    contact = colander.SchemaNode(
        colander.Mapping(), name="contact", title=_("Your contact (optional)"),
        widget=deform.widget.MappingWidget(
            template="private_mapping",
            note=_("Not shown to your guardians. The police get it only if an alarm is raised, to reach you.")))
    contact.add(_text("name", _("Your name"), 60, missing=""))
    contact.add(_text("phone", _("Your phone number"), 30, missing="",
                      validator=colander.All(colander.Length(max=30), _phone),
                      attributes={"type": "tel", "autocomplete": "tel"}))
    schema.add(contact)
    schema.add(honeypot_node())
    return schema
