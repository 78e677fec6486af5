"""The life of a dispatcher's invitation: sent → opened (the invited phone opened the link) → used
(the person consented: an alarm was raised); or expired (nobody consented within the invitation's
lifetime) or revoked (a dispatcher of the center took it back). Used, expired and revoked are final:
the link opens nothing new after them (a used link on its own phone leads back to its alarm)."""
from portal.alarms.workflow import DISPATCH
from portal.calls.invitations.models import INVITATION_STATES
from portal.core.i18n import _
from portal.workflow import SYSTEM, Transition, Workflow

# Not an officer's permission: the caller holds the invitation's link on the phone it is bound to.
INVITEE = "call-invitee"
WAITING = ("sent", "opened")

INVITATION_WORKFLOW = Workflow(
    name="call_invitation",
    states=INVITATION_STATES,
    initial="sent",
    final=("used", "expired", "revoked"),
    transitions=(
        Transition("open", ("sent",), "opened", INVITEE),
        Transition("consent", WAITING, "used", INVITEE),
        Transition("expire", WAITING, "expired", SYSTEM),
        Transition("revoke", WAITING, "revoked", DISPATCH),
    ),
    label=_("invitation"),
    state_labels={"sent": _("sent"), "opened": _("opened"), "used": _("shared"), "expired": _("expired"),
                  "revoked": _("revoked")},
    final_message=_("This invitation is no longer open."),
)
