"""Officers as a context: only admins of the officer's unit or a unit above it may change them."""
from portal.accounts.models import Officer
from portal.core.permissions import Role, scoped_acl
from portal.core.resources import load_row


class OfficerContext:
    def __init__(self, request):
        self.officer = load_row(request, Officer)
        self.__acl__ = scoped_acl(self.officer.unit.ancestor_codes, roles=[Role.ADMIN])
