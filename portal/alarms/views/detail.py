"""One alarm's detail as a dispatcher works it (templates/staff/_alarm_detail.html): on the alarm's own
page, in the console's panel beside the list (/staff/alarms?selected=ID, rendered with the console), and
as that panel alone, the fragment the console's script fetches when a row is chosen
(/staff/alarms/ID/panel). One context everywhere (resources.StaffAlarmContext): dispatchers of the
alarm's command center or of a center above it; anyone else gets 403, an unknown alarm 404. Staff
answers are never cached (core/headers.py: no-store under /staff)."""
import json

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.view import view_config

from portal.alarms import dispatch, feed
from portal.alarms.models import CALL_KINDS, Alarm
from portal.alarms.resources import StaffAlarmContext
from portal.core.i18n import _
from portal.core.ids import MAX_ID
from portal.core.permissions import Permission

POLL_MS = 1500  # the console and the alarm's detail ask for changes this often
STEP_LABELS = {"acknowledge": _("Acknowledge"), "dispatch": _("Dispatch help"), "close": _("Close")}
STEP_HINTS = {"acknowledge": _("Note (optional)"), "dispatch": _("Who was sent (unit, car, officers)"),
              "close": _("Outcome: how it ended")}
# The panel's forms post this as "return": the answer is the console with the alarm still selected.
RETURN_TO_CONSOLE = "console"


def _points_json(points) -> str:
    rows = [[p.lat, p.lon, p.accuracy_m, p.id if not isinstance(p, Alarm) else 0] for p in points]
    return json.dumps(rows, separators=(",", ":"))


def detail_values(request, context, steps=None) -> dict:
    """What the detail template reads, with no form posted: nothing typed, no error, no contact shown."""
    alarm, db = context.alarm, request.dbsession
    locations, trip_track = dispatch.locations(db, alarm), dispatch.trip_track(db, alarm)
    first = [alarm] if alarm.lat is not None else []
    return {
        "alarm": alarm, "steps": dispatch.steps_for(request, alarm, context) if steps is None else steps,
        "messages": dispatch.messages(db, alarm), "locations": locations, "trip_track": trip_track,
        # The points the map draws: [lat, lon, accuracy, position id (0: the first)], oldest first.
        "map_track": _points_json(first + locations), "map_trip": _points_json(trip_track),
        "photos": dispatch.photos(db, alarm),
        "history": dispatch.history(db, alarm), "is_open": alarm.state in dispatch.OPEN_STATES,
        "state_labels": dispatch.STATE_LABELS, "kind_labels": dispatch.KIND_LABELS,
        "sender_labels": dispatch.SENDER_LABELS, "guardian_label": dispatch.guardian_label,
        "step_labels": STEP_LABELS, "step_hints": STEP_HINTS,
        "message_text": lambda m: dispatch.message_text(request, m), "poll_ms": POLL_MS,
        "guardians": dispatch.handed_contacts(db, alarm), "is_call": alarm.kind in CALL_KINDS,
        "contact": None, "guardian_contact": None, "errors": {}, "typed": {}, "in_panel": False,
    }


def console_values(request) -> dict:
    """The console's lists, without a selected alarm."""
    lists = dispatch.console(request.dbsession, request.identity)
    counts = dispatch.counts_for(request.dbsession, [a.id for a in lists["open"] + lists["ended"]])
    return {"open": lists["open"], "ended": lists["ended"], "counts": counts,
            "cursor": feed.start_cursor(request.dbsession), "poll_ms": POLL_MS,
            "state_labels": dispatch.STATE_LABELS, "kind_labels": dispatch.KIND_LABELS, "selected": None}


def selected_context(request, value: str) -> StaffAlarmContext:
    """The alarm the console's ?selected= names, checked as its own page checks it: 404, then 403."""
    alarm = request.dbsession.get(Alarm, int(value)) if value.isdigit() and int(value) <= MAX_ID else None
    if alarm is None:
        raise HTTPNotFound()
    context = StaffAlarmContext(request, alarm)
    if not request.has_permission(Permission.DISPATCH, context):
        raise HTTPForbidden()
    return context


def in_panel(values: dict) -> dict:
    """Detail values as the console's panel shows them: the console's selection."""
    return {**values, "in_panel": True, "selected": values["alarm"]}


@view_config(route_name="staff_alarm_panel", renderer="staff/alarm_panel.html", request_method="GET",
             permission=Permission.DISPATCH)
def alarm_panel(context, request):
    """The panel alone, for the console's script: the same detail, forms and scope as the page."""
    request.response.cache_control = "no-store"
    return in_panel(detail_values(request, context))
