"""Trip guardian: a traveller shares a trip with chosen guardians (DESIGN.md sections 2 and 6).

The police see nothing of a trip unless an alarm is raised (by a guardian, by the traveller, or by
the worker when an overdue trip goes unanswered): then services/alarms.py routes an alarm with the
last position to the command center, and the alarm points at the trip (Alarm.trip), so the
dispatcher sees its track and photos. Audit events say what happened to which trip, never where.
Track points and photos of ended trips are deleted after the retention period (`purge_ended`)."""
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from portal.abuse.ratelimit import RateLimited, count_per_hour
from portal.alarms import raising as alarms
from portal.alarms import thread
from portal.alarms.models import Alarm, AlarmMessage
from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.localtime import local_time
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.geo.position import read_position
from portal.media.uploads import UploadLimits, store_photos
from portal.privacy import protected
from portal.privacy.links import new_token
from portal.trips.models import Trip, TripGuardian, TripPhoto, TripPoint
from portal.trips.workflow import GUARDIAN, TRAVELLER, TRIP_WORKFLOW
from portal.workflow import LinkHolder

OWNER_CONTACT_LABEL = "trip.owner_contact"
GUARDIAN_CONTACT_LABEL = "trip.guardian_contact"
MAX_GUARDIANS = 5
MAX_AHEAD = timedelta(hours=24)  # a trip is a journey, not a standing order
CLOCK_SKEW = timedelta(minutes=1)
PHOTO_LIMITS = UploadLimits(max_count=4)  # per sending
MAX_PHOTOS = 12  # per trip
# Location points: what a phone's fix can plausibly be.
MAX_ACCURACY_M = 5_000
MAX_POINT_AGE = timedelta(minutes=10)
MAX_POINT_FUTURE = timedelta(minutes=2)
MAX_SPEED_MPS = 350  # faster than an airliner: a jump, not a journey
POINTS_PER_MINUTE = 20  # the page sends one every 15 s at most; more is a flood
MAX_POINTS_PER_TRIP = 5_000
UPDATES_BATCH = 500
OPEN_ALARM_STATES = ("new", "acknowledged", "dispatched")


@dataclass
class Started:
    trip: Trip
    token: str
    guardians: list[tuple[TripGuardian, str]] = field(default_factory=list)  # each with its link token


# --- starting a trip ---------------------------------------------------------------------------------------


def count_attempt(request) -> None:
    """Count one sending of the form against the visitor's address; Refused (429) over the
    hourly limit. (Alarms are never limited; starting trips is.)"""
    try:
        count_per_hour(request, "trip", "portal.trip.rate_per_hour")
    except RateLimited as limited:
        raise limited.saying(_("Many trips have been started from this address. Please wait and try again later. "
                               "If you are in danger, call ${police} now.",
                               mapping={"police": request.registry["fallbacks"].police})) from None


def check_arrival(expected: datetime, now=None) -> None:
    now = now or utcnow()
    if expected <= now + CLOCK_SKEW:
        raise Refused(_("The expected arrival time must be in the future."))
    if expected > now + MAX_AHEAD:
        raise Refused(_("The expected arrival time must be within the next 24 hours."))


def contact_channel(contact: str) -> str:
    """Guardians leave a phone number (SMS) or an e-mail address."""
    return "email" if "@" in contact else "sms"


def start(request, *, destination: str, expected_arrival_at: datetime, guardians, vehicle_plate: str = "",
          photos=(), owner_contact: dict | None = None, now=None) -> Started:
    """Store a new active trip with its guardians and photos; return the links' tokens (shown once).

    `guardians` are dicts with a label and an optional contact; `photos` are checked uploads
    (uploads.check_photos). Raises Refused before anything is stored."""
    guardians = [g for g in guardians if (g.get("label") or "").strip()]
    if not 1 <= len(guardians) <= MAX_GUARDIANS:
        raise Refused(_("Name between 1 and ${max} guardians.", mapping={"max": MAX_GUARDIANS}))
    check_arrival(expected_arrival_at, now)
    if len(photos) > MAX_PHOTOS:
        raise Refused(_("At most ${n} photos can be shared on one trip.", mapping={"n": MAX_PHOTOS}))
    token, hashed = new_token()
    trip = Trip(token_hash=hashed, state=TRIP_WORKFLOW.initial, destination=destination.strip(),
                expected_arrival_at=expected_arrival_at.astimezone(UTC),
                vehicle_plate=(vehicle_plate or "").strip().upper(), owner_contact=_seal_owner(request, owner_contact))
    started = Started(trip, token)
    for guardian in guardians:
        guardian_token, guardian_hash = new_token()
        contact = (guardian.get("contact") or "").strip()
        row = TripGuardian(token_hash=guardian_hash, label=guardian["label"].strip(), contact=protected.seal(
            request, json.dumps({contact_channel(contact): contact}) if contact else None, GUARDIAN_CONTACT_LABEL))
        trip.guardians.append(row)
        started.guardians.append((row, guardian_token))
    request.dbsession.add(trip)
    request.dbsession.flush()
    _add_photos(request, trip, photos)
    # Nothing of the trip itself: not where to, not who; only that one started.
    audit.record(request, "trip.started", officer=None, actor="public", object_type="trip", object_id=trip.id,
                 to_state=trip.state, reason=f"{len(guardians)} guardians; {len(photos)} photos")
    return started


