"""Video, silent video and voice alarms: a live call from the alarm's page to a dispatcher of its
command center, browser to browser (WebRTC), signalled through the portal's own JSON endpoints."""
from portal.alarms.events import AlarmEnded
from portal.alarms.resources import AlarmSenderContext
from portal.calls import services
from portal.calls.resources import StaffCallContext
from portal.calls.waiting import Bell
from portal.core.resources import StaffRoot
from portal.privacy.links import TOKEN_PATTERN


def includeme(config):
    from portal.calls import workflow  # noqa: F401  (importing a declaration checks it)

    settings = config.get_settings()
    config.registry["call_bell"] = Bell(int(settings["portal.call.long_poll_slots"]))
    caller = "/alarm/{token:" + TOKEN_PATTERN + "}/call"
    config.add_route("call_caller", caller, factory=AlarmSenderContext)
    config.add_route("call_caller_action", caller + "/{action:poll|signals|report|hang-up}",
                     factory=AlarmSenderContext)
    config.add_route("staff_calls", "/staff/calls", factory=StaffRoot)
    for action in ("answer", "poll", "signals", "hold", "resume", "end", "snapshot"):
        config.add_route(f"staff_call_{action}", r"/staff/calls/{id:\d+}/" + action, factory=StaffCallContext)
    config.add_subscriber(services.on_alarm_ended, AlarmEnded)  # an alarm's end ends its call
    config.scan(".views")
