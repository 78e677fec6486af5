"""An officer's own account: turn on two-step sign-in, change the password."""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import remember
from pyramid.view import view_config

from portal.accounts import services, totp
from portal.accounts.forms import PasswordChangeSchema
from portal.accounts.views.signin import Enrolment
from portal.core.forms import FormView
from portal.core.i18n import _


@view_config(route_name="staff_account_totp", renderer="staff/totp.html", permission="account")
class AccountEnrolment(Enrolment):
    """An officer turns on the second factor from their account; an administrator resets it."""

    def __call__(self):
        request = self.request
        self.officer = request.identity
        if self.officer.totp_enabled:
            return {"heading": _("Two-step sign-in is on"), "form": "", "error": None,
                    "message": _("Ask an administrator to reset it if you lose your phone.")}
        self.secret = request.session.get("enrol_secret")
        if self.secret is None or request.method != "POST":
            self.secret = request.session["enrol_secret"] = totp.new_secret()
            return self.page(form=self.form().render())
        return super().__call__()

    def enrolled(self):
        request = self.request
        del request.session["enrol_secret"]
        # The auth epoch changed with the second factor: sign this session in again under it.
        return HTTPSeeOther(request.route_path("staff"), headers=remember(request, self.officer))


@view_config(route_name="staff_account_password", renderer="staff/form.html", permission="account")
class ChangePassword(FormView):
    """A new password ends every other session of the officer; this one goes on under it."""

    schema_factory = PasswordChangeSchema
    buttons = (("save", _("Change password")),)
    doom_on_refusal = False  # a wrong current password's audit event is kept

    def page(self, **values):
        return {"heading": _("Change password"), "error": None, **values}

    def save_success(self, data):
        request = self.request
        officer = request.identity
        services.change_own_password(request, officer, data["current_password"], data["new_password"])
        headers = remember(request, officer)  # this session under the new generation
        request.session.flash(request.localizer.translate(
            _("Password changed. Every other session of yours has ended.")))
        return HTTPSeeOther(request.route_path("staff"), headers=headers)
