"""The dispatcher console: the live list of alarms and its JSON feed, one alarm with its map, thread
and steps, the sender's contact on request, and the photos sent with it (staff copies only)."""
import json

import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from portal.alarms import dispatch, feed
from portal.alarms.forms import message_schema, step_schema
from portal.alarms.models import Alarm
from portal.core.i18n import _
from portal.core.ids import MAX_ID, record_id
from portal.core.permissions import Permission
from portal.core.refused import Refused
from portal.media.responses import copy_response
from portal.privacy.forms import reveal_schema

POLL_MS = 1500  # the console and the alarm page ask for changes this often
STEP_LABELS = {"acknowledge": _("Acknowledge"), "dispatch": _("Dispatch help"), "close": _("Close")}
STEP_HINTS = {"acknowledge": _("Note (optional)"), "dispatch": _("Who was sent (unit, car, officers)"),
              "close": _("Outcome: how it ended")}
STEP_DONE = {
    "acknowledge": _("Acknowledged: the sender now sees that the dispatcher received the alarm."),
    "dispatch": _("Dispatched: the sender now sees that help is on the way."),
    "close": _("Closed: the sender sees that the alarm was closed."),
}


def _json_error(request, status: int, message):
    request.override_renderer = "json"  # also from a page view answering its script
    request.response.status_int = status
    request.response.cache_control = "no-store"
    return {"error": request.localizer.translate(message)}


@view_config(route_name="staff_alarms", renderer="staff/alarms.html", permission=Permission.DISPATCH)
def console(request):
    lists = dispatch.console(request.dbsession, request.identity)
    counts = dispatch.counts_for(request.dbsession, [a.id for a in lists["open"] + lists["ended"]])
    return {"open": lists["open"], "ended": lists["ended"], "counts": counts,
            "cursor": feed.start_cursor(request.dbsession), "poll_ms": POLL_MS,
            "state_labels": dispatch.STATE_LABELS, "kind_labels": dispatch.KIND_LABELS}


@view_config(route_name="staff_alarms_feed", renderer="json", permission=Permission.DISPATCH)
def console_feed(request):
    """What changed since ?cursor= (from the console page or the previous answer); without a
    cursor, every row of the console now."""
    cursor = request.GET.get("cursor", "")
    try:
        answer = feed.feed(request, request.identity, cursor)
    except feed.BadFeedCursor:
        return _json_error(request, 400, _("This cursor is not valid. Reload the console."))
    request.response.cache_control = "no-store"
    return answer


def _page(context, request, **extra):
    alarm = context.alarm
    db = request.dbsession
    locations, trip_track = dispatch.locations(db, alarm), dispatch.trip_track(db, alarm)
    first = [alarm] if alarm.lat is not None else []
    page = {
        "alarm": alarm, "steps": dispatch.steps_for(request, alarm, context),
        "messages": dispatch.messages(db, alarm), "locations": locations, "trip_track": trip_track,
        # The points the page's map draws: [lat, lon, accuracy, position id (0: the first)], oldest first.
        "map_track": _points_json(first + locations), "map_trip": _points_json(trip_track),
        "photos": dispatch.photos(db, alarm),
        "history": dispatch.history(db, alarm), "is_open": alarm.state in dispatch.OPEN_STATES,
        "state_labels": dispatch.STATE_LABELS, "kind_labels": dispatch.KIND_LABELS,
        "sender_labels": dispatch.SENDER_LABELS, "guardian_label": dispatch.guardian_label,
        "step_labels": STEP_LABELS, "step_hints": STEP_HINTS,
        "message_text": lambda m: dispatch.message_text(request, m), "poll_ms": POLL_MS,
        "contact": None, "errors": {}, "typed": {}, "guardian_contact": None,
        "guardians": dispatch.handed_contacts(db, alarm),
    }
    page.update(extra)
    return page


def _points_json(points) -> str:
    rows = [[p.lat, p.lon, p.accuracy_m, p.id if not isinstance(p, Alarm) else 0] for p in points]
    return json.dumps(rows, separators=(",", ":"))


def _invalid(context, request, typed, errors, status=400):
    request.response.status_int = status
    return _page(context, request, typed=typed, errors=errors)


@view_config(route_name="staff_alarm", renderer="staff/alarm.html", permission=Permission.DISPATCH)
def alarm_page(context, request):
    if request.method != "POST":
        return _page(context, request)
    action = request.POST.get("action", "")
    if action == "reveal":
        return _reveal(context, request)
    if action == "reveal_guardian":
        return _reveal_guardian(context, request)
    if action == "message":
        return _message(context, request)
    return _step(context, request)


def _translated(request, invalid):
    return invalid.asdict(translate=request.localizer.translate)


def _ended(request, alarm):
    return request.localizer.translate(_("This is not possible any more: the alarm is now ${state}.",
                                         mapping={"state": dispatch.STATE_LABELS[alarm.state]}))


