"""The life of a trip (DESIGN.md section 4): active → arrived | alarm_raised | expired. Missing the
arrival time is not a state: it marks the trip overdue (Trip.overdue_at) while it stays active."""
from portal.core.i18n import _
from portal.trips.models import TRIP_STATES
from portal.workflow import SYSTEM, Transition, Workflow

TRAVELLER = "trip-traveller"  # holds the traveller's secret link
GUARDIAN = "trip-guardian"  # holds a guardian's secret link (the traveller may raise the alarm too)

TRIP_WORKFLOW = Workflow(
    name="trip",
    states=TRIP_STATES,
    initial="active",
    final=("arrived", "alarm_raised", "expired"),
    transitions=(
        Transition("arrive", ("active",), "arrived", TRAVELLER),
        Transition("raise_alarm", ("active",), "alarm_raised", GUARDIAN),
        # Nobody answered an overdue trip in time: the worker raises the alarm itself.
        Transition("escalate", ("active",), "alarm_raised", SYSTEM, needs_reason=True),
        Transition("expire", ("active",), "expired", SYSTEM, needs_reason=True),
    ),
    final_message=_("This trip has already ended."),
)
