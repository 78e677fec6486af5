"""Alarms from people in danger: raising one, and what the sender does afterwards with the secret link.

An alarm is never refused for rate reasons: a flood from one address is marked for the dispatcher
(flagged, flag_reason) and still stored. What the person wrote, their contact and their position stay
out of the audit log: it records only that something happened, to which alarm, at which unit."""
import json
from datetime import timedelta

from sqlalchemy import func, select

from portal.abuse.ratelimit import RateLimited, count_per_hour
from portal.alarms import events, idempotency, thread
from portal.alarms.models import ALARM_KINDS, Alarm, AlarmLocation, AlarmMessage
from portal.alarms.workflow import ALARM_WORKFLOW, SENDER
from portal.audit import chain as audit
from portal.audit.sentences import flood_code
from portal.core.db import insert_once
from portal.core.i18n import _
from portal.core.localtime import local_time
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.geo import routing
from portal.geo.position import DEFAULT_MAX_ACCURACY_M, read_position
from portal.media.uploads import UploadLimits, UploadRefused, check_photos, store_photos
from portal.privacy import protected
from portal.privacy.links import new_token
from portal.workflow import LinkHolder

CONTACT_LABEL = "alarm.sender_contact"
MAX_MESSAGE = 2000  # characters of one chat message (the first alarm text is kept whole)
MAX_PLACE = 255
MAX_ACCURACY_M = DEFAULT_MAX_ACCURACY_M
MAX_AGE = timedelta(minutes=10)  # a fix older than this is stale
MAX_FUTURE = timedelta(minutes=2)  # device clocks drift a little; not hours


def check_position(lat, lon, accuracy_m=None, located_at=None, *, keep_old=False, required=False, now=None):
    """The alarm's position through the one validator (geo/position.py), with the alarm's bounds: a
    fix at most MAX_AGE old and MAX_FUTURE ahead, unless `keep_old` (the alarm itself)."""
    return read_position(lat, lon, accuracy_m, located_at, required=required, max_accuracy_m=MAX_ACCURACY_M,
                         max_age=MAX_AGE, max_future=MAX_FUTURE, keep_old=keep_old, ignore_bad_time=True, now=now)


def _flood_reason(request) -> str:
    """'' normally; a reason when this address raised more alarms than the hourly allowance. The
    alarm is stored all the same: only the dispatcher is told."""
    if not getattr(request, "client_addr", None):
        return ""  # the worker (an overdue trip) has no address and is never a flood
    try:
        count_per_hour(request, "alarm", "portal.alarm.flood_per_hour")
    except RateLimited:
        per_hour = request.registry.settings["portal.alarm.flood_per_hour"]
        return flood_code(per_hour)  # a code with its number, worded in the reader's language when shown
    return ""


def seal_contact(request, contact) -> str | None:
    """Seal {name, phone} (or a plain string) for the dispatcher; None when nothing was given."""
    if not contact:
        return None
    if isinstance(contact, dict):
        contact = {k: str(v).strip() for k, v in contact.items() if v and str(v).strip()}
        if not contact:
            return None
        contact = json.dumps(contact, ensure_ascii=False)
    return protected.seal(request, str(contact).strip() or None, CONTACT_LABEL)


