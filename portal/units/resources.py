"""Unit contexts: one unit for its administrators, and the root units of the tree."""
from sqlalchemy import select

from portal.core.permissions import Role, scoped_acl
from portal.core.resources import load_row
from portal.units.models import Unit


def root_unit_codes(dbsession) -> list[str]:
    """The codes of the units at the top of the tree (no parent): the province."""
    return list(dbsession.execute(select(Unit.code).where(Unit.parent_id.is_(None)).order_by(Unit.code)).scalars())


class UnitContext:
    """One unit: only admins of that unit or a unit above it may change it."""

    def __init__(self, request):
        self.unit = load_row(request, Unit)
        self.__acl__ = scoped_acl(self.unit.ancestor_codes, roles=[Role.ADMIN])
