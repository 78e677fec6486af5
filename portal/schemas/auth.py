import colander
import deform

from ..i18n import _


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
