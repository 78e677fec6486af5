"""The sender's live alarm page (/alarm/{token}) and its small endpoints: updates, messages,
location, photos, cancel.

Holding the secret link is the sender's whole authority, so a forged cross-site request would
have to know the link already. The POSTs still refuse what the browser marks as coming from
another site (views/public/alarm.py: from_this_site), and accept our own pages whose session token
no longer matches (an embedded widget gets no session cookie in another site's frame). Answers are
JSON for the page's script (Accept: application/json) and a 303 back to the page for plain forms."""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from portal.alarms import idempotency
from portal.alarms import raising as alarms
from portal.alarms.models import CALL_KINDS
from portal.alarms.thread import guardian_label
from portal.core.forms import posted_text
from portal.core.headers import allow_camera
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.json import from_this_site, json_error, json_response, wants_json
from portal.core.localtime import local_time
from portal.core.refused import Refused
from portal.media.uploads import chosen_files

TEMPLATE = "alarm/sender.html"
POLL_MS = 2000  # new dispatcher messages show within about this much (the target is 3 s)
LOCATION_MS = 10000  # how often the page sends the moving position

STATES = {
    "new": _("Sent. Waiting for a dispatcher to take it."),
    "acknowledged": _("Received by the dispatcher."),
    "dispatched": _("Help has been sent."),
    "closed": _("Closed by the police."),
    "cancelled": _("You cancelled this alarm."),
}


def state_label(request, alarm) -> str:
    return request.localizer.translate(STATES[alarm.state])


def message_json(request, message) -> dict:
    return {"id": message.id, "sender": message.sender, "text": alarms.message_text(request, message),
            "at": local_time(message.created_at, "%H:%M"), "photo": message.media_id is not None,
            "label": guardian_label(request, message) if message.sender == "guardian" else ""}


def updates_json(request, alarm, after_id: int = 0) -> dict:
    messages = alarms.messages(request.dbsession, alarm, after_id)
    return {"state": alarm.state, "state_label": state_label(request, alarm), "open": alarms.is_open(alarm),
            "messages": [message_json(request, m) for m in messages]}


def _sms(request, alarm):
    fallback = request.registry["fallbacks"]
    latest = alarms.latest_location(request.dbsession, alarm) or alarm
    body = alarms.sms_body(request.localizer.translate(_("I need the police.")), lat=latest.lat, lon=latest.lon,
                           accuracy_m=latest.accuracy_m, located_at=latest.located_at, place=alarm.place)
    return fallback.sms_href(body, alarm.unit), fallback.sms_number(alarm.unit), body


def _page(request, *, error=None, values=None, status=200):
    alarm = request.context.alarm
    if alarm.kind in CALL_KINDS and alarms.is_open(alarm):
        allow_camera(request)  # the call's camera and microphone (portal/calls), on this page only
    sms_href, sms_number, sms_text = _sms(request, alarm)
    request.response.status_int = status
    request.response.cache_control = "no-store"  # a secret page: not in shared caches
    return {"alarm": alarm, "token": request.matchdict["token"], "state_label": state_label(request, alarm),
            "is_open": alarms.is_open(alarm), "messages": alarm.messages, "message_text": alarms.message_text,
            "guardian_label": guardian_label,
            "error": error, "values": values or {},
            "sms_href": sms_href, "sms_number": sms_number, "sms_text": sms_text, "embed": False,
            "leave_url": request.registry.settings["portal.alarm.leave_url"], "max_text": alarms.MAX_MESSAGE,
            "poll_ms": POLL_MS, "location_ms": LOCATION_MS, "nonce": idempotency.new_nonce(),
            "is_call": alarm.kind in CALL_KINDS}


@view_config(route_name="alarm_sender", renderer=TEMPLATE, request_method=("GET", "HEAD"))
def alarm_sender(context, request):
    return _page(request)


def _back(request):
    return HTTPSeeOther(request.route_path("alarm_sender", token=request.matchdict["token"]))


