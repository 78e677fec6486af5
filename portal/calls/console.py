"""What the dispatcher console shows of calls: every open call of the centers in the officer's scope,
ringing ones first (they ring until someone answers), with who took the others."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.alarms.dispatch import scope_units
from portal.alarms.models import Alarm
from portal.calls.models import Call
from portal.calls.workflow import CALL_WORKFLOW, OPEN
from portal.core.localtime import local_time


def open_calls(dbsession, officer) -> list[Call]:
    rows = dbsession.execute(
        select(Call).join(Alarm, Alarm.id == Call.alarm_id)
        .where(Call.state.in_(OPEN), Alarm.unit_id.in_(scope_units(officer)))
        .options(selectinload(Call.alarm).selectinload(Alarm.unit), selectinload(Call.officer))
        .order_by(Call.created_at, Call.id)
    ).scalars().all()
    return sorted(rows, key=lambda call: call.state != "ringing")  # stable: oldest first within each


def latest_of_alarm(dbsession, officer, alarm_id: int) -> Call | None:
    """The newest call of one alarm in the officer's scope (the alarm page's call panel)."""
    return dbsession.execute(
        select(Call).join(Alarm, Alarm.id == Call.alarm_id)
        .where(Call.alarm_id == alarm_id, Alarm.unit_id.in_(scope_units(officer)))
        .options(selectinload(Call.officer)).order_by(Call.id.desc()).limit(1)
    ).scalar_one_or_none()


def call_json(request, call: Call, *, viewer=None) -> dict:
    """A call as either page reads it (no personal data: the alarm's own page has that)."""
    translate = request.localizer.translate
    return {
        "id": call.id, "alarm_id": call.alarm_id, "kind": call.kind, "state": call.state,
        "state_label": translate(CALL_WORKFLOW.state_labels[call.state]), "version": call.version,
        "taken_by": call.officer.display_name if call.officer is not None and viewer is not None else "",
        "mine": viewer is not None and call.officer_id == viewer.id,
        "since": local_time(call.created_at, "%H:%M:%S"),
        "alarm_url": request.route_path("staff_alarm", id=call.alarm_id) if viewer is not None else "",
        "unit": call.alarm.unit.name(request.locale_name) if viewer is not None else "",
        "ended": call.state in CALL_WORKFLOW.final, "end_reason": call.end_reason or "",
    }
