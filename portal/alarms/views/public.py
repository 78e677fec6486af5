"""The alarm page (/alarm), its embeddable widget (/embed/alarm), the routing look-up and the service worker.

CSRF and the alarm form. An alarm must get through, but two honest situations break the usual
session-bound token: the page was served from the service worker's cache (its token belongs to an
older session, or to none), and the widget runs in another site's iframe, where the browser does not
send our SameSite=Lax session cookie. So this one form (and the secret-link endpoints, see
alarm_sender.py) accepts a request when either the token matches, or the browser says the request
comes from one of our own pages: Sec-Fetch-Site "same-origin", or else an Origin (or, lacking that,
a Referer) on this site. A forged cross-site post carries the other site's origin and is refused; the
refusal re-shows the form, filled in, with a fresh token, so a second press sends it."""

import logging

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.response import FileResponse
from pyramid.view import exception_view_config, view_config
from sqlalchemy.exc import DBAPIError

from portal.alarms import idempotency
from portal.alarms import raising as alarms
from portal.alarms.models import CALL_KINDS
from portal.core.forms import posted_text
from portal.core.i18n import LANGUAGES, _
from portal.core.json import from_this_site, json_error, json_response, wants_json
from portal.core.refused import Refused
from portal.geo import routing
from portal.geo.position import read_position

log = logging.getLogger(__name__)
TEMPLATE = "alarm/page.html"
EMBED_TEMPLATE = "alarm/embed.html"
SW_PATH = "portal:static/js/sw.js"
MAX_TEXT = 2000
MAX_CONTACT = 120










def _form_values(request) -> dict:
    """What the form sent, as text: a file or anything else under a field's name counts as nothing,
    so a malformed post still raises its alarm with what it does say."""
    return {name: posted_text(request, name).strip()
            for name in ("text", "place", "lat", "lon", "accuracy_m", "located_at", "contact", "nonce", "kind")}


def _page(request, *, embed=False, values=None, error=None):
    fallback = request.registry["fallbacks"]
    values = values or _form_values(request)
    # One nonce per form shown (the page's script makes a fresh one on every load; see idempotency.py).
    values["nonce"] = idempotency.well_formed(values.get("nonce")) or idempotency.new_nonce()
    # The service worker keeps one copy per language and remembers the last one served (static/js/sw.js).
    request.response.headers["Content-Language"] = LANGUAGES[request.locale_name]["html"]
    return {
        "values": values,
        "error": error,
        "embed": embed,
        "sms_href": fallback.sms_href(request.localizer.translate(SMS_MESSAGE)),
        "sms_text": request.localizer.translate(SMS_MESSAGE),
        "leave_url": request.registry.settings["portal.alarm.leave_url"],
        "max_text": MAX_TEXT,
    }


SMS_MESSAGE = _("I need the police.")


def _raise(request, embed: bool):
    values = _form_values(request)
    if not from_this_site(request):
        message = _("Not sent: this page was open too long. Press the send button again.")
        if wants_json(request):
            return json_error(request, 403, message)
        request.response.status_int = 403
        return _page(request, embed=embed, values=values, error=message)
    alarm, token = alarms.raise_alarm(
        request, kind=values["kind"] if values["kind"] in CALL_KINDS else ("text" if values["text"] else "silent"),
        lat=values["lat"] or None,
        lon=values["lon"] or None, accuracy_m=values["accuracy_m"] or None,
        located_at=values["located_at"] or None, place=values["place"][:alarms.MAX_PLACE],
        text=values["text"], contact={"phone": values["contact"][:MAX_CONTACT]} if values["contact"] else None,
        nonce=values["nonce"] or None,
    )
    url = request.route_path("alarm_sender", token=token)
    if wants_json(request):
        return json_response({"url": url, "unit": alarm.unit.name(request.locale_name)}, status=201)
    return HTTPSeeOther(url)


NOT_SENT = _("NOT SENT. The alarm could not be stored: the service has a fault. Call ${police} now, or send "
             "the text message below: it says where you are.")


@exception_view_config(DBAPIError, route_name="alarm", request_method="POST", renderer=TEMPLATE)
def alarm_not_sent(exc, request):
    """The database is down: say plainly that nothing was sent, and hand the person the call and an
    SMS that carries what they typed and where they are (no JavaScript needed for either)."""
    log.error("alarm not stored: %s", type(exc).__name__)  # never what was typed
    request.response.headers["Retry-After"] = "30"
    fallback = request.registry["fallbacks"]
    message = _(NOT_SENT, mapping={"police": fallback.police})
    if wants_json(request):
        return json_error(request, 503, message)
    values = _form_values(request)
    try:
        position = read_position(values["lat"] or None, values["lon"] or None, values["accuracy_m"] or None)
    except Refused:
        position = None
    words = " ".join(part for part in (request.localizer.translate(SMS_MESSAGE), values["text"][:300]) if part)
    body = alarms.sms_body(words, place=values["place"][:alarms.MAX_PLACE],
                           **({"lat": position.lat, "lon": position.lon, "accuracy_m": position.accuracy_m}
                              if position else {}))
    page = _page(request, embed=posted_text(request, "embed") == "1", values=values,
                 error=request.localizer.translate(message))
    page.update(sms_href=fallback.sms_href(body), sms_text=body, not_sent=True)
    request.response.status_int = 503
    return page


@view_config(route_name="alarm", renderer=TEMPLATE, request_method=("GET", "HEAD"))
def alarm_page(request):
    return _page(request)


# The token is checked by from_this_site (see the module's docstring), not by Pyramid's default.
@view_config(route_name="alarm", renderer=TEMPLATE, request_method="POST", require_csrf=False)
def alarm_send(request):
    return _raise(request, embed=posted_text(request, "embed") == "1")


@view_config(route_name="embed_alarm", renderer=EMBED_TEMPLATE, request_method=("GET", "HEAD"))
def embed_alarm(request):
    return _page(request, embed=True)


@view_config(route_name="alarm_route", request_method="GET")
def alarm_route(request):
    """Which command center an alarm from this point goes to, for the page to name before sending."""
    try:
        position = read_position(request.GET.get("lat"), request.GET.get("lon"), required=True)
    except Refused as refused:
        return json_error(request, refused.status, refused.message)
    unit = routing.command_center_for_point(request.dbsession, position.lat, position.lon)
    if unit is None:
        return json_error(request, 404, _("No command center is set up yet."))
    fallback = request.registry["fallbacks"]
    return json_response({"unit": unit.name(request.locale_name), "sms": fallback.sms_number(unit),
                          "phone": unit.phone_110 or fallback.police})


@view_config(route_name="service_worker", request_method=("GET", "HEAD"))
def service_worker(request):
    response = FileResponse(_sw_file(), request=request, content_type="text/javascript")
    # Browsers check for a new worker on every visit when it is not cached; let them.
    response.cache_control = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def _sw_file() -> str:
    from pyramid.path import AssetResolver

    return AssetResolver().resolve(SW_PATH).abspath()