def _refuse(request, status, message, **extra):
    """A clear refusal: JSON for the script, the page with the message (and what was typed) for a form."""
    request.tm.doom()  # nothing half-saved
    if wants_json(request):
        return json_error(request, status, message, **extra)
    values = {"text": posted_text(request, "text")} if request.method == "POST" else {}
    return _page(request, error=request.localizer.translate(message), values=values, status=status)


_ENDED = alarms.ENDED
_FOREIGN = _("Not sent: this request did not come from the alarm page. Reload the page and try again.")


@view_config(route_name="alarm_sender_action", match_param="action=updates", request_method="GET")
def updates(context, request):
    value = request.GET.get("after", "0") or "0"
    after = 0 if value == "0" else record_id(value)  # ASCII digits within the ids' range only
    if after is None:
        return json_error(request, 400, _("'after' must be a message number."))
    return json_response(updates_json(request, context.alarm, after))


@view_config(route_name="alarm_sender_action", match_param="action=messages", request_method="POST",
             require_csrf=False, renderer=TEMPLATE)
def post_message(context, request):
    if not from_this_site(request):
        return _refuse(request, 403, _FOREIGN)
    try:
        message = alarms.post_message(request, context.alarm, posted_text(request, "text"),
                                      posted_text(request, "nonce") or None)
    except alarms.Flood as exc:
        return _refuse(request, 429, _("Too many messages at once. Wait a moment; your text is kept."),
                       retry_after=exc.retry_after)
    except Refused as refused:  # ended (409), empty or too long (400)
        return _refuse(request, refused.status, refused.message)
    if wants_json(request):
        return json_response({"message": message_json(request, message)}, status=201)
    return _back(request)


@view_config(route_name="alarm_sender_action", match_param="action=location", request_method="POST",
             require_csrf=False)
def post_location(context, request):
    if not from_this_site(request):
        return json_error(request, 403, _FOREIGN)
    try:
        row, merged = alarms.add_location(request, context.alarm, *(posted_text(request, name) for name in
                                                                  ("lat", "lon", "accuracy_m", "located_at")))
    except Refused as refused:  # ended (409), or the position: nothing of it is kept
        request.tm.doom()
        return json_error(request, refused.status, refused.message)
    except alarms.Flood as exc:
        # The point is kept (it replaced the newest one); the page is asked to slow down.
        return json_response({"error": request.localizer.translate(_("Too many position updates; slowing down.")),
                              "kept": True, "retry_after": exc.retry_after}, status=429,
                             **{"Retry-After": str(exc.retry_after)})
    return json_response({"kept": True, "merged": merged}, status=200 if merged else 201)


@view_config(route_name="alarm_sender_action", match_param="action=photos", request_method="POST",
             require_csrf=False, renderer=TEMPLATE)
def post_photos(context, request):
    if not from_this_site(request):
        return _refuse(request, 403, _FOREIGN)
    try:
        messages = alarms.add_photos(request, context.alarm, chosen_files(request, "photo"))
    except Refused as refused:  # ended (409), or the photo (nothing of it is kept)
        return _refuse(request, refused.status if refused.status == 409 else 400, refused.message)
    if wants_json(request):
        return json_response({"messages": [message_json(request, m) for m in messages]}, status=201)
    return _back(request)


@view_config(route_name="alarm_sender_action", match_param="action=cancel", renderer="alarm/cancel.html",
             request_method=("GET", "HEAD", "POST"), require_csrf=False)
def cancel(context, request):
    """A confirmation step first (GET, or a POST without confirm=yes); then the transition, recorded."""
    page = _page(request)
    if request.method != "POST" or posted_text(request, "confirm") != "yes":
        return page
    if not from_this_site(request):
        return _refuse(request, 403, _FOREIGN)
    try:
        alarms.cancel(request, context.alarm)
    except Refused:
        return _refuse(request, 409, _ENDED)
    if wants_json(request):
        return json_response(updates_json(request, context.alarm))
    return _back(request)
