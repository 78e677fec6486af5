"""Contexts of the evidence package pages: the subject (a tip, a sighting, an alarm, a family's request)
for the officers of its unit scope whose role works it, and the administrators in that scope. Who among
them may export is decided in `may_export`: a tip's assigned handler (not every handler in scope), any
dispatcher of an alarm's or a request's command center, a sighting's moderators, an administrator."""
from sqlalchemy.orm import joinedload

from portal.alarms.models import Alarm
from portal.core.permissions import Permission, Role, scoped_acl
from portal.core.resources import load_row
from portal.evidence import sources
from portal.missing.models import MissingPersonRequest
from portal.sightings.models import Sighting
from portal.tips.models import Tip
from portal.tips.workflow import is_assigned_handler


class EvidenceContext:
    kind = ""
    role = None
    working_permission = None  # the permission of `role` that lets an officer export

    def __init__(self, request):
        self.request = request
        self.subject = self.load(request)
        self.__acl__ = scoped_acl(self.unit.ancestor_codes, roles=[self.role, Role.ADMIN])

    def source(self) -> sources.Source:
        raise NotImplementedError

    def works_it(self, request) -> bool:
        return bool(request.has_permission(str(self.working_permission), self))


class TipEvidence(EvidenceContext):
    kind, role, working_permission = "tip", Role.HANDLER, Permission.HANDLE

    def load(self, request):
        tip = load_row(request, Tip, options=[joinedload(Tip.unit)])
        self.unit = tip.unit
        return tip

    def works_it(self, request) -> bool:
        return is_assigned_handler(request, self.subject, self)

    def source(self):
        return sources.tip_source(self.request.dbsession, self.subject)


class SightingEvidence(EvidenceContext):
    kind, role, working_permission = "sighting", Role.MODERATOR, Permission.MODERATE

    def load(self, request):
        sighting = load_row(request, Sighting)
        self.unit = sighting.unit
        return sighting

    def source(self):
        return sources.sighting_source(self.request.dbsession, self.subject)


class AlarmEvidence(EvidenceContext):
    kind, role, working_permission = "alarm", Role.DISPATCHER, Permission.DISPATCH

    def load(self, request):
        alarm = load_row(request, Alarm)
        self.unit = alarm.unit
        return alarm

    def source(self):
        return sources.alarm_source(self.request.dbsession, self.subject)


class MissingEvidence(EvidenceContext):
    kind, role, working_permission = "missing_request", Role.DISPATCHER, Permission.DISPATCH

    def load(self, request):
        missing = load_row(request, MissingPersonRequest)
        self.unit = missing.command_unit
        return missing

    def source(self):
        return sources.missing_source(self.request.dbsession, self.subject)


def may_export(request, context: EvidenceContext) -> bool:
    """An administrator in the subject's unit scope, or the officer who works the subject."""
    return bool(request.has_permission(str(Permission.MANAGE_UNITS), context)) or context.works_it(request)
