"""Forms of sign-in and of the administrators' officer pages."""
import colander
import deform

from portal.accounts.services import check_password_strength
from portal.core.i18n import _
from portal.core.permissions import Role
from portal.core.refused import Refused
from portal.units.forms import unit_choices, unit_in_scope


class LoginSchema(colander.MappingSchema):
    username = colander.SchemaNode(
        colander.String(),
        title=_("Username"),
        validator=colander.Length(max=64),
        widget=deform.widget.TextInputWidget(attributes={"autocomplete": "username", "maxlength": 64}),
    )
    password = colander.SchemaNode(
        colander.String(),
        title=_("Password"),
        validator=colander.Length(max=256),
        widget=deform.widget.PasswordWidget(
            attributes={"autocomplete": "current-password", "maxlength": 256}
        ),
    )


class CodeSchema(colander.MappingSchema):
    code = colander.SchemaNode(
        colander.String(),
        title=_("Six-digit code from your authenticator app"),
        validator=colander.Regex(r"^\s*\d{3}\s?\d{3}\s*$", msg=_("Enter the six digits shown in the app.")),
        widget=deform.widget.TextInputWidget(
            attributes={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 7}
        ),
    )


ROLE_LABELS = {
    Role.MODERATOR: _("Moderator"),
    Role.HANDLER: _("Handler"),
    Role.DISPATCHER: _("Dispatcher"),
    Role.ADMIN: _("Administrator"),
}


def _roles_node():
    return colander.SchemaNode(
        colander.Set(), title=_("Roles"), missing=(),
        validator=colander.ContainsOnly([str(r) for r in Role]),
        widget=deform.widget.CheckboxChoiceWidget(values=[(str(r), label) for r, label in ROLE_LABELS.items()]),
    )


def _password_validator(node, value):
    try:
        check_password_strength(value, "")
    except Refused as refused:
        raise colander.Invalid(node, refused.message) from None


def _password_not_username(form, value):
    if value.get("username") and value["username"].lower() in (value.get("password") or "").lower():
        exc = colander.Invalid(form)
        exc["password"] = _("The password must not contain the username.")
        raise exc


def _new_passwords_match(form, value):
    if value.get("new_password") != value.get("new_password_again"):
        exc = colander.Invalid(form)
        exc["new_password_again"] = _("The two new passwords differ.")
        raise exc


class PasswordChangeSchema(colander.MappingSchema):
    """An officer's own new password; the current one first, so an open session alone cannot do it."""

    def validator(self, node, value):
        _new_passwords_match(node, value)

    current_password = colander.SchemaNode(
        colander.String(), title=_("Current password"), validator=colander.Length(max=256),
        widget=deform.widget.PasswordWidget(attributes={"autocomplete": "current-password", "maxlength": 256}),
    )
    new_password = colander.SchemaNode(
        colander.String(), title=_("New password"), validator=colander.All(colander.Length(max=256),
                                                                           _password_validator),
        widget=deform.widget.PasswordWidget(attributes={"autocomplete": "new-password", "maxlength": 256}),
    )
    new_password_again = colander.SchemaNode(
        colander.String(), title=_("New password again"), validator=colander.Length(max=256),
        widget=deform.widget.PasswordWidget(attributes={"autocomplete": "new-password", "maxlength": 256}),
    )


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
