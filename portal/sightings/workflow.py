"""The life of a sighting sent by the public on a notice (DESIGN.md section 4). Every step carries
a reason: what the moderator found, to whom it went, why it was closed."""
from portal.core.i18n import _
from portal.core.permissions import Permission
from portal.workflow import Transition, Workflow

MODERATE = str(Permission.MODERATE)

STATE_LABELS = {"received": _("received"), "reviewed": _("reviewed"), "forwarded": _("forwarded"),
                "closed": _("closed")}

SIGHTING_WORKFLOW = Workflow(
    name="sighting",
    states=("received", "reviewed", "forwarded", "closed"),
    initial="received",
    final=("closed",),
    transitions=(
        Transition("review", ("received",), "reviewed", MODERATE, needs_reason=True),
        Transition("forward", ("reviewed",), "forwarded", MODERATE, needs_reason=True),
        Transition("close", ("received", "reviewed", "forwarded"), "closed", MODERATE, needs_reason=True),
    ),
)
