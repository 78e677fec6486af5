"""The dispatcher's side of calls: the list that rings in the console, and on one call (scoped to the
dispatchers of its alarm's command center and the centers above): answer, poll, signal, hold,
resume, end, and a snapshot of the video into the alarm's photos. Answers are JSON for the pages'
scripts; every POST carries the session's CSRF token (X-CSRF-Token)."""
from pyramid.view import view_config

from portal.calls import console, ice, services, signaling
from portal.calls.polling import poll
from portal.calls.requests import cursor, json_body
from portal.calls.waiting import ring_after_commit
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.json import json_response
from portal.core.permissions import Permission
from portal.core.refused import Refused
from portal.media.uploads import chosen_files


def _answer(request, call, status=200, **extra):
    return json_response({"call": console.call_json(request, call, viewer=request.identity), **extra}, status=status)


@view_config(route_name="staff_calls", request_method="GET", permission=Permission.DISPATCH)
def calls_in_scope(request):
    """Open calls of the centers in the dispatcher's scope: the console rings while one is ringing.
    With ?alarm=ID: that alarm's newest call, open or not (the alarm page's call panel)."""
    alarm = request.GET.get("alarm")
    if alarm is not None:
        alarm_id = record_id(alarm)
        if alarm_id is None:
            raise Refused(_("alarm is an alarm number."), 400)
        call = console.latest_of_alarm(request.dbsession, request.identity, alarm_id)
        calls = [call] if call is not None else []
    else:
        calls = console.open_calls(request.dbsession, request.identity)
    return json_response({"calls": [console.call_json(request, c, viewer=request.identity) for c in calls],
                          "ringing": sum(c.state == "ringing" for c in calls)})


@view_config(route_name="staff_call_answer", request_method="POST",
             permission=Permission.DISPATCH)
def answer(context, request):
    call = context.call
    try:
        services.answer(request, call)
    except Refused as refused:
        if refused.status != 409:
            raise
        request.tm.doom()
        request.dbsession.refresh(call)  # who took it, as stored by the dispatcher who was quicker
        taken = call.officer.display_name if call.officer is not None else ""
        message = _("${name} already took this call.", mapping={"name": taken}) if taken else refused.message
        return json_response({"error": request.localizer.translate(message),
                              "call": console.call_json(request, call, viewer=request.identity)}, status=409)
    ring_after_commit(request)
    return _answer(request, call, ice=ice.configuration(request.registry.settings, f"call{call.id}d"),
                   connect_timeout_s=int(request.registry.settings["portal.call.connect_timeout_seconds"]))


def _taker_only(request, call) -> None:
    """Signals and steps of an answered call belong to the dispatcher who took it."""
    if call.officer_id is not None and call.officer_id != request.identity.id:
        raise Refused(_("${name} took this call.", mapping={"name": call.officer.display_name}), 403)


@view_config(route_name="staff_call_poll", request_method="GET",
             permission=Permission.DISPATCH)
def desk_poll(context, request):
    call, signals = poll(request, context.call, "dispatcher", *cursor(request))
    if call.officer_id != request.identity.id:
        signals = []  # another dispatcher's call: its state, not its signals
    return _answer(request, call, signals=[signaling.signal_json(s) for s in signals])


@view_config(route_name="staff_call_signals", request_method="POST",
             permission=Permission.DISPATCH)
def desk_signal(context, request):
    call = context.call
    _taker_only(request, call)
    if call.state == "ringing":
        raise Refused(_("Answer the call first."), 409)
    body = json_body(request)
    signal = signaling.post(request.dbsession, call, "dispatcher", body.get("kind"), body.get("body"))
    ring_after_commit(request)
    return json_response({"id": signal.id}, status=201)


@view_config(route_name="staff_call_hold", request_method="POST", permission=Permission.DISPATCH)
@view_config(route_name="staff_call_resume", request_method="POST", permission=Permission.DISPATCH)
@view_config(route_name="staff_call_end", request_method="POST", permission=Permission.DISPATCH)
def step(context, request):
    """hold, resume or end: the step is the route's last word (staff_call_<step>)."""
    call = context.call
    _taker_only(request, call)
    services.dispatcher_step(request, call, request.matched_route.name.removeprefix("staff_call_"))
    ring_after_commit(request)
    return _answer(request, call)


@view_config(route_name="staff_call_snapshot", request_method="POST",
             permission=Permission.DISPATCH)
def snapshot(context, request):
    _taker_only(request, context.call)
    message = services.snapshot(request, context.call, chosen_files(request, "photo"))
    return json_response({"photo": request.route_path("staff_alarm_photo", id=message.media_id)}, status=201)
