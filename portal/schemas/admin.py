"""Forms of the administrators: units and officers."""
import colander
import deform

from ..i18n import _
from ..security.permissions import Role
from ..services.officers import OfficerError, check_password_strength
from ..services.scope import units_in_scope
from ..services.units import JurisdictionError, parse_jurisdiction

ROLE_LABELS = {
    Role.MODERATOR: _("Moderator"),
    Role.HANDLER: _("Handler"),
    Role.DISPATCHER: _("Dispatcher"),
    Role.ADMIN: _("Administrator"),
}


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
    except JurisdictionError as exc:
        raise colander.Invalid(node, _("Jurisdiction: ${problem}", mapping={"problem": str(exc)})) from None


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


def _roles_node():
    return colander.SchemaNode(
        colander.Set(), title=_("Roles"), missing=(),
        validator=colander.ContainsOnly([str(r) for r in Role]),
        widget=deform.widget.CheckboxChoiceWidget(values=[(str(r), label) for r, label in ROLE_LABELS.items()]),
    )


def _password_validator(node, value):
    try:
        check_password_strength(value, "")
    except OfficerError as exc:
        raise colander.Invalid(node, _("Password: ${problem}", mapping={"problem": str(exc)})) from None


def _password_not_username(form, value):
    if value.get("username") and value["username"].lower() in (value.get("password") or "").lower():
        exc = colander.Invalid(form)
        exc["password"] = _("The password must not contain the username.")
        raise exc


class OfficerSchema(colander.MappingSchema):
    display_name = colander.SchemaNode(colander.String(), title=_("Display name"), validator=colander.Length(1, 120))
    unit_id = colander.SchemaNode(colander.String(), title=_("Unit"), widget=unit_choices, validator=unit_in_scope)
    roles = _roles_node()
    active = colander.SchemaNode(colander.Boolean(), title=_("Active"), missing=False)
    new_password = colander.SchemaNode(
        colander.String(), title=_("New password (leave empty to keep)"), missing=None,
        validator=_password_validator,
        widget=deform.widget.PasswordWidget(attributes={"autocomplete": "new-password"}),
    )
    unlock = colander.SchemaNode(colander.Boolean(), title=_("Unlock the account"), missing=False)
    reset_totp = colander.SchemaNode(colander.Boolean(), title=_("Reset two-step sign-in"), missing=False)


class NewOfficerSchema(colander.MappingSchema):
    def validator(self, node, value):
        _password_not_username(node, value)
    username = colander.SchemaNode(colander.String(), title=_("Username"),
                                   validator=colander.Regex(r"^[a-z0-9_.-]{3,64}$",
                                                            msg=_("3 to 64 of a-z, 0-9, dot, dash, underscore.")))
    display_name = colander.SchemaNode(colander.String(), title=_("Display name"), validator=colander.Length(1, 120))
    unit_id = colander.SchemaNode(colander.String(), title=_("Unit"), widget=unit_choices, validator=unit_in_scope)
    roles = _roles_node()
    password = colander.SchemaNode(
        colander.String(), title=_("Initial password"), validator=_password_validator,
        widget=deform.widget.PasswordWidget(attributes={"autocomplete": "new-password"}),
    )
