"""The staff notice form: common fields plus those of the notice's kind."""

import colander
import deform

from portal.core.i18n import _
from portal.core.localtime import LocalDateTime
from portal.core.meta import utcnow
from portal.notices.editing import KIND_FIELDS
from portal.notices.photo_forms import photo_nodes
from portal.units.forms import unit_choices, unit_in_scope


def _text(title, max_length, rows=None, missing=""):
    widget = deform.widget.TextAreaWidget(rows=rows) if rows else deform.widget.TextInputWidget()
    return colander.SchemaNode(colander.String(), title=title, missing=missing,
                               validator=colander.Length(max=max_length), widget=widget)


def _future(node, value):
    if value is not None and value <= utcnow():
        raise colander.Invalid(node, _("The expiry time must be in the future."))


KIND_NODES = {
    "suspect_description": lambda: _text(_("Description of the suspect"), 4000, rows=4),
    "caution": lambda: _text(_("Caution (for example: may be armed, do not approach)"), 1000, rows=2),
    "item_description": lambda: _text(_("Description of the item"), 4000, rows=4),
    "found_place": lambda: _text(_("Where it was found"), 255),
    "vehicle_plate": lambda: _text(_("Number plate"), 20),
    "vehicle_make": lambda: _text(_("Make"), 60),
    "vehicle_model": lambda: _text(_("Model"), 60),
    "vehicle_colour": lambda: _text(_("Colour"), 30),
    "reward_amount": lambda: colander.SchemaNode(colander.Integer(), title=_("Reward amount (yuan)"), missing=None,
                                                 validator=colander.Range(1, 10_000_000)),
    "reward_conditions": lambda: _text(_("Conditions of the reward"), 4000, rows=4),
}


def notice_schema(kind: str, *, with_unit: bool, thumb_url=None) -> colander.SchemaNode:
    """The form of a new notice (`with_unit`) or the edit form (`thumb_url` shows its photos)."""
    schema = colander.SchemaNode(colander.Mapping())
    if with_unit:
        schema.add(colander.SchemaNode(colander.String(), name="unit_id", title=_("Publishing unit"),
                                       widget=unit_choices, validator=unit_in_scope))
    schema.add(colander.SchemaNode(colander.String(), name="title", title=_("Title"),
                                   validator=colander.Length(1, 200)))
    schema.add(colander.SchemaNode(colander.String(), name="body", title=_("Text"),
                                   validator=colander.Length(1, 20_000), widget=deform.widget.TextAreaWidget(rows=8)))
    for name in KIND_FIELDS[kind]:
        node = KIND_NODES[name]()
        node.name = name
        schema.add(node)
    for node in photo_nodes(thumb_url=None if with_unit else thumb_url or (lambda media_id: "")):
        schema.add(node)
    schema.add(colander.SchemaNode(LocalDateTime(), name="expires_at", missing=None,
                                   title=_("Expires (optional)"), validator=_future,
                                   description=_(
                                       "For example 2026-12-31 18:00 (Beijing time). Leave empty for no expiry."),
                                   widget=deform.widget.TextInputWidget(
                                       attributes={"placeholder": "2026-12-31 18:00"})))
    schema.add(colander.SchemaNode(colander.Integer(), name="version", missing=None,
                                   widget=deform.widget.HiddenWidget()))
    # The pending change of a published notice the form started from (revisions.py), if any.
    schema.add(colander.SchemaNode(colander.Integer(), name="pending", missing=None,
                                   widget=deform.widget.HiddenWidget()))
    return schema
