"""The life of a call: ringing → connected (a dispatcher answered) ⇄ held → ended. Any dispatcher of
the alarm's command center (or a center above it) may answer; the first one wins (the engine's
compare-and-set), the others see who took it. Either side may end it; the worker ends a call
whose caller is gone."""
from portal.alarms.workflow import DISPATCH, SENDER
from portal.calls.models import CALL_STATES
from portal.core.i18n import _
from portal.workflow import SYSTEM, Transition, Workflow

OPEN = ("ringing", "connected", "held")

CALL_WORKFLOW = Workflow(
    name="call",
    states=CALL_STATES,
    initial="ringing",
    final=("ended",),
    transitions=(
        Transition("answer", ("ringing",), "connected", DISPATCH),
        Transition("hold", ("connected",), "held", DISPATCH),
        Transition("resume", ("held",), "connected", DISPATCH),
        Transition("end", OPEN, "ended", DISPATCH),
        Transition("hang_up", OPEN, "ended", SENDER),  # the caller, holding the alarm's link
        Transition("drop", OPEN, "ended", SYSTEM, needs_reason=True),  # the caller's page went silent
    ),
    label=_("call"),
    state_labels={"ringing": _("ringing"), "connected": _("connected"), "held": _("on hold"), "ended": _("ended")},
    final_message=_("This call has ended."),
)
