"""Alarm contexts: the sender's secret link, and the dispatcher's alarm and its photos."""
from pyramid.authorization import Allow, Everyone
from pyramid.httpexceptions import HTTPNotFound

from portal.alarms.models import Alarm
from portal.alarms.workflow import SENDER
from portal.core.permissions import Role, scoped_acl
from portal.core.resources import load_row
from portal.media.models import Media
from portal.privacy.links import by_token


class AlarmSenderContext:
    """The sender's own alarm, opened with its secret link: holding the link grants the sender's steps
    (cancel); no officer permission is involved."""

    __acl__ = [(Allow, Everyone, SENDER)]

    def __init__(self, request):
        self.alarm = by_token(request, Alarm)


class StaffAlarmContext:
    """An alarm: dispatchers of the command center it was routed to, or of a center above it."""

    def __init__(self, request, alarm=None):
        # `alarm`: one the console's ?selected= named, already loaded (views/detail.py)
        self.alarm = alarm if alarm is not None else load_row(request, Alarm)
        self.__acl__ = scoped_acl(self.alarm.unit.ancestor_codes, roles=[Role.DISPATCHER])


class StaffAlarmPhotoContext:
    """A photo sent with an alarm (in its thread, or from the trip it was raised for): the
    dispatchers of that alarm see its re-encoded copy; the original stays evidence."""

    def __init__(self, request):
        from portal.alarms.dispatch import alarm_of_photo

        self.media = load_row(request, Media)
        self.alarm = alarm_of_photo(request.dbsession, self.media.id)
        if self.alarm is None:
            raise HTTPNotFound()
        self.__acl__ = scoped_acl(self.alarm.unit.ancestor_codes, roles=[Role.DISPATCHER])
