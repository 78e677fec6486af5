"""The verified phone on a report form: the contact's number gets a "Send a code" button and a code
field, and a FormView mixin answers that button without reading (or counting) the report.

The button posts the whole form; the page comes back with everything that was typed, the code field
and where the code went, so the report text is never lost while the person waits for the SMS (files
must be chosen again without JavaScript, as after any refusal). The form is then sent with the code:
a wrong, spent or expired code is an error at the code field, the report kept as typed."""
import colander
import deform
from pyramid.csrf import check_csrf_token

from portal.core.forms import make_form, refilled
from portal.core.i18n import _
from portal.core.refused import Refused
from portal.phones import services as phones

CODE_FIELD = "code"
SEND_BUTTON = "send_code"
EXPIRED_FORM = _("This form has expired or did not come from this site. Nothing was sent. What you typed is kept "
                 "below: please press \"Send a code\" again.")


class PhoneSendWidget(deform.widget.TextInputWidget):
    """The number's input with the "Send a code" button beside it (templates/deform/phone_send.pt)."""

    template = "phone_send"

    def serialize(self, field, cstruct, **kw):
        request = field.schema.bindings["request"]
        kw.setdefault("button_title", request.localizer.translate(_("Send a code")))
        kw.setdefault("script_src", request.static_path("portal:static/js/phone-code.js"))
        kw.setdefault("endpoint", request.route_path("phone_code"))
        return super().serialize(field, cstruct, **kw)


def _proving(existing_validator, required: bool):
    """The contact's validator: its own checks, then the number proven by its code."""

    def validate(node, contact):
        if existing_validator is not None:
            existing_validator(node, contact)
        request = node.bindings["request"]
        phone = (contact.get("phone") or "").strip()
        error = colander.Invalid(node)
        if not phone:
            if required:
                error["phone"] = phones.NEEDED
                raise error
            return
        try:
            request.proven_phone = phones.check_code(request, phone, contact.get(CODE_FIELD) or "")
        except phones.CodeRefused as refused:
            number_problem = refused.message in (phones.BAD_NUMBER, phones.NOT_MAINLAND)
            error["phone" if number_problem else CODE_FIELD] = refused.message
            raise error from None
        contact["phone"], contact["phone_verified"] = request.proven_phone.number, True
    return validate


def adapt_contact(contact: colander.SchemaNode, mode: str) -> colander.SchemaNode:
    """The form's contact mapping with a proven number (mode optional or required); unchanged when off."""
    if mode not in ("optional", "required"):
        return contact
    phone = contact["phone"]
    if mode == "required":
        phone.missing = colander.required
        phone.missing_msg = phones.NEEDED
        # The form's own words ("optional", "you may leave it empty") no longer hold.
        contact.title = _("Your contact (protected)")
        contact.widget = deform.widget.MappingWidget(template="private_mapping", note=_(
            "Only the officers handling your report see this, and each look is recorded. This portal needs your "
            "proven mobile number: the police can identify you."))
    phone.title = _("Your mobile phone number (we send it a code)")
    phone.widget = PhoneSendWidget(attributes={"type": "tel", "autocomplete": "tel", "maxlength": "30"})
    phone.description = (
        _("Required here: the police can then identify you. Only the officer handling it sees the number.")
        if mode == "required" else
        _("Optional. If you give it, the police can identify you: leave it empty to stay anonymous."))
    position = [child.name for child in contact.children].index("phone") + 1
    contact.insert(position, colander.SchemaNode(
        colander.String(), name=CODE_FIELD, title=_("The 6-digit code from the SMS"), missing="",
        validator=colander.Length(max=20),
        widget=deform.widget.TextInputWidget(attributes={
            "inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "20", "dir": "ltr"})))
    contact.validator = _proving(contact.validator, mode == "required")
    return contact


class PhoneCodeStep:
    """Mixin for a report's FormView (before FormView in the bases): answers "Send a code" with the
    form as it was typed, and adapts the schema's contact to the deployment's mode. The view's
    success handler calls `phones.consume(request, request.proven_phone)` with its submission."""

    def phone_mode(self) -> str:
        return phones.mode(self.request.registry.settings)

    def form(self) -> deform.Form:
        # FormView.form with the contact adapted (views build their schema in different ways).
        buttons = tuple(deform.Button(name, title) for name, title in self.buttons)
        schema = self.schema()
        adapt_contact(schema["contact"], self.phone_mode())
        return make_form(self.request, schema, buttons=buttons, **self.form_options)

    def __call__(self):
        request = self.request
        request.proven_phone = None
        if request.method == "POST" and SEND_BUTTON in request.POST and self.phone_mode() != "off":
            return self._send_code()
        return super().__call__()

    def _send_code(self):
        request, form = self.request, self.form()
        try:
            if not check_csrf_token(request, raises=False):
                raise Refused(EXPIRED_FORM, 400)
            sent = phones.send_code(request, _posted_phone(request))
        except Refused as refused:
            return self.refused(form, refused)
        request.response.cache_control = "no-store"
        return self.page(form=refilled(request, form), phone_notice=sent)


def _posted_phone(request) -> str:
    """The number typed into the contact (Deform posts it inside the contact's mapping markers; its
    field name alone is enough: no other field of these forms is called "phone")."""
    value = request.POST.get("phone")
    return value if isinstance(value, str) else ""
