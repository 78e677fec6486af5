"""What the dispatcher console shows of invitations (templates/calls/_invite.html, included in
templates/staff/alarms.html): the invitation form, posting to /staff/invitations, and the recent
invitations of the centers in the dispatcher's scope with their state. The console's own view
(portal/alarms) knows nothing of calls: the include asks `request.call_invitation_panel()`."""
import deform

from portal.calls.invitations import services as invitations
from portal.calls.invitations.forms import MODE_LABELS, invitation_schema
from portal.calls.invitations.workflow import INVITATION_WORKFLOW, WAITING
from portal.core.forms import make_form
from portal.core.i18n import _
from portal.core.meta import utcnow

SEND = (("send", _("Send the invitation")),)


def invitation_form(request) -> deform.Form:
    buttons = tuple(deform.Button(name, title) for name, title in SEND)
    # focus="off": the console's keys (static/js/console-keys.js) and the list come first, not this field.
    return make_form(request, invitation_schema(), buttons=buttons, formid="invite", focus="off",
                     action=request.route_path("staff_call_invitations"))


def rows(request) -> list[dict]:
    now = utcnow()
    out = []
    for invitation in invitations.recent(request.dbsession, request.identity, now=now):
        state = invitations.shown_state(invitation, now)
        out.append({
            "invitation": invitation, "state": state,
            "state_label": INVITATION_WORKFLOW.state_labels[state], "mode_label": MODE_LABELS[invitation.mode],
            "revocable": state in WAITING,
            "alarm_url": request.route_path("staff_alarm", id=invitation.alarm_id) if invitation.alarm_id else "",
        })
    return out


def invitation_panel(request, form_html=None) -> dict:
    """The include's values: the form (fresh, or as sent with its messages) and the recent rows."""
    if form_html is None:
        form_html = invitation_form(request).render()
    return {"form": form_html, "rows": rows(request),
            "minutes": int(request.registry.settings["portal.call.invitation_minutes"])}


def invitation_of_alarm(request, alarm_id: int) -> dict | None:
    """For templates/calls/_invited_by.html on the staff alarm page: the invitation the alarm came
    from (who invited, when, what was asked), or None."""
    invitation = invitations.of_alarm(request.dbsession, alarm_id)
    if invitation is None:
        return None
    return {"invitation": invitation, "mode_label": request.localizer.translate(MODE_LABELS[invitation.mode]),
            "name": invitation.officer.display_name or invitation.officer.username}
