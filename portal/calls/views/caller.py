"""The caller's side of a call, under the alarm's secret link (/alarm/{token}/call...): start it,
poll for the dispatcher's signals, send the caller's own, report what the media did, hang up.

Holding the link is the caller's whole authority; like the alarm's other endpoints these refuse what
the browser marks as coming from another site (core/json.py from_this_site). Answers are JSON."""
from pyramid.view import view_config

from portal.calls import ice, services, signaling
from portal.calls.console import call_json
from portal.calls.polling import poll
from portal.calls.requests import call_of_alarm, cursor, json_body
from portal.calls.waiting import ring_after_commit
from portal.core.i18n import _
from portal.core.json import from_this_site, json_response
from portal.core.refused import Refused

FOREIGN = _("Not sent: this request did not come from the alarm page. Reload the page and try again.")


def _same_site(request) -> None:
    if not from_this_site(request):
        raise Refused(FOREIGN, 403)


def _answer(request, call, status=200, **extra):
    return json_response({"call": call_json(request, call), "alarm_open": call.alarm.state not in
                          ("closed", "cancelled"), **extra}, status=status)


@view_config(route_name="call_caller", request_method="POST", require_csrf=False)
def start(context, request):
    """Ring the command center; the answer carries the ICE servers and the page's timings."""
    _same_site(request)
    call = services.start(request, context.alarm)
    settings = request.registry.settings
    return _answer(request, call, status=201, ice=ice.configuration(settings, f"call{call.id}c"),
                   ring_timeout_s=int(settings["portal.call.ring_timeout_seconds"]),
                   connect_timeout_s=int(settings["portal.call.connect_timeout_seconds"]))


@view_config(route_name="call_caller_action", match_param="action=poll", request_method="GET")
def caller_poll(context, request):
    call = call_of_alarm(request, context.alarm, request.GET.get("call"))
    call, signals = poll(request, call, "caller", *cursor(request))
    return _answer(request, call, signals=[signaling.signal_json(s) for s in signals])


@view_config(route_name="call_caller_action", match_param="action=signals", request_method="POST",
             require_csrf=False)
def caller_signal(context, request):
    _same_site(request)
    body = json_body(request)
    call = call_of_alarm(request, context.alarm, body.get("call"))
    signal = signaling.post(request.dbsession, call, "caller", body.get("kind"), body.get("body"))
    ring_after_commit(request)
    return json_response({"id": signal.id}, status=201)


@view_config(route_name="call_caller_action", match_param="action=report", request_method="POST",
             require_csrf=False)
def caller_report(context, request):
    _same_site(request)
    body = json_body(request)
    if body.get("call") is None and body.get("event") == "no_camera":  # refused before anything rang
        services.report(request, context.alarm, None, "no_camera")
        return json_response({"reported": True})
    call = call_of_alarm(request, context.alarm, body.get("call"))
    services.report(request, context.alarm, call, body.get("event"))
    return _answer(request, call)


@view_config(route_name="call_caller_action", match_param="action=hang-up", request_method="POST",
             require_csrf=False)
def caller_hang_up(context, request):
    _same_site(request)
    call = call_of_alarm(request, context.alarm, json_body(request).get("call"))
    if call.state != "ended":  # hanging up twice (a retry) is not an error
        services.hang_up(request, call)
    ring_after_commit(request)
    return _answer(request, call)
