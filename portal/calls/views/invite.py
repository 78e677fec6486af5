"""A dispatcher's invitation to share (instant on scene).

Staff: /staff/invitations takes the console's invitation form (a refusal shows it again, filled in,
with the recent invitations, as a 4xx page) and lists the invitations; a waiting one may be revoked.

The invited person: /invite/{token} says who asked and what would be shared and asks for consent
(a plain form: no JavaScript needed). The person has no session yet, so the consent is checked like
the alarm form (core/json.py from_this_site). A link that cannot be used (unknown, expired, revoked,
bound to another phone) is a clear page with the call 110 and SMS links."""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from portal.calls.invitations import services as invitations
from portal.calls.invitations.forms import MODE_LABELS, invitation_schema
from portal.calls.invitations.panel import SEND, invitation_panel
from portal.core.forms import FormView, posted_text
from portal.core.i18n import _
from portal.core.json import from_this_site
from portal.core.localtime import local_time
from portal.core.permissions import Permission
from portal.core.refused import Refused
from portal.outbox.services import mask

PAGE = "calls/invite.html"
REFUSALS = {  # why: (status, what the page says)
    "unknown": (404, _("This link does not open anything. It may have been mistyped or cut off.")),
    "expired": (410, _("This invitation has expired. If you still need the police, call or send a text "
                       "message now.")),
    "revoked": (410, _("The dispatcher withdrew this invitation. If you still need the police, call or send "
                       "a text message now.")),
    "other_device": (403, _("This link was already opened on another phone: it can be used on one phone only. "
                            "Use that phone, or call or send a text message now.")),
    "used": (410, _("This invitation was already used.")),
    "foreign": (403, _("Not sent: this request did not come from this page. Press the button again.")),
}
SMS_MESSAGE = _("I need the police.")


@view_config(route_name="staff_call_invitations", renderer="calls/invitations.html", permission=Permission.DISPATCH)
class InvitationsPage(FormView):
    """GET: the form and the recent invitations. POST: send one; back to the console."""

    schema_factory = staticmethod(invitation_schema)
    buttons = SEND

    def form(self):
        form = super().form()
        form.formid, form.action = "invite", self.request.route_path("staff_call_invitations")
        return form

    def page(self, form=None, error=None, **values):
        return {"panel": invitation_panel(self.request, form), "error": error, **values}

    def send_success(self, data):
        request = self.request
        invitation = invitations.invite(request, data["phone"], data["mode"], data["language"])
        request.session.flash(request.localizer.translate(_(
            "Invitation sent: a text message with the link goes to ${phone}. It can be used until ${time}.",
            mapping={"phone": mask(data["phone"]), "time": local_time(invitation.expires_at, "%H:%M")})))
        return HTTPSeeOther(request.route_path("staff_alarms") + "#invitations")


@view_config(route_name="staff_call_invitation_revoke", request_method="POST", permission=Permission.DISPATCH)
def revoke(context, request):
    invitations.revoke(request, context.invitation, posted_text(request, "version") or None)
    request.session.flash(request.localizer.translate(_("Invitation withdrawn: its link opens nothing now.")))
    return HTTPSeeOther(request.route_path("staff_alarms") + "#invitations")


# -- the invited person --------------------------------------------------------------------------

def _person_page(request, invitation, *, why=None, status=200):
    fallback = request.registry["fallbacks"]
    unit = invitation.unit if invitation is not None else None
    sms_text = request.localizer.translate(SMS_MESSAGE)
    request.response.status_int = REFUSALS[why][0] if why else status
    request.response.cache_control = "no-store"  # a secret page: not in shared caches
    return {
        "invitation": invitation if why is None or why == "foreign" else None,
        "refusal": REFUSALS[why][1] if why else None, "why": why,
        "center": unit.name(request.locale_name) if unit is not None else "",
        "shares": invitations.SHARES[invitation.mode] if invitation is not None else "",
        "mode_label": MODE_LABELS[invitation.mode] if invitation is not None else "",
        "sms_href": fallback.sms_href(sms_text, unit), "sms_number": fallback.sms_number(unit), "sms_text": sms_text,
        "phone_110": (unit.phone_110 if unit is not None else "") or fallback.police,
        "leave_url": request.registry.settings["portal.alarm.leave_url"], "embed": False, "error": None,
    }


def _keep_device(request, response, secret: str) -> None:
    """The cookie that binds the link to this browser (only its hash is stored)."""
    settings = request.registry.settings
    response.set_cookie(invitations.DEVICE_COOKIE, secret, max_age=2 * 86400, path="/invite/", httponly=True,
                        samesite="Lax", secure=str(settings.get("portal.session_secure", "false")).lower() == "true")


def _settled(request, invitation, why):
    """A link this browser cannot use now: its alarm (used here), else the page saying why. A refusal
    stores nothing: a link past its time is marked expired by the worker (calls/invitations/services.py)."""
    if why == "used":
        path = invitations.alarm_path(request, invitation)
        if path is not None:
            return HTTPSeeOther(path)
    return _person_page(request, invitation, why=why)


@view_config(route_name="call_invitation", renderer=PAGE, request_method=("GET", "HEAD"))
def invitation_page(context, request):
    invitation = context.invitation
    secret = request.cookies.get(invitations.DEVICE_COOKIE)
    why = invitations.refusal(invitation, secret)
    if why is not None:
        return _settled(request, invitation, why)
    if request.method == "HEAD":
        return _person_page(request, invitation)
    secret = secret or invitations.new_device_secret()
    # A browser's own navigation binds the link to it at once; a link preview (no Sec-Fetch-Mode)
    # does not, so an SMS app that fetches the link first does not use it up.
    invitations.open_link(request, invitation, secret, bind=request.headers.get("Sec-Fetch-Mode") == "navigate")
    _keep_device(request, request.response, secret)
    return _person_page(request, invitation)


@view_config(route_name="call_invitation", renderer=PAGE, request_method="POST", require_csrf=False)
def invitation_consent(context, request):
    invitation = context.invitation
    secret = request.cookies.get(invitations.DEVICE_COOKIE)
    why = invitations.refusal(invitation, secret)
    if why is not None:
        return _settled(request, invitation, why)
    if not from_this_site(request):
        return _person_page(request, invitation, why="foreign")
    secret = secret or invitations.new_device_secret()
    try:
        path = invitations.consent(request, invitation, secret)
    except Refused:
        # Another press of this phone was quicker (or the dispatcher withdrew it meanwhile).
        request.tm.doom()
        request.dbsession.refresh(invitation)
        return _settled(request, invitation, invitations.refusal(invitation, secret) or "used")
    response = HTTPSeeOther(path)
    _keep_device(request, response, secret)
    return response
