"""Trip guardian pages: start a trip (/trips/new), the traveller's page (/trips/{token}) and each
guardian's page (/guard/{token}), with their small JSON endpoints and the trip's photos.

Whoever holds a link may use it; nothing here is cached anywhere (no-store) or indexed."""
from datetime import timedelta
from urllib.parse import quote

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.view import view_config
from sqlalchemy import select

from portal.alarms import raising as alarms
from portal.core.forms import FormView, posted_text
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.json import wants_json
from portal.core.links import public_url
from portal.core.localtime import local_time
from portal.core.nonces import new_nonce
from portal.core.refused import Refused
from portal.core.resources import id_from_matchdict
from portal.media.responses import copy_response
from portal.media.uploads import UploadRefused, check_photos, chosen_files
from portal.trips import alarm_thread
from portal.trips import services as trips
from portal.trips.forms import trip_schema
from portal.trips.models import TripPhoto

ALARM_STATE_LABELS = {
    "new": _("sent: waiting for a dispatcher"),
    "acknowledged": _("received by a dispatcher"),
    "dispatched": _("help has been sent"),
    "closed": _("closed by the police"),
    "cancelled": _("cancelled"),
}


def _private(request):
    request.response.cache_control = "no-store"


def _json(request, body, status=200):
    response = request.response
    response.status_int = status
    response.cache_control = "no-store"
    response.content_type = "application/json"
    response.json_body = body
    return response


def _gone(request):
    """A link to a trip whose track and photos were deleted: it says so, and nothing more is left."""
    _private(request)
    request.response.status_int = 410
    return render_to_response("trips/gone.html", {}, request=request, response=request.response)


def _refusal(request, refused: Refused, trip):
    # The state tells the page's script whether to stop (the trip ended) or carry on.
    return _json(request, {"error": request.localizer.translate(refused.message), "state": trip.state},
                 refused.status)


# --- /trips/new ---------------------------------------------------------------------------------------------


@view_config(route_name="trip_new", renderer="trips/new.html", request_method=("GET", "POST"))
class NewTrip(FormView):
    schema_factory = staticmethod(trip_schema)
    buttons = (("start", _("Start the trip")),)
    form_options = {"focus": "off"}

    def __call__(self):
        _private(self.request)
        return super().__call__()

    def page(self, **values):
        return {"failed": self.failed, **values}

    def before(self, form):
        trips.count_attempt(self.request)  # every sending counts; over the limit, RateLimited (429)

    def start_success(self, data):
        request = self.request
        if data["website"]:
            return HTTPSeeOther(request.route_path("home"))  # a bot: nothing kept, nothing said
        try:
            started = trips.start(
                request, destination=data["destination"], expected_arrival_at=data["expected_arrival_at"],
                vehicle_plate=data["vehicle_plate"], photos=data["photos"], guardians=data["guardians"],
                owner_contact=data["contact"])
        except UploadRefused as refused:  # files already written for it go again (the transaction is doomed)
            raise Refused(refused.message, 400) from None
        links = [_share(request, started.trip, guardian.label, public_url(request, "guard", token=token))
                 for guardian, token in started.guardians]
        # The links are shown once, to this visitor: the database keeps only their hashes.
        return render_to_response("trips/started.html", {
            "trip": started.trip, "trip_url": public_url(request, "trip", token=started.token), "links": links,
        }, request=request, response=request.response)


def _share(request, trip, label, url) -> dict:
    """A guardian's link with ready-made SMS and e-mail messages (the person picks the recipient)."""
    translate = request.localizer.translate
    message = translate(_("I am on my way to ${place}, arriving around ${time} (Beijing time). Follow my trip "
                          "and raise the alarm if needed: ${url}", mapping={
                              "place": trip.destination, "time": local_time(trip.expected_arrival_at, "%H:%M"),
                              "url": url}))
    subject = translate(_("Follow my trip"))
    return {"label": label, "url": url, "sms": f"sms:?&body={quote(message, safe='')}",
            "mailto": f"mailto:?subject={quote(subject, safe='')}&body={quote(message, safe='')}"}


# --- the traveller ---------------------------------------------------------------------------------------------


def _photos(request, trip, route, token):
    if not trips.shows_track(trip):
        return []
    return [{"thumb": request.route_path(route, token=token, id=photo.id, variant="thumb"),
             "full": request.route_path(route, token=token, id=photo.id, variant="public")}
            for photo in trip.photos]


