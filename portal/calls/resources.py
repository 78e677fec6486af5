"""Call contexts: the caller holds the alarm's secret link (alarms.resources.AlarmSenderContext); a
call on the staff side belongs to the dispatchers of its alarm's command center and the centers above."""
from portal.calls.models import Call, CallRecording
from portal.core.permissions import Role, scoped_acl
from portal.core.resources import load_row


class StaffCallContext:
    def __init__(self, request):
        self.call = load_row(request, Call)
        self.alarm = self.call.alarm
        self.__acl__ = scoped_acl(self.alarm.unit.ancestor_codes, roles=[Role.DISPATCHER])


class StaffRecordingContext:
    """A caller's recording: the dispatchers of its alarm's command center and the centers above (as
    the alarm's own page, alarms.resources.StaffAlarmContext)."""

    def __init__(self, request):
        self.recording = load_row(request, CallRecording)
        self.alarm = self.recording.alarm
        self.__acl__ = scoped_acl(self.alarm.unit.ancestor_codes, roles=[Role.DISPATCHER])
