"""Video, silent video and voice alarms: a live call from the alarm's page to a dispatcher of its
command center, browser to browser (WebRTC), signalled through the portal's own JSON endpoints."""
from portal.alarms.events import AlarmEnded
from portal.alarms.resources import AlarmSenderContext
from portal.calls import services
from portal.calls.invitations.resources import InvitationLinkContext, StaffInvitationContext
from portal.calls.resources import StaffCallContext, StaffRecordingContext
from portal.calls.waiting import Bell
from portal.core.resources import StaffRoot
from portal.privacy.links import TOKEN_PATTERN


def includeme(config):
    from portal.calls import workflow  # noqa: F401  (importing a declaration checks it)
    from portal.calls.invitations import workflow as invitation_workflow  # noqa: F401
    from portal.calls.invitations.panel import invitation_of_alarm, invitation_panel

    settings = config.get_settings()
    config.registry["call_bell"] = Bell(int(settings["portal.call.long_poll_slots"]))
    caller = "/alarm/{token:" + TOKEN_PATTERN + "}/call"
    config.add_route("call_caller", caller, factory=AlarmSenderContext)
    config.add_route("call_caller_action", caller + "/{action:poll|signals|report|hang-up}",
                     factory=AlarmSenderContext)
    recordings = caller + "/recording"
    config.add_route("call_recording", recordings, factory=AlarmSenderContext)
    config.add_route("call_recording_chunk", recordings + r"/{rid:\d{1,10}}/chunks/{seq:\d{1,6}}",
                     factory=AlarmSenderContext)
    config.add_route("call_recording_end", recordings + r"/{rid:\d{1,10}}/end", factory=AlarmSenderContext)
    config.add_route("staff_calls", "/staff/calls", factory=StaffRoot)
    for action in ("answer", "poll", "signals", "hold", "resume", "end", "snapshot"):
        config.add_route(f"staff_call_{action}", r"/staff/calls/{id:\d+}/" + action, factory=StaffCallContext)
    config.add_subscriber(services.on_alarm_ended, AlarmEnded)  # an alarm's end ends its call
    config.add_route("staff_recording", r"/staff/recordings/{id:\d+}", factory=StaffRecordingContext)
    for action in ("view", "media", "verify"):
        config.add_route(f"staff_recording_{action}", r"/staff/recordings/{id:\d+}/" + action,
                         factory=StaffRecordingContext)
    # A dispatcher's invitation to share (instant on scene): the console's form and the person's link.
    config.add_route("staff_call_invitations", "/staff/invitations", factory=StaffRoot)
    config.add_route("staff_call_invitation_revoke", r"/staff/invitations/{id:\d+}/revoke",
                     factory=StaffInvitationContext)
    config.add_route("call_invitation", "/invite/{token:" + TOKEN_PATTERN + "}", factory=InvitationLinkContext)
    config.add_request_method(invitation_panel, "call_invitation_panel")
    config.add_request_method(invitation_of_alarm, "call_invitation_of")
    config.scan(".views")