def _common(request, trip, route_prefix):
    token = request.matchdict["token"]
    last = trips.last_point(request.dbsession, trip) if trips.shows_track(trip) else None
    alarm = trips.alarm_of(request.dbsession, trip)
    return {
        "trip": trip, "token": token, "last": last, "alarm": alarm,
        "alarm_state": ALARM_STATE_LABELS.get(alarm.state) if alarm is not None else None,
        "overdue": trips.is_overdue(trip), "shows_track": trips.shows_track(trip),
        "photos": _photos(request, trip, f"{route_prefix}_photo", token),
        "updates_url": request.route_path(f"{route_prefix}_action", token=token, action="updates"),
    }


def _trip_page(request, context, *, status=200, error=None):
    _private(request)
    request.response.status_int = status
    values = _common(request, context.trip, "trip")
    values.update(error=error, max_photos=trips.PHOTO_LIMITS.max_count,
                  location_url=request.route_path("trip_action", token=values["token"], action="location"))
    return values


@view_config(route_name="trip", renderer="trips/trip.html", request_method="GET")
def trip_page(context, request):
    if context.trip.purged_at is not None:
        return _gone(request)
    if context.trip.state == "alarm_raised":
        link = alarm_thread.sender_link(request, context.trip)
        if link is not None:  # the trip's page is its alarm's sender page now
            _private(request)
            return HTTPSeeOther(link)
    return _trip_page(request, context)


@view_config(route_name="trip_action", match_param="action=updates", request_method="GET")
def trip_updates(context, request):
    body = trips.updates(request.dbsession, context.trip, _after(request))
    if context.trip.state == "alarm_raised":  # the traveller's page moves on to the alarm's own page
        body["alarm_url"] = alarm_thread.sender_link(request, context.trip)
    return _json(request, body)


def _after(request) -> int:
    return record_id(request.GET.get("after", "0")) or 0


@view_config(route_name="trip_action", match_param="action=location", request_method="POST")
def trip_location(context, request):
    """One position from the traveller's page (JSON or a form); 201, or a 4xx with a reason."""
    try:
        data = request.json_body if request.content_type == "application/json" else request.POST
        if not isinstance(data, dict) and not hasattr(data, "get"):
            raise ValueError("not an object")
    except ValueError:
        return _json(request, {"error": request.localizer.translate(_("The position could not be read."))}, 400)
    position = {name: data.get(name) for name in ("lat", "lon", "accuracy_m", "located_at")}
    try:
        if context.trip.state == "alarm_raised":
            # The alarm is out: the traveller's positions go on into its track, for the dispatcher.
            row = alarm_thread.forward_point(request, context.trip, **position)
            return _json(request, {"ok": True, "state": context.trip.state, "forwarded": True,
                                   "alarm_url": alarm_thread.sender_link(request, context.trip),
                                   "point": {"local_time": local_time(row.located_at, "%H:%M:%S")}}, 201)
        point = trips.add_point(request, context.trip, **position)
    except Refused as refused:
        request.tm.doom()
        return _refusal(request, refused, context.trip)
    except alarms.Flood as flood:
        return _json(request, {"error": request.localizer.translate(_("Too many position updates; slowing down.")),
                               "state": context.trip.state, "retry_after": flood.retry_after}, 429)
    return _json(request, {"ok": True, "point": trips.point_json(point)}, 201)


@view_config(route_name="trip_action", match_param="action=photos", request_method="POST",
             renderer="trips/trip.html")
def trip_photos(context, request):
    try:
        checked = check_photos(chosen_files(request, "photos"), trips.PHOTO_LIMITS)
        trips.add_photos(request, context.trip, checked)
    except (Refused, UploadRefused) as refused:
        request.tm.doom()
        return _trip_page(request, context, status=getattr(refused, "status", 400), error=refused.message)
    return HTTPSeeOther(request.route_path("trip", token=request.matchdict["token"]))


@view_config(route_name="trip_action", match_param="action=arrived", request_method="POST",
             renderer="trips/trip.html")
def trip_arrived(context, request):
    try:
        trips.arrive(request, context.trip)
    except Refused:
        return _trip_page(request, context, status=409, error=_("This trip has already ended."))
    return HTTPSeeOther(request.route_path("trip", token=request.matchdict["token"]))


def _confirmed(request) -> bool:
    return request.POST.get("confirm") == "yes"


@view_config(route_name="trip_action", match_param="action=alarm", request_method="POST",
             renderer="trips/trip.html")
def trip_alarm(context, request):
    if not _confirmed(request):
        return _trip_page(request, context, status=400, error=_("Tick the box to confirm, then send the alarm."))
    try:
        trips.raise_alarm(request, context.trip)
    except Refused as refused:
        return _trip_page(request, context, status=refused.status, error=refused.message)
    return HTTPSeeOther(request.route_path("trip", token=request.matchdict["token"]))


