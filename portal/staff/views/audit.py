from datetime import UTC, datetime, time

from pyramid.httpexceptions import HTTPBadRequest
from pyramid.view import view_config
from sqlalchemy import or_, select

from portal.accounts.models import Officer
from portal.audit.models import AuditEvent
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.permissions import Permission
from portal.units.models import Unit

PAGE = 50
FILTERS = ("action", "actor", "object_type", "object_id", "since", "until")


def _day(value, end=False):
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise HTTPBadRequest(_("Dates must look like 2026-11-24.")) from None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


@view_config(route_name="staff_audit", renderer="staff/audit.html", permission=Permission.VIEW_AUDIT)
def audit_list(request):
    """Newest first, keyset by id. An admin below the top unit sees events of officers in scope
    (public and system events belong to the top unit's admins)."""
    officer = request.identity
    params = {k: request.GET.get(k, "").strip()[:120] for k in FILTERS}
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE + 1)
    if officer.unit.parent_id is not None:
        query = query.join(Officer, AuditEvent.officer_id == Officer.id).join(Unit, Officer.unit_id == Unit.id)
        query = query.where(Unit.path.startswith(officer.unit.path))
    if params["action"]:
        query = query.where(AuditEvent.action.startswith(params["action"]))
    if params["actor"]:
        query = query.where(or_(AuditEvent.actor == params["actor"],
                                AuditEvent.actor == f"officer:{params['actor']}"))
    if params["object_type"]:
        query = query.where(AuditEvent.object_type == params["object_type"])
    if params["object_id"]:
        query = query.where(AuditEvent.object_id == params["object_id"])
    if params["since"]:
        query = query.where(AuditEvent.at >= _day(params["since"]))
    if params["until"]:
        query = query.where(AuditEvent.at <= _day(params["until"], end=True))
    before = request.GET.get("before", "")
    if before:
        if record_id(before) is None:
            raise HTTPBadRequest(_("This page link is not valid. Start again from the first page."))
        query = query.where(AuditEvent.id < record_id(before))
    rows = request.dbsession.execute(query).scalars().all()
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    next_query = {**{k: v for k, v in params.items() if v}, "before": rows[-1].id} if more else None
    return {"events": rows, "params": params, "next_query": next_query}
