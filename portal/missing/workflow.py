"""The life of a family's missing-person request (DESIGN.md sections 2 and 4).

The command center's dispatchers verify the request with the family and the accepting unit and
then publish it; every step after submission is theirs. A family that wants to withdraw asks the
dispatcher (their phone number is on the receipt page), who records it with the family's reason."""
from portal.core.permissions import Permission
from portal.workflow import Transition, Workflow

DISPATCH = str(Permission.DISPATCH)

MISSING_REQUEST_WORKFLOW = Workflow(
    name="missing_request",
    states=("submitted", "verifying", "published", "resolved", "withdrawn", "rejected"),
    initial="submitted",
    final=("resolved", "withdrawn", "rejected"),
    transitions=(
        Transition("start_verifying", ("submitted",), "verifying", DISPATCH),
        # The checklist must also be complete: services/missing.py refuses before applying.
        Transition("publish", ("verifying",), "published", DISPATCH),
        Transition("reject", ("submitted", "verifying"), "rejected", DISPATCH, needs_reason=True),
        Transition("withdraw", ("submitted", "verifying", "published"), "withdrawn", DISPATCH, needs_reason=True),
        Transition("resolve", ("published",), "resolved", DISPATCH, needs_reason=True),
    ),
)
