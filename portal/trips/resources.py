"""Trip contexts: the traveller's and each guardian's secret link."""
from pyramid.authorization import Allow, Everyone

from portal.privacy.links import by_token
from portal.trips.models import Trip, TripGuardian
from portal.trips.workflow import GUARDIAN, TRAVELLER


class TripContext:
    """The traveller's own trip, opened with its secret link: the traveller arrives, and may raise the
    alarm as a guardian can."""

    __acl__ = [(Allow, Everyone, TRAVELLER), (Allow, Everyone, GUARDIAN)]

    def __init__(self, request):
        self.trip = by_token(request, Trip)


class GuardianContext:
    """One guardian's view of a trip, opened with that guardian's secret link."""

    __acl__ = [(Allow, Everyone, GUARDIAN)]

    def __init__(self, request):
        self.guardian = by_token(request, TripGuardian)
        self.trip = self.guardian.trip
