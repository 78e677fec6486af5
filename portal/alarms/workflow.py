"""The life of an alarm (DESIGN.md section 4): new → acknowledged → dispatched → closed, or cancelled
by the sender. Dispatching names who was sent; closing says how it ended. Nothing is ever deleted."""
from portal.alarms.models import ALARM_STATES
from portal.core.i18n import _
from portal.core.permissions import Permission
from portal.workflow import Transition, Workflow

DISPATCH = str(Permission.DISPATCH)
# Not an officer's permission: the caller proved it holds the alarm's secret link.
SENDER = "alarm-sender"

ALARM_WORKFLOW = Workflow(
    name="alarm",
    states=ALARM_STATES,
    initial="new",
    final=("closed", "cancelled"),
    transitions=(
        Transition("acknowledge", ("new",), "acknowledged", DISPATCH),
        Transition("dispatch", ("new", "acknowledged"), "dispatched", DISPATCH, needs_reason=True),
        Transition("close", ("new", "acknowledged", "dispatched"), "closed", DISPATCH, needs_reason=True),
        Transition("cancel", ("new", "acknowledged", "dispatched"), "cancelled", SENDER),
    ),
    final_message=_("This alarm has ended."),
)
