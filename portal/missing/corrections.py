"""The dispatcher's corrections of a family's request before it is published: the ranges the family
gave (age, height, weight), languages, the vehicle, whether the medical needs may be published (the
family agreed on the phone), and how precisely the public map shows the last-seen place.

A published appeal is not corrected here: a change to what the public sees needs a second officer."""
import colander
import deform

from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.refused import Refused
from portal.missing.forms import RANGES, person_range_nodes, vehicle_nodes
from portal.notices import places
from portal.notices.models import PRECISIONS

OPEN_STATES = ("submitted", "verifying")
DETAIL_FIELDS = ("age_min", "age_max", "height_min_cm", "height_max_cm", "weight_min_kg", "weight_max_kg",
                 "languages", "last_seen_precision", "medical_needs_public")
VEHICLE_FIELDS = ("vehicle_make", "vehicle_model", "vehicle_colour", "vehicle_plate")


def _ranges_in_order(node, value):
    exc = colander.Invalid(node)
    for low_name, high_name, message in RANGES:
        low, high = value.get(low_name), value.get(high_name)
        if low is not None and high is not None and low > high:
            exc[high_name] = message
    if exc.children:
        raise exc


def schema() -> colander.SchemaNode:
    node = colander.SchemaNode(colander.Mapping(), validator=_ranges_in_order)
    for child in person_range_nodes():
        node.add(child)
    node.add(colander.SchemaNode(colander.String(), name="languages", title=_("Languages spoken"), missing="",
                                 validator=colander.Length(max=200)))
    for child in vehicle_nodes():
        node.add(child)
    node.add(colander.SchemaNode(
        colander.String(), name="last_seen_precision", title=_("Last-seen place on the public map"),
        validator=colander.OneOf(PRECISIONS), description=_("A child's place is never shown more precisely "
                                                             "than about 500 m: it may be their home."),
        widget=deform.widget.SelectWidget(values=list(places.PRECISION_LABELS.items()))))
    node.add(colander.SchemaNode(
        colander.Boolean(), name="medical_needs_public", missing=False,
        title=_("The family agreed to publish the medical needs"), widget=deform.widget.CheckboxWidget()))
    node.add(colander.SchemaNode(colander.String(), name="version", missing=None,
                                 widget=deform.widget.HiddenWidget()))
    return node


def current(missing_request) -> dict:
    details, notice = missing_request.notice.missing_person, missing_request.notice
    values = {k: getattr(details, k) for k in DETAIL_FIELDS}
    values.update({k: getattr(notice, k) for k in VEHICLE_FIELDS})
    values["version"] = str(missing_request.version)
    return {k: (colander.null if v is None else v) for k, v in values.items()}


def correct(request, missing_request, data: dict) -> list[str]:
    """Apply the form; returns the names of the fields that changed (audited by name, not value)."""
    if missing_request.state not in OPEN_STATES:
        raise Refused(_("A published or closed appeal is not corrected here."), 409)
    details, notice = missing_request.notice.missing_person, missing_request.notice
    changed = []
    for target, names in ((details, DETAIL_FIELDS), (notice, VEHICLE_FIELDS)):
        for name in names:
            value = data[name].strip() if isinstance(data[name], str) else data[name]
            if getattr(target, name) != value:
                setattr(target, name, value)
                changed.append(name)
    if details.medical_needs_public and not details.medical_needs:
        details.medical_needs_public = False  # nothing to publish
    if changed:
        audit.record(request, "missing_request.corrected", object_type="missing_request", object_id=missing_request.id,
                     from_state=missing_request.state, to_state=missing_request.state,
                     reason="changed: " + ", ".join(changed))
    return changed