def _seal_owner(request, contact: dict | None) -> str | None:
    contact = {k: v.strip() for k, v in (contact or {}).items() if v and v.strip()}
    if not contact:
        return None
    return protected.seal(request, json.dumps(contact, ensure_ascii=False), OWNER_CONTACT_LABEL)


def _add_photos(request, trip: Trip, checked) -> list[TripPhoto]:
    added = []
    for media in store_photos(request, list(checked)):
        media.notice_id = None  # never public: only the trip's links (and later a dispatcher) see it
        added.append(TripPhoto(trip=trip, media=media))
    request.dbsession.add_all(added)
    request.dbsession.flush()
    return added


def add_photos(request, trip: Trip, checked) -> list[TripPhoto]:
    """The traveller adds photos to a running trip (a taxi's plate, say)."""
    if trip.state != "active":
        raise Refused(_("This trip has ended: no more photos can be added."), 409)
    if not checked:
        raise Refused(_("Choose a photo first."))
    count = request.dbsession.execute(
        select(func.count()).select_from(TripPhoto).where(TripPhoto.trip_id == trip.id)).scalar_one()
    if count + len(checked) > MAX_PHOTOS:
        raise Refused(_("At most ${n} photos can be shared on one trip.", mapping={"n": MAX_PHOTOS}))
    added = _add_photos(request, trip, checked)
    audit.record(request, "trip.photos_added", officer=None, actor="public", object_type="trip",
                 object_id=trip.id, reason=f"{len(added)} photos")
    return added


# --- location points -----------------------------------------------------------------------------------------


def _metres(a_lat, a_lon, b_lat, b_lon) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    dp, dl = p2 - p1, math.radians(b_lon - a_lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(h)))


def last_point(dbsession, trip: Trip) -> TripPoint | None:
    return dbsession.execute(
        select(TripPoint).where(TripPoint.trip_id == trip.id).order_by(TripPoint.id.desc()).limit(1)
    ).scalar_one_or_none()


def add_point(request, trip: Trip, *, lat, lon, accuracy_m=None, located_at=None, now=None) -> TripPoint:
    """Store one position of the traveller; Refused for an ended trip (409), a bad, absurd or
    stale position (400/422) or a flood (429). A refused point changes nothing stored."""
    now = now or utcnow()
    if trip.state != "active":
        raise Refused(_("This trip has ended: positions are no longer taken."), 409)
    position = read_position(lat, lon, accuracy_m, located_at, required=True, max_accuracy_m=MAX_ACCURACY_M,
                             max_age=MAX_POINT_AGE, max_future=MAX_POINT_FUTURE, ignore_bad_time=True, now=now)
    lat, lon, accuracy, at = position.lat, position.lon, position.accuracy_m, position.located_at
    previous = last_point(request.dbsession, trip)
    if previous is not None and (previous.located_at, previous.lat, previous.lon) == (at, lat, lon) \
            and not position.time_replaced:
        return previous  # the same fix sent again (its answer was lost): stored once
    if previous is not None:
        if at < previous.located_at:
            raise Refused(_("A newer position was already received."), 409)
        seconds = (at - previous.located_at).total_seconds()
        metres = _metres(previous.lat, previous.lon, lat, lon) - (accuracy or 0) - (previous.accuracy_m or 0)
        if metres > MAX_SPEED_MPS * max(seconds, 1):
            raise Refused(_("The position jumps too far from the last one to be real."), 422)
    limiter = getattr(request, "rate_limiter", None)
    if limiter is not None and not limiter.hit(f"trip-points:{trip.id}", POINTS_PER_MINUTE, 60):
        raise Refused(_("Too many positions at once; the latest one was kept."), 429)
    count = request.dbsession.execute(
        select(func.count()).select_from(TripPoint).where(TripPoint.trip_id == trip.id)).scalar_one()
    if count >= MAX_POINTS_PER_TRIP:
        raise Refused(_("This trip has recorded as many positions as it can."), 429)
    point = TripPoint(trip=trip, lat=lat, lon=lon, accuracy_m=accuracy, located_at=at, received_at=now)
    request.dbsession.add(point)
    request.dbsession.flush()
    return point


