"""The life of a family's missing-person request (DESIGN.md sections 2 and 4).

The command center's dispatchers verify the request with the family and the accepting unit and
then publish it; every step after submission is theirs. A family that wants to withdraw asks the
dispatcher (their phone number is on the receipt page), who records it with the family's reason."""
from portal.core.i18n import _
from portal.core.permissions import Permission
from portal.workflow import Guard, Transition, Workflow

DISPATCH = str(Permission.DISPATCH)

CHECKLIST_COMPLETE = Guard(
    lambda request, missing_request, context: missing_request.checklist_complete,
    _("The request cannot be published until the checklist is complete: the family "
      "and the accepting unit confirmed, and how."), 400)

STATE_LABELS = {"submitted": _("submitted"), "verifying": _("being verified"), "published": _("published"),
                "resolved": _("closed: found"), "withdrawn": _("withdrawn"), "rejected": _("rejected")}

MISSING_REQUEST_WORKFLOW = Workflow(
    name="missing_request",
    states=("submitted", "verifying", "published", "resolved", "withdrawn", "rejected"),
    initial="submitted",
    final=("resolved", "withdrawn", "rejected"),
    transitions=(
        Transition("start_verifying", ("submitted",), "verifying", DISPATCH),
        Transition("publish", ("verifying",), "published", DISPATCH, guards=(CHECKLIST_COMPLETE,)),
        Transition("reject", ("submitted", "verifying"), "rejected", DISPATCH, needs_reason=True),
        Transition("withdraw", ("submitted", "verifying", "published"), "withdrawn", DISPATCH, needs_reason=True),
        Transition("resolve", ("published",), "resolved", DISPATCH, needs_reason=True),
    ),
    label=_("request"),
    state_labels=STATE_LABELS,
)
