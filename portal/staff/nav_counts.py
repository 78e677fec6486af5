"""The counts in the staff navigation: what waits in each queue the officer works, in the officer's unit
scope, computed with the queues' own counting queries (each one indexed count statement)."""
from sqlalchemy import func, select

from portal.accounts.policy import permissions_of
from portal.alarms import dispatch as alarm_dispatch
from portal.missing.models import MissingPersonRequest
from portal.sightings.models import Sighting
from portal.tips import queue as tip_queue
from portal.units.models import Unit
from portal.units.scope import in_scope_clause


def _waiting(dbsession, officer, model, unit_column, condition) -> int:
    return dbsession.execute(
        select(func.count(model.id)).join(Unit, unit_column == Unit.id).where(condition, in_scope_clause(officer))
    ).scalar_one()


def nav_counts(dbsession, officer) -> dict[str, int]:
    """{queue: count} for the queues the officer's roles work: tips waiting for triage (a moderator's)
    or assigned and open (a handler's), sightings received, families' requests waiting, open alarms."""
    granted = permissions_of(officer.roles)
    counts = {}
    if "moderate" in granted:
        counts["tips"] = tip_queue.waiting_count(dbsession, officer)
        counts["sightings"] = _waiting(dbsession, officer, Sighting, Sighting.unit_id, Sighting.state == "received")
    elif "handle" in granted:
        counts["tips"] = tip_queue.assigned_count(dbsession, officer)
    if "dispatch" in granted:
        counts["alarms"] = alarm_dispatch.open_count(dbsession, officer)
        counts["missing"] = _waiting(dbsession, officer, MissingPersonRequest, MissingPersonRequest.command_unit_id,
                                     MissingPersonRequest.state.in_(("submitted", "verifying")))
    return counts


def staff_queue_counts(request) -> dict[str, int]:
    """request.staff_queue_counts: once per request, only when a staff page asks for it."""
    officer = request.identity
    return nav_counts(request.dbsession, officer) if officer is not None else {}