# --- what a link holder sees --------------------------------------------------------------------------------


def is_overdue(trip: Trip) -> bool:
    return trip.state == "active" and trip.overdue_at is not None


def alarm_of(dbsession, trip: Trip) -> Alarm | None:
    """The alarm raised for this trip, if any (the first one)."""
    return dbsession.execute(
        select(Alarm).where(Alarm.trip_id == trip.id).order_by(Alarm.id).limit(1)).scalar_one_or_none()


def shows_track(trip: Trip) -> bool:
    """Guardians follow a running trip, and one whose alarm was raised; an arrived or expired trip
    is nobody's business any more, and a purged one has nothing left."""
    return trip.purged_at is None and trip.state in ("active", "alarm_raised")


def point_json(point: TripPoint) -> dict:
    return {"id": point.id, "lat": point.lat, "lon": point.lon, "accuracy_m": point.accuracy_m,
            "located_at": point.located_at.isoformat(timespec="seconds"),
            "local_time": local_time(point.located_at, "%H:%M:%S")}


def updates(dbsession, trip: Trip, after: int = 0) -> dict:
    """What the trip's pages poll for: its state, the points after id `after`, the photos' ids."""
    points, photos = [], []
    if shows_track(trip):
        points = dbsession.execute(
            select(TripPoint).where(TripPoint.trip_id == trip.id, TripPoint.id > after)
            .order_by(TripPoint.id).limit(UPDATES_BATCH)).scalars().all()
        photos = dbsession.execute(
            select(TripPhoto.id).where(TripPhoto.trip_id == trip.id).order_by(TripPhoto.id)).scalars().all()
    last = last_point(dbsession, trip) if shows_track(trip) else None
    alarm = alarm_of(dbsession, trip)
    return {
        "state": trip.state,
        "overdue": is_overdue(trip),
        "answered": any(g.answered_at is not None for g in trip.guardians),
        "expected_arrival_at": trip.expected_arrival_at.isoformat(timespec="seconds"),
        "points": [point_json(p) for p in points],
        "more": len(points) == UPDATES_BATCH,
        "last": point_json(last) if last is not None else None,
        "photos": list(photos),
        "alarm_sent": alarm is not None,
        "purged": trip.purged_at is not None,
    }


def seen(guardian: TripGuardian, now=None) -> None:
    """Remember when a guardian last looked (written at most once a minute, not on every poll)."""
    now = now or utcnow()
    if guardian.last_seen_at is None or guardian.last_seen_at < now - timedelta(minutes=1):
        guardian.last_seen_at = now


def answer(request, guardian: TripGuardian, now=None) -> None:
    """A guardian says "I am on it" for an overdue trip: the automatic alarm waits for them."""
    trip = guardian.trip
    if trip.state != "active":
        raise Refused(_("This trip has ended."), 409)
    if trip.overdue_at is None:
        raise Refused(_("The trip is not overdue: there is nothing to answer yet."), 409)
    guardian.answered_at = now or utcnow()
    request.dbsession.flush()
    audit.record(request, "trip.answered", officer=None, actor="public", object_type="trip", object_id=trip.id,
                 reason=f"guardian {guardian.id}")


# --- ending a trip ------------------------------------------------------------------------------------------


def arrive(request, trip: Trip, now=None) -> None:
    """The traveller (holder of the trip's own link) says they arrived."""
    TRIP_WORKFLOW.apply(request, trip, "arrive", actor="public", context=LinkHolder(TRAVELLER))
    trip.ended_at = now or utcnow()
    request.dbsession.flush()


