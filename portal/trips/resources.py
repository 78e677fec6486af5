"""Trip contexts: the traveller's and each guardian's secret link."""
from portal.privacy.links import by_token
from portal.trips.models import Trip, TripGuardian


class TripContext:
    """The traveller's own trip, opened with its secret link."""

    __acl__ = []

    def __init__(self, request):
        self.trip = by_token(request, Trip)


class GuardianContext:
    """One guardian's view of a trip, opened with that guardian's secret link."""

    __acl__ = []

    def __init__(self, request):
        self.guardian = by_token(request, TripGuardian)
        self.trip = self.guardian.trip
