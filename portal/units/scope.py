"""Unit scope: an officer sees their own unit and every unit below it."""
from sqlalchemy import select

from portal.units.models import Unit


def units_in_scope(dbsession, officer) -> list[Unit]:
    return list(
        dbsession.execute(
            select(Unit).where(Unit.path.startswith(officer.unit.path)).order_by(Unit.path)
        ).scalars()
    )


def in_scope_clause(officer):
    """A WHERE clause on Unit for rows the officer may see (join the row's unit first)."""
    return Unit.path.startswith(officer.unit.path)