def raise_alarm(request, trip: Trip, *, guardian: TripGuardian | None = None, now=None) -> Alarm:
    """A guardian (or, without `guardian`, the traveller) raises the alarm. Raising it again for a
    trip whose alarm is already out returns that alarm: one trip, one alarm."""
    if trip.state == "alarm_raised":
        existing = alarm_of(request.dbsession, trip)
        if existing is not None:
            return existing
    if trip.state != "active":
        raise Refused(_("This trip has ended, so no alarm can be raised from it. If someone is in danger, "
                            "call ${police} now.", mapping={"police": request.registry["fallbacks"].police}), 409)
    who = f"guardian {guardian.id}" if guardian is not None else "traveller"
    try:
        TRIP_WORKFLOW.apply(request, trip, "raise_alarm", actor="public", context=LinkHolder(GUARDIAN),
                            reason=f"raised by the {who}")
    except Refused as refused:
        # Another guardian (or the worker) raised it at the same instant: theirs is the trip's alarm.
        request.dbsession.refresh(trip)
        existing = alarm_of(request.dbsession, trip) if refused.status == 409 else None
        if existing is None:
            raise
        return existing
    if guardian is not None:
        cause = _("Raised by the guardian \"${label}\".", mapping={"label": guardian.label})
    else:
        cause = _("Raised by the traveller.")
    return _hand_to_police(request, trip, cause, actor="public", now=now)


def escalate(request, trip: Trip, minutes: int, now=None) -> Alarm:
    """The worker raises the alarm for an overdue trip nobody answered."""
    TRIP_WORKFLOW.apply(request, trip, "escalate", actor="system",
                        reason=f"overdue and unanswered for {minutes} minutes")
    cause = _("Raised automatically: the trip was overdue and no guardian answered within ${minutes} minutes.",
              mapping={"minutes": minutes})
    return _hand_to_police(request, trip, cause, actor="system", now=now)


def alarm_nonce(trip: Trip) -> str:
    """The nonce the trip's alarm is raised with: its sender link follows from it and the server key
    (alarm_thread.sender_link), so the traveller reaches the alarm with the trip's own link."""
    return "trip-" + trip.token_hash[:48]


def _hand_to_police(request, trip: Trip, cause, *, actor: str, now=None) -> Alarm:
    """The alarm for the traveller's last position, pointing at the trip (track and photos)."""
    now = now or utcnow()
    trip.ended_at = now
    dbsession = request.dbsession
    last = last_point(dbsession, trip)
    # Routed by the last point however old it is (a dead phone stops sending, and that is when it
    # matters); raise_alarm keeps an old fix and tells the dispatcher its age.
    alarm, _token = alarms.raise_alarm(
        request, kind="silent", lat=last.lat if last else None, lon=last.lon if last else None,
        accuracy_m=last.accuracy_m if last else None, located_at=last.located_at if last else None,
        trip=trip, actor=actor, nonce=alarm_nonce(trip),
        place="" if last else request.localizer.translate(
            _("No position was received. On the way to: ${destination}", mapping={"destination": trip.destination})),
        contact=_owner_contact(request, trip))
    # Stored as msgid and parameters: translated when shown, and the trip's own values (destination,
    # plate, a guardian's name) are blanked when the trip is purged (jobs.purge_ended).
    summary = _summary(dbsession, trip, cause, last)
    dbsession.add(AlarmMessage(alarm=alarm, sender="system", text=str(summary),
                               params=thread.as_params(summary.mapping)))
    dbsession.flush()
    return alarm


def _owner_contact(request, trip: Trip) -> dict | None:
    """The traveller's contact moves, still sealed, to the alarm's protected sender contact, where
    only the dispatcher may reveal it (with a reason, audited)."""
    if trip.owner_contact is None:
        return None
    return json.loads(request.registry["field_cipher"].decrypt(trip.owner_contact, OWNER_CONTACT_LABEL))


def _summary(dbsession, trip: Trip, cause, last: TripPoint | None):
    points = dbsession.execute(
        select(func.count()).select_from(TripPoint).where(TripPoint.trip_id == trip.id)).scalar_one()
    photos = dbsession.execute(
        select(func.count()).select_from(TripPhoto).where(TripPhoto.trip_id == trip.id)).scalar_one()
    mapping = {"cause": cause, "destination": trip.destination, "arrival": local_time(trip.expected_arrival_at),
               "plate": trip.vehicle_plate or "-", "points": points, "photos": photos,
               "last": local_time(last.located_at) if last else "-"}
    return _("Trip guardian alarm. ${cause} Going to: ${destination}. Expected arrival: ${arrival} (Beijing time). "
             "Vehicle plate: ${plate}. Last position received: ${last}. The trip's track (${points} points) and "
             "photos (${photos}) are attached.", mapping=mapping)


# --- the worker's jobs ---------------------------------------------------------------------------------------


