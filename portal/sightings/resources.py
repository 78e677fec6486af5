"""A sighting as a context: moderators of the notice's unit (or above) review and forward it."""
from portal.core.permissions import Role, scoped_acl
from portal.core.resources import load_row
from portal.sightings.models import Sighting


class SightingContext:
    """A sighting: moderators of the notice's unit (or above) review and forward it."""

    def __init__(self, request):
        self.sighting = load_row(request, Sighting)
        self.__acl__ = scoped_acl(self.sighting.unit.ancestor_codes, roles=[Role.MODERATOR])
