"""Alarms from people in danger: the alarm page and its widget, the sender's secret link, and the
dispatcher console of the command center each alarm is routed to."""
from portal.alarms.resources import AlarmSenderContext, StaffAlarmContext, StaffAlarmPhotoContext
from portal.core.resources import StaffRoot
from portal.privacy.links import TOKEN_PATTERN


def includeme(config):
    from portal.alarms import workflow  # noqa: F401  (importing a declaration checks it)

    token = "{token:" + TOKEN_PATTERN + "}"
    config.add_route("alarm", "/alarm")
    config.add_route("embed_alarm", "/embed/alarm")
    config.add_route("alarm_route", "/alarm/route")
    config.add_route("alarm_sender", f"/alarm/{token}", factory=AlarmSenderContext)
    config.add_route("alarm_sender_action", f"/alarm/{token}/{{action:updates|messages|location|photos|cancel}}",
                     factory=AlarmSenderContext)
    config.add_route("service_worker", "/sw.js")
    config.add_route("staff_alarms", "/staff/alarms", factory=StaffRoot)
    config.add_route("staff_alarms_feed", "/staff/alarms/feed", factory=StaffRoot)
    config.add_route("staff_alarm", r"/staff/alarms/{id:\d+}", factory=StaffAlarmContext)
    config.add_route("staff_alarm_panel", r"/staff/alarms/{id:\d+}/panel", factory=StaffAlarmContext)
    config.add_route("staff_alarm_updates", r"/staff/alarms/{id:\d+}/updates", factory=StaffAlarmContext)
    config.add_route("staff_alarm_photo", r"/staff/alarms/photos/{id:\d+}", factory=StaffAlarmPhotoContext)
    config.scan(".views")
