"""Queue counts for the staff dashboard, within the officer's unit scope."""
from sqlalchemy import func, select

from portal.accounts.models import Officer
from portal.accounts.policy import permissions_of
from portal.alarms import dispatch as alarm_dispatch
from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.missing.models import MissingPersonRequest
from portal.notices import staff_queries as staff_notices
from portal.notices.models import Notice
from portal.sightings.models import Sighting
from portal.tips import queue as tip_queue
from portal.units.models import Unit
from portal.units.scope import in_scope_clause


def _count_notices(dbsession, officer, state):
    return dbsession.execute(
        select(func.count(Notice.id)).join(Unit, Notice.unit_id == Unit.id)
        .where(Notice.state == state, in_scope_clause(officer))
    ).scalar_one()


def _count_in_scope(dbsession, officer, model, unit_column, condition):
    return dbsession.execute(
        select(func.count(model.id)).join(Unit, unit_column == Unit.id).where(condition, in_scope_clause(officer))
    ).scalar_one()


def queue_counts(dbsession, officer) -> list[dict]:
    """Each queue the officer works, with how many items wait in it."""
    granted = permissions_of(officer.roles)
    queues = []
    if "moderate" in granted:
        queues.append({"label": _("Notices waiting for review"), "url": "staff_notices",
                       "count": staff_notices.review_queue_count(dbsession, officer)})
        queues.append({"label": _("Sightings received"), "url": "staff_sightings",
                       "count": _count_in_scope(dbsession, officer, Sighting, Sighting.unit_id,
                                                Sighting.state == "received")})
    if "moderate" in granted:
        queues.append({"label": _("Tips waiting for triage"), "url": "staff_tips", "query": {"state": "received"},
                       "count": tip_queue.waiting_count(dbsession, officer)})
    if "handle" in granted:
        queues.append({"label": _("Tips assigned to you"), "url": "staff_tips", "query": {"mine": "1"},
                       "count": tip_queue.assigned_count(dbsession, officer)})
    if "dispatch" in granted:
        queues.append({"label": _("Open alarms"), "url": "staff_alarms",
                       "count": alarm_dispatch.open_count(dbsession, officer)})
        queues.append({"label": _("Missing-person requests waiting"), "url": "staff_missing",
                       "count": _count_in_scope(dbsession, officer, MissingPersonRequest,
                                                MissingPersonRequest.command_unit_id,
                                                MissingPersonRequest.state.in_(("submitted", "verifying")))})
    if granted & {"moderate", "dispatch", "handle"}:
        queues.append({"label": _("Published notices of your units"),
                       "count": _count_notices(dbsession, officer, "published")})
    if "manage-officers" in granted:
        queues.append({
            "label": _("Locked officer accounts"),
            "count": dbsession.execute(
                select(func.count(Officer.id)).join(Unit, Officer.unit_id == Unit.id)
                .where(Officer.locked_until > utcnow(), in_scope_clause(officer))
            ).scalar_one(),
        })
    return queues