def raise_alarm(request, *, kind="silent", lat=None, lon=None, accuracy_m=None, located_at=None, place="",
                text="", contact=None, trip=None, actor="public", nonce=None, unit=None) -> tuple[Alarm, str]:
    """Store a new alarm routed to the command center for its position; returns (alarm, link token).
    `unit` sends it to that command center instead, wherever the position is (a dispatcher's
    invitation: the alarm goes to the center that invited it).

    Never refused: an unusable position is left out (a system note tells the dispatcher why), a
    phone's unusable fix time is replaced by the time of arrival (and the dispatcher told), a
    flood is flagged, and the alarm still goes to the root center when nothing says where it is.
    The same `nonce` sent again (a retry whose answer was lost, a double press) returns the alarm
    it raised the first time (see idempotency.py)."""
    dbsession = request.dbsession
    token, hashed = idempotency.token_for(request, nonce)
    if nonce is not None:
        existing = idempotency.by_hash(dbsession, hashed)
        if existing is not None and idempotency.resendable(existing):
            idempotency.keep_new_text(dbsession, existing, text)
            return existing, token
        if existing is not None:
            token, hashed = new_token()  # an old alarm's nonce, reused long after: a new alarm
    note = ""
    try:
        position = check_position(lat, lon, accuracy_m, located_at, keep_old=True)
    except Refused:
        position, note = None, str(_("The position sent was not usable; ask the sender where they are."))
    if position is not None and position.time_replaced:
        note = str(_("The phone's time of the position was not understood: the time the alarm arrived is shown."))
    elif position is not None and position.located_at < utcnow() - MAX_AGE:
        note = str(_("The position is more than 10 minutes old: the sender may have moved."))
    if unit is None:
        unit = routing.command_center_for_point(dbsession, *(position.lat, position.lon) if position else (None, None))
    if unit is None:
        raise LookupError("no unit exists to receive alarms")
    flag_reason = _flood_reason(request)
    alarm = Alarm(
        token_hash=hashed, kind=kind if kind in ALARM_KINDS else "silent", state=ALARM_WORKFLOW.initial,
        unit=unit, place=(place or "").strip()[:MAX_PLACE], sender_contact=seal_contact(request, contact),
        flagged=bool(flag_reason), flag_reason=flag_reason, trip=trip,
        **({"lat": position.lat, "lon": position.lon, "accuracy_m": position.accuracy_m,
            "located_at": position.located_at} if position else {}),
    )
    if not insert_once(dbsession, alarm):
        # The same nonce, sent at the same instant, raised its alarm in another request: that one
        # (or, for a trip, the alarm another guardian's press stored first).
        existing = idempotency.by_hash(dbsession, hashed) or (trip is not None and dbsession.execute(
            select(Alarm).where(Alarm.trip_id == trip.id)).scalar_one_or_none())
        if not existing:
            raise RuntimeError("the alarm could not be stored")
        return existing, token
    if (text or "").strip():
        dbsession.add(AlarmMessage(alarm=alarm, sender="public", text=text.strip()))
    if note:
        dbsession.add(AlarmMessage(alarm=alarm, sender="system", text=note))
    dbsession.flush()
    # No text, contact, place or coordinates here: only what happened, where it was routed.
    audit.record(request, "alarm.raised", officer=None, actor=actor, object_type="alarm", object_id=alarm.id,
                 to_state=alarm.state, reason=f"kind {alarm.kind}; unit {unit.code}"
                 + ("; located" if position else "") + ("; flagged as flood" if flag_reason else ""))
    return alarm, token



# --- What the sender does afterwards, holding the secret link ---------------------------------------

LOCATION_MIN_INTERVAL = 5  # seconds: points closer together update the newest stored one instead
LOCATION_FLOOD = (60, 300)  # more requests than this per alarm in the window answer 429 (latest point kept)
MESSAGE_FLOOD = (30, 300)
MAX_PHOTOS = 20  # per alarm
PHOTO_LIMITS = UploadLimits(max_count=1)


ENDED = _("This alarm has ended. Nothing more can be added to it. In danger again? Send a new alarm or call 110.")


class Flood(Exception):
    def __init__(self, retry_after: int):
        super().__init__("too many requests for one alarm")
        self.retry_after = retry_after


def is_open(alarm: Alarm) -> bool:
    return alarm.state not in ALARM_WORKFLOW.final


def _require_open(alarm: Alarm) -> None:
    if not is_open(alarm):
        raise Refused(ENDED, 409)