def _step(context, request):
    alarm = context.alarm
    steps = [t.name for t in dispatch.steps_for(request, alarm, context)]
    typed = {"step": request.POST.get("step", ""), "reason": request.POST.get("reason", "")}
    try:
        data = step_schema(steps).deserialize(typed)
        dispatch.transition(request, alarm, data["step"], data["reason"])
    except colander.Invalid as invalid:
        errors = _translated(request, invalid)
        if "step" in errors:  # not open from this state: someone else was quicker, or the sender cancelled
            return _invalid(context, request, typed, {"step": _ended(request, alarm)}, status=409)
        return _invalid(context, request, typed, errors)
    except Refused as refused:
        if refused.status == 409:  # the alarm moved meanwhile (another dispatcher, or the sender cancelled)
            return _invalid(context, request, typed, {"step": _ended(request, alarm)}, status=409)
        message = request.localizer.translate(refused.message)
        return _invalid(context, request, typed, {refused.field or "step": message}, status=refused.status)
    request.session.flash(request.localizer.translate(STEP_DONE[data["step"]]))
    return HTTPSeeOther(request.route_path("staff_alarm", id=alarm.id))


def _message(context, request):
    alarm = context.alarm
    typed = {"text": request.POST.get("text", "")}
    as_json = request.POST.get("format") == "json"  # the page's script sends without leaving the page
    try:
        data = message_schema().deserialize(typed)
        dispatch.send_message(request, alarm, data["text"])
    except colander.Invalid as invalid:
        error = _translated(request, invalid).get("text", "")
        return _json_error(request, 400, error) if as_json else _invalid(context, request, typed, {"text": error})
    except Refused as refused:
        error = _ended(request, alarm) if refused.status == 409 else request.localizer.translate(refused.message)
        return (_json_error(request, refused.status, error) if as_json
                else _invalid(context, request, typed, {"text": error}, status=refused.status))
    if as_json:
        request.override_renderer = "json"
        request.response.cache_control = "no-store"
        return {"sent": True}
    return HTTPSeeOther(request.route_path("staff_alarm", id=alarm.id, _anchor="thread"))


def _reveal(context, request):
    typed = {"reveal_reason": request.POST.get("reason", "")}
    try:
        data = reveal_schema().deserialize({"reason": typed["reveal_reason"]})
        contact = dispatch.reveal_contact(request, context.alarm, data["reason"])
    except colander.Invalid as invalid:
        return _invalid(context, request, typed, {"reveal_reason": _translated(request, invalid).get("reason", "")})
    except Refused as refused:
        return _invalid(context, request, typed, {"reveal_reason": request.localizer.translate(refused.message)},
                        status=refused.status)
    # Shown in this response only: no redirect, nothing kept in the session or the page's data.
    request.response.cache_control = "no-store"
    return _page(context, request, contact=contact or {})


def _reveal_guardian(context, request):
    """A guardian of the trip that raised the alarm: their contact, for the dispatcher to call."""
    person = record_id(request.POST.get("person", ""))
    typed = {"guardian_reason": request.POST.get("reason", ""), "person": person}
    try:
        data = reveal_schema().deserialize({"reason": typed["guardian_reason"]})
        contact = dispatch.reveal_handed_contact(request, context.alarm, person or 0, data["reason"])
    except colander.Invalid as invalid:
        return _invalid(context, request, typed, {"guardian_reason": _translated(request, invalid).get("reason", "")})
    except Refused as refused:
        request.tm.doom()
        return _invalid(context, request, typed, {"guardian_reason": request.localizer.translate(refused.message)},
                        status=refused.status)
    request.response.cache_control = "no-store"  # shown in this response only
    return _page(context, request, guardian_contact={"id": person, **contact})


def _after(request, name):
    value = request.GET.get(name, "0") or "0"
    if not value.isdigit() or int(value) > MAX_ID:
        raise ValueError(name)
    return int(value)


@view_config(route_name="staff_alarm_updates", renderer="json", permission=Permission.DISPATCH)
def alarm_updates(context, request):
    """The alarm page's poll: state, thread lines after ?after=, positions after ?after_location=."""
    try:
        after_message, after_location = _after(request, "after"), _after(request, "after_location")
    except ValueError:
        return _json_error(request, 400, _("after and after_location are message and position numbers."))
    request.response.cache_control = "no-store"
    return dispatch.updates(request, context.alarm, after_message=after_message, after_location=after_location)


@view_config(route_name="staff_alarm_photo", permission=Permission.DISPATCH)
def alarm_photo(context, request):
    """The re-encoded copy (or ?size=thumb) of a photo sent with an alarm; never the original."""
    return copy_response(request, context.media, thumb=request.GET.get("size") == "thumb")
