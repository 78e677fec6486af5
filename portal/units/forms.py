"""Forms of the administrators for units, and the unit choice other staff forms share."""
import colander
import deform

from portal.core.i18n import _
from portal.core.refused import Refused
from portal.units.scope import units_in_scope
from portal.units.services import parse_jurisdiction


@colander.deferred
def unit_choices(node, kw):
    request = kw["request"]
    units = units_in_scope(request.dbsession, request.identity)
    # Indent by depth so the tree shows in a plain <select>.
    labels = [f"{'— ' * (len(u.ancestor_codes) - 1)}{u.name(request.locale_name)} ({u.code})" for u in units]
    return deform.widget.SelectWidget(values=[(str(u.id), label) for u, label in zip(units, labels, strict=True)])


@colander.deferred
def unit_in_scope(node, kw):
    request = kw["request"]
    allowed = {str(u.id) for u in units_in_scope(request.dbsession, request.identity)}
    return colander.OneOf(sorted(allowed), msg_err=_("Choose a unit you administer."))


def _jurisdiction_validator(node, value):
    try:
        parse_jurisdiction(value)
    except Refused as refused:
        raise colander.Invalid(node, refused.message) from None


class UnitSchema(colander.MappingSchema):
    name_zh = colander.SchemaNode(colander.String(), title=_("Name (Chinese)"), validator=colander.Length(1, 120))
    name_en = colander.SchemaNode(colander.String(), title=_("Name (English)"), missing="",
                                  validator=colander.Length(max=120))
    name_ug = colander.SchemaNode(colander.String(), title=_("Name (Uyghur)"), missing="",
                                  validator=colander.Length(max=120))
    phone_110 = colander.SchemaNode(colander.String(), title=_("110 command center phone"),
                                    validator=colander.Regex(r"^[0-9+\- ]{3,32}$", msg=_("Digits only.")))
    sms_suffix = colander.SchemaNode(colander.String(), title=_("SMS 12110 routing suffix"), missing="",
                                     validator=colander.Regex(r"^[0-9]{0,12}$", msg=_("Digits only.")))
    is_command_center = colander.SchemaNode(colander.Boolean(), title=_("Is a command center"), missing=False)
    jurisdiction = colander.SchemaNode(
        colander.String(), title=_("Jurisdiction (GeoJSON Polygon, longitude/latitude)"), missing=None,
        validator=_jurisdiction_validator, widget=deform.widget.TextAreaWidget(rows=6),
    )


class NewUnitSchema(UnitSchema):
    code = colander.SchemaNode(colander.String(), title=_("Administrative division code"),
                               validator=colander.Regex(r"^[0-9]{6,12}$", msg=_("6 to 12 digits.")),
                               insert_before="name_zh")
    parent_id = colander.SchemaNode(colander.String(), title=_("Parent unit"), widget=unit_choices,
                                    validator=unit_in_scope, insert_before="name_zh")