def _count(request, kind: str, alarm: Alarm, limit_window) -> bool:
    limiter = getattr(request, "rate_limiter", None)
    if limiter is None:
        return True
    limit, window = limit_window
    return limiter.hit(f"alarm-{kind}:{alarm.id}", limit, window)


def _retry_after(request, kind: str, alarm: Alarm, window: int) -> int:
    return request.rate_limiter.retry_after(f"alarm-{kind}:{alarm.id}", window)


def post_message(request, alarm: Alarm, text: str, nonce=None, *, sender="public", params=None) -> AlarmMessage:
    """One line from the sender (or a guardian of the trip that raised it) into the thread; Refused
    for an ended alarm (409), an empty or an oversized text (400). The same `nonce` sent again
    returns the line it stored."""
    resent = idempotency.resent_message(request.dbsession, alarm, nonce)
    if resent is not None:
        return resent
    _require_open(alarm)
    text = (text or "").strip()
    if not text:
        raise Refused(_("Write a message first."), 400, "text")
    if len(text) > MAX_MESSAGE:
        raise Refused(_("The message is too long: at most ${n} characters.", mapping={"n": MAX_MESSAGE}), 400, "text")
    if not _count(request, "message", alarm, MESSAGE_FLOOD):
        raise Flood(_retry_after(request, "message", alarm, MESSAGE_FLOOD[1]))
    message = AlarmMessage(alarm_id=alarm.id, sender=sender, text=text, params=params,
                           client_nonce=idempotency.well_formed(nonce))
    if not insert_once(request.dbsession, message):
        return idempotency.resent_message(request.dbsession, alarm, nonce)  # the same press, stored meanwhile
    request.dbsession.expire(alarm, ["messages"])  # the thread, read again with this line
    alarm.updated_at = utcnow()
    request.dbsession.flush()
    return message


def latest_location(dbsession, alarm: Alarm) -> AlarmLocation | None:
    """The newest later position, read alone (the track can be long)."""
    return dbsession.execute(
        select(AlarmLocation).where(AlarmLocation.alarm_id == alarm.id).order_by(AlarmLocation.id.desc()).limit(1)
    ).scalar_one_or_none()


def add_location(request, alarm: Alarm, lat, lon, accuracy_m=None, located_at=None) -> tuple[AlarmLocation, bool]:
    """Record where the sender is now; returns (row, merged).

    Refused for an unusable position (400 malformed, 422 stale or too coarse). A point that follows
    the newest one within LOCATION_MIN_INTERVAL seconds replaces it instead of adding a row, so a chatty phone costs one
    row per interval and the latest point is never lost; past the flood limit the point is still
    kept that way and Flood tells the page to slow down."""
    _require_open(alarm)
    position = check_position(lat, lon, accuracy_m, located_at, required=True)
    flooding = not _count(request, "location", alarm, LOCATION_FLOOD)
    newest = latest_location(request.dbsession, alarm)
    now = utcnow()
    if newest is not None and not position.time_replaced and \
            (newest.located_at, newest.lat, newest.lon) == (position.located_at, position.lat, position.lon):
        return newest, True  # the same fix sent again (its answer was lost): stored once
    if newest is not None and newest.located_at > position.located_at:
        # An older fix arriving late (a retried request): the newer one already stands.
        if flooding:
            raise Flood(_retry_after(request, "location", alarm, LOCATION_FLOOD[1]))
        return newest, True
    merged = newest is not None and (now - newest.received_at).total_seconds() < LOCATION_MIN_INTERVAL
    if merged:
        newest.lat, newest.lon, newest.accuracy_m = position.lat, position.lon, position.accuracy_m
        newest.located_at = position.located_at
        row = newest
    else:
        row = AlarmLocation(alarm=alarm, lat=position.lat, lon=position.lon, accuracy_m=position.accuracy_m,
                            located_at=position.located_at, received_at=now)
        request.dbsession.add(row)
    if alarm.lat is None:  # the first usable position becomes the alarm's own (it arrived without one)
        alarm.lat, alarm.lon, alarm.accuracy_m, alarm.located_at = (
            position.lat, position.lon, position.accuracy_m, position.located_at)
    alarm.updated_at = now
    request.dbsession.flush()
    if flooding:
        raise Flood(_retry_after(request, "location", alarm, LOCATION_FLOOD[1]))
    return row, merged