@view_config(route_name="trip_photo", request_method="GET")
def trip_photo(context, request):
    return _photo(request, context.trip)


# --- a guardian ----------------------------------------------------------------------------------------------


def _guard_page(request, context, *, status=200, error=None):
    _private(request)
    request.response.status_int = status
    trips.seen(context.guardian)
    values = _common(request, context.trip, "guard")
    trip = context.trip
    minutes = int(request.registry.settings["portal.trip.escalate_minutes"])
    values.update(guardian=context.guardian, error=error,
                  answered=any(g.answered_at is not None for g in trip.guardians),
                  answered_by_me=context.guardian.answered_at is not None,
                  escalate_at=trip.overdue_at + timedelta(minutes=minutes) if trip.overdue_at else None,
                  thread=alarm_thread.thread(request, trip), nonce=new_nonce(),
                  alarm_open=values["alarm"] is not None and alarms.is_open(values["alarm"]),
                  message_url=request.route_path("guard_action", token=values["token"], action="message"))
    return values


@view_config(route_name="guard", renderer="trips/guard.html", request_method="GET")
def guard_page(context, request):
    if context.trip.purged_at is not None:
        return _gone(request)
    return _guard_page(request, context)


@view_config(route_name="guard_action", match_param="action=updates", request_method="GET")
def guard_updates(context, request):
    trips.seen(context.guardian)
    body = trips.updates(request.dbsession, context.trip, _after(request))
    body["thread"] = alarm_thread.thread(request, context.trip)  # the alarm's lines, once there is one
    return _json(request, body)


@view_config(route_name="guard_action", match_param="action=message", request_method="POST",
             renderer="trips/guard.html")
def guard_message(context, request):
    """A guardian writes to the dispatcher in the trip's alarm's thread (a form, or JSON for a script)."""
    text = posted_text(request, "text")
    try:
        line = alarm_thread.guardian_writes(request, context.guardian, text, posted_text(request, "nonce") or None)
    except Refused as refused:
        request.tm.doom()
        if wants_json(request):
            return _json(request, {"error": request.localizer.translate(refused.message)}, refused.status)
        page = _guard_page(request, context, status=refused.status, error=refused.message)
        page["typed"] = text
        return page
    except alarms.Flood as flood:
        request.tm.doom()
        message = _("Too many messages at once. Wait a moment; your text is kept.")
        if wants_json(request):
            return _json(request, {"error": request.localizer.translate(message), "retry_after": flood.retry_after},
                         429)
        page = _guard_page(request, context, status=429, error=message)
        page["typed"] = text
        return page
    if wants_json(request):
        return _json(request, {"line": alarm_thread.line_json(request, line)}, 201)
    return HTTPSeeOther(request.route_path("guard", token=request.matchdict["token"]))


@view_config(route_name="guard_action", match_param="action=answer", request_method="POST",
             renderer="trips/guard.html")
def guard_answer(context, request):
    try:
        trips.answer(request, context.guardian)
    except Refused as refused:
        return _guard_page(request, context, status=refused.status, error=refused.message)
    return HTTPSeeOther(request.route_path("guard", token=request.matchdict["token"]))


@view_config(route_name="guard_action", match_param="action=alarm", request_method="POST",
             renderer="trips/guard.html")
def guard_alarm(context, request):
    if context.trip.purged_at is not None:
        return _gone(request)
    if not _confirmed(request):
        return _guard_page(request, context, status=400, error=_("Tick the box to confirm, then send the alarm."))
    try:
        trips.raise_alarm(request, context.trip, guardian=context.guardian)
    except Refused as refused:
        return _guard_page(request, context, status=refused.status, error=refused.message)
    return HTTPSeeOther(request.route_path("guard", token=request.matchdict["token"]))


@view_config(route_name="guard_photo", request_method="GET")
def guard_photo(context, request):
    return _photo(request, context.trip)


def _photo(request, trip):
    """A re-encoded copy (no EXIF or GPS) of one of this trip's photos; never the original."""
    if not trips.shows_track(trip):
        raise HTTPNotFound()
    photo = request.dbsession.execute(
        select(TripPhoto).where(TripPhoto.id == id_from_matchdict(request), TripPhoto.trip_id == trip.id)
    ).scalar_one_or_none()
    return copy_response(request, photo.media if photo is not None else None,
                         thumb=request.matchdict["variant"] == "thumb")