def add_photos(request, alarm: Alarm, fields) -> list[AlarmMessage]:
    """Attach photos to the thread. The Media rows never belong to a notice, so nothing public
    shows them. UploadRefused (before anything is stored) for a bad file or too many photos."""
    _require_open(alarm)
    fields = list(fields)
    if not fields:
        raise UploadRefused(_("Choose a photo first."))
    already = request.dbsession.execute(
        select(func.count(AlarmMessage.id)).where(AlarmMessage.alarm_id == alarm.id,
                                                   AlarmMessage.media_id.is_not(None))
    ).scalar_one()
    if already + len(fields) > MAX_PHOTOS:
        raise UploadRefused(_("At most ${n} photos can be sent.", mapping={"n": MAX_PHOTOS}))
    messages = []
    for media in store_photos(request, check_photos(fields, PHOTO_LIMITS)):
        media.notice_id = None
        request.dbsession.add(media)
        message = AlarmMessage(alarm=alarm, sender="public", media=media)
        request.dbsession.add(message)
        messages.append(message)
    alarm.updated_at = utcnow()
    request.dbsession.flush()
    audit.record(request, "alarm.photo_added", officer=None, actor="public", object_type="alarm",
                 object_id=alarm.id, reason=f"{len(messages)} photo(s)")
    return messages


def cancel(request, alarm: Alarm) -> None:
    """The sender calls the alarm off: recorded as a transition, nothing deleted. Refused
    when it already ended."""
    ALARM_WORKFLOW.apply(request, alarm, "cancel", actor="public", context=LinkHolder(SENDER),
                         reason="cancelled by the sender")
    now = utcnow()
    alarm.ended_at, alarm.updated_at = now, now
    alarm.outcome = alarm.outcome or "cancelled by the sender"
    request.dbsession.add(AlarmMessage(alarm=alarm, sender="system", text=str(_("The sender cancelled the alarm."))))
    request.dbsession.flush()
    events.alarm_ended(request, alarm)  # its open call ends with it (calls/__init__.py)


OVERLAP = timedelta(seconds=10)  # polls resend what changed this recently (rows that committed late)


def messages(dbsession, alarm: Alarm, after_id: int = 0, *, now=None) -> list[AlarmMessage]:
    """Thread lines after `after_id`, and those of the last OVERLAP again: a line that committed late
    has a smaller id than one already shown, and must not be lost (pages skip ids they have)."""
    horizon = (now or utcnow()) - OVERLAP
    return dbsession.execute(
        select(AlarmMessage).where(AlarmMessage.alarm_id == alarm.id,
                                   (AlarmMessage.id > after_id) | (AlarmMessage.created_at > horizon))
        .order_by(AlarmMessage.id)
    ).scalars().all()


def sms_body(message: str, *, lat=None, lon=None, accuracy_m=None, located_at=None, place="") -> str:
    """The prefilled SMS text: the short message, then where and when (coordinates to 5 decimals,
    about a metre)."""
    parts = [message.strip()]
    if lat is not None and lon is not None:
        where = f"{float(lat):.5f},{float(lon):.5f}"
        if accuracy_m is not None:
            where += f" ±{round(float(accuracy_m))}m"
        parts.append(where)
    if place:
        parts.append(place.strip())
    if located_at is not None:
        parts.append(local_time(located_at) + " UTC+8")
    return " ".join(p for p in parts if p)


def message_text(request, message: AlarmMessage) -> str:
    """What a thread line says in the reader's language: system lines are stored as their source text
    (a msgid, with parameters) and translated when shown, to the sender and to the dispatcher alike."""
    return thread.text_of(request, message)
