"""The dispatcher's side of alarms: the console and its live feed, the steps (acknowledge, dispatch,
close), the thread with the sender, and the sender's contact on request.

Every step goes through ALARM_WORKFLOW (audited) and leaves a system line in the thread, so the
person in danger sees on their own page that someone is on it. System lines are stored as their
English source text and translated when shown (see message_text), so each side reads its language.

The feed is polled every couple of seconds by each open console, so it is built from narrow,
indexed queries: open alarms by (unit, state) on ix_alarms_console, new thread lines and positions
by primary key. Rows committed a little out of order are not lost: the cursor stays OVERLAP behind
the newest rows, so recent changes are sent again and the console applies them idempotently."""
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.alarms import handover
from portal.alarms.models import ALARM_STATES, Alarm, AlarmLocation, AlarmMessage

# One thread query and one text rule for sender and console; OVERLAP: the feed resends what changed
# this recently (late commits). CONTACT_LABEL and MAX_MESSAGE: the alarm's own, so they cannot drift.
from portal.alarms.raising import CONTACT_LABEL, MAX_MESSAGE, OVERLAP, message_text, messages  # noqa: F401
from portal.alarms.workflow import ALARM_WORKFLOW
from portal.audit import chain as audit
from portal.audit.models import AuditEvent
from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.media.models import Media
from portal.privacy import protected
from portal.units.models import Unit
from portal.units.scope import in_scope_clause

OPEN_STATES = ("new", "acknowledged", "dispatched")
ENDED_STATES = ("closed", "cancelled")
RECENT = timedelta(hours=12)  # ended alarms the console still lists
LOOKBACK = timedelta(days=7)  # how far back the feed looks for alarms that ended (keeps it on the index)
ENDED_LIMIT = 50
CATCH_UP = 1000  # rows a new console looks back over for its first cursor
FEED_ROWS = 5000  # thread lines or positions read per poll (a console back from sleep catches up in steps)
PREVIEW = 160
TRACK_LIMIT = 500  # positions drawn and listed; the newest are kept

# The thread line the sender sees after each step (English source text, translated when shown).
SYSTEM_TEXTS = {
    "acknowledge": _("Your alarm was received by the dispatcher."),
    "dispatch": _("Help is on the way."),
    "close": _("The dispatcher closed this alarm."),
}
STATE_LABELS = {
    "new": _("new"), "acknowledged": _("acknowledged"), "dispatched": _("help dispatched"),
    "closed": _("closed"), "cancelled": _("cancelled by the sender"),
}
KIND_LABELS = {"text": _("text alarm"), "silent": _("silent alarm")}
SENDER_LABELS = {"public": _("Sender"), "dispatcher": _("Dispatcher"), "system": _("System")}
STATE_ORDER = {state: index for index, state in enumerate(OPEN_STATES + ENDED_STATES)}


class MessageRefused(Exception):
    """A dispatcher's message that cannot be sent (empty, too long, or the alarm has ended)."""


class BadFeedCursor(ValueError):
    """A feed cursor this server did not make."""


# -- reading ---------------------------------------------------------------------------------

def _scope_units(officer):
    return select(Unit.id).where(in_scope_clause(officer))


def console(dbsession, officer, *, now=None) -> dict:
    """The console's lists: every open alarm in the officer's scope (new first, then acknowledged,
    then dispatched; newest first in each), and those that ended within RECENT."""
    now = now or utcnow()
    scope = _scope_units(officer)
    open_rows = dbsession.execute(
        select(Alarm).where(Alarm.unit_id.in_(scope), Alarm.state.in_(OPEN_STATES))
        .options(selectinload(Alarm.unit)).order_by(Alarm.created_at.desc(), Alarm.id.desc())
    ).scalars().all()
    open_rows = sorted(open_rows, key=lambda a: STATE_ORDER[a.state])  # stable: newest first within a state
    ended_at = func.coalesce(Alarm.ended_at, Alarm.updated_at)
    ended_rows = dbsession.execute(
        select(Alarm).where(Alarm.unit_id.in_(scope), Alarm.state.in_(ENDED_STATES),
                            Alarm.created_at >= now - LOOKBACK, ended_at >= now - RECENT)
        .options(selectinload(Alarm.unit)).order_by(ended_at.desc(), Alarm.id.desc()).limit(ENDED_LIMIT)
    ).scalars().all()
    return {"open": open_rows, "ended": ended_rows}


def open_count(dbsession, officer) -> int:
    return dbsession.execute(
        select(func.count(Alarm.id)).where(Alarm.unit_id.in_(_scope_units(officer)), Alarm.state.in_(OPEN_STATES))
    ).scalar_one()


def counts_for(dbsession, alarm_ids) -> dict[int, dict]:
    """Per alarm: lines in the thread from the sender, all lines, positions after the first, the
    first words of the sender's text (the alarm text is the first line they wrote)."""
    ids = list(alarm_ids)
    found = {i: {"messages": 0, "public_messages": 0, "locations": 0, "text": ""} for i in ids}
    if not ids:
        return found
    for alarm_id, sender, n in dbsession.execute(
        select(AlarmMessage.alarm_id, AlarmMessage.sender, func.count())
        .where(AlarmMessage.alarm_id.in_(ids)).group_by(AlarmMessage.alarm_id, AlarmMessage.sender)
    ):
        found[alarm_id]["messages"] += n
        if sender == "public":
            found[alarm_id]["public_messages"] = n
    for alarm_id, n in dbsession.execute(
        select(AlarmLocation.alarm_id, func.count()).where(AlarmLocation.alarm_id.in_(ids))
        .group_by(AlarmLocation.alarm_id)
    ):
        found[alarm_id]["locations"] = n
    first = (select(func.min(AlarmMessage.id)).where(AlarmMessage.alarm_id.in_(ids), AlarmMessage.sender == "public")
             .group_by(AlarmMessage.alarm_id))
    for alarm_id, text in dbsession.execute(
        select(AlarmMessage.alarm_id, AlarmMessage.text).where(AlarmMessage.id.in_(first))
    ):
        found[alarm_id]["text"] = text if len(text) <= PREVIEW else text[:PREVIEW - 1] + "…"
    return found


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value is not None else None


def summary(request, alarm: Alarm, counts: dict) -> dict:
    """One console row as JSON: never the sender's contact."""
    from portal.core.localtime import local_time

    translate = request.localizer.translate
    return {
        "id": alarm.id, "url": request.route_path("staff_alarm", id=alarm.id),
        "state": alarm.state, "state_label": translate(STATE_LABELS[alarm.state]),
        "open": alarm.state in OPEN_STATES,
        "kind": alarm.kind, "kind_label": translate(KIND_LABELS.get(alarm.kind, KIND_LABELS["silent"])),
        "flagged": alarm.flagged, "flag_reason": alarm.flag_reason,
        "unit": alarm.unit.name(request.locale_name), "unit_code": alarm.unit.code,
        "created_at": _iso(alarm.created_at), "received": local_time(alarm.created_at, "%Y-%m-%d %H:%M:%S"),
        "place": alarm.place, "located": alarm.lat is not None,
        "lat": alarm.lat, "lon": alarm.lon, "accuracy_m": alarm.accuracy_m,
        "trip": alarm.trip_id is not None,
        **counts,
    }


# -- the feed --------------------------------------------------------------------------------

def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def encode_feed_cursor(since: datetime, message_id: int, location_id: int) -> str:
    return f"v1.{_ms(since)}.{message_id}.{location_id}"


def decode_feed_cursor(cursor: str) -> tuple[datetime, int, int]:
    parts = (cursor or "").split(".")
    if len(parts) != 4 or parts[0] != "v1" or not all(p.isdigit() and len(p) <= 15 for p in parts[1:]):
        raise BadFeedCursor(cursor)
    try:
        since = datetime.fromtimestamp(int(parts[1]) / 1000, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise BadFeedCursor(cursor) from exc
    return since, int(parts[2]), int(parts[3])


def _settled_id(dbsession, model, horizon: datetime) -> int:
    """The newest id of `model` older than `horizon` (looking only at the last CATCH_UP rows, on the
    primary key): rows after it may still be committing, so the first poll reads them again."""
    at = model.received_at if model is AlarmLocation else model.created_at
    newest = dbsession.execute(select(func.max(model.id))).scalar_one() or 0
    floor = max(0, newest - CATCH_UP)
    settled = dbsession.execute(select(func.max(model.id)).where(model.id > floor, at <= horizon)).scalar_one()
    return settled if settled is not None else floor


def start_cursor(dbsession, *, now=None) -> str:
    """The cursor of a console rendered now: later polls report what changes after this."""
    horizon = (now or utcnow()) - OVERLAP
    return encode_feed_cursor(horizon, _settled_id(dbsession, AlarmMessage, horizon),
                              _settled_id(dbsession, AlarmLocation, horizon))


def _new_rows(dbsession, model, after_id: int, horizon: datetime) -> tuple[set[int], int]:
    """Alarms with rows of `model` after `after_id` (by primary key: cheap), and the next cursor.
    The cursor stays before any row newer than `horizon`, so a row that commits late (with a
    smaller id than one already read) is still read; the caller filters the alarms by scope."""
    at = model.received_at if model is AlarmLocation else model.created_at
    rows = dbsession.execute(
        select(model.id, model.alarm_id, at).where(model.id > after_id).order_by(model.id).limit(FEED_ROWS)
    ).all()
    recent = [row_id for row_id, _alarm, created in rows if created > horizon]
    if recent:
        next_id = max(after_id, min(recent) - 1)
    else:
        next_id = rows[-1][0] if rows else after_id
    return {alarm_id for _row, alarm_id, _at in rows}, next_id


def feed(request, officer, cursor: str, *, now=None) -> dict:
    """What changed in the officer's scope since `cursor`: new alarms, changed states, new thread
    lines and positions (as updated console rows), every open alarm's id, and the next cursor.
    Raises BadFeedCursor for a cursor this server did not make."""
    dbsession = request.dbsession
    now = now or utcnow()
    if not cursor:
        return snapshot(request, officer, now=now)
    since, message_id, location_id = decode_feed_cursor(cursor)
    horizon = now - OVERLAP
    scope = _scope_units(officer)
    open_ids = dbsession.execute(
        select(Alarm.id).where(Alarm.unit_id.in_(scope), Alarm.state.in_(OPEN_STATES))
        .order_by(Alarm.created_at.desc(), Alarm.id.desc())
    ).scalars().all()
    changed = set(dbsession.execute(
        select(Alarm.id).where(Alarm.unit_id.in_(scope), Alarm.state.in_(OPEN_STATES), Alarm.updated_at > since)
    ).scalars())
    changed |= set(dbsession.execute(
        select(Alarm.id).where(Alarm.unit_id.in_(scope), Alarm.state.in_(ENDED_STATES),
                               Alarm.created_at >= now - LOOKBACK, Alarm.updated_at > since)
    ).scalars())
    with_messages, message_id = _new_rows(dbsession, AlarmMessage, message_id, horizon)
    with_locations, location_id = _new_rows(dbsession, AlarmLocation, location_id, horizon)
    changed |= with_messages | with_locations
    alarms = dbsession.execute(
        select(Alarm).where(Alarm.id.in_(changed), Alarm.unit_id.in_(scope)).options(selectinload(Alarm.unit))
        .order_by(Alarm.created_at.desc(), Alarm.id.desc())
    ).scalars().all() if changed else []
    # Thread lines of alarms that ended long ago do not bring them back onto the console.
    alarms = [a for a in alarms if a.state in OPEN_STATES or (a.ended_at or a.updated_at) >= now - RECENT]
    counts = counts_for(dbsession, [a.id for a in alarms])
    return {
        "cursor": encode_feed_cursor(horizon, message_id, location_id),
        "alarms": [summary(request, a, counts[a.id]) for a in alarms],
        "open_ids": list(open_ids),
        "open_count": len(open_ids),
    }


def snapshot(request, officer, *, now=None) -> dict:
    """The feed without a cursor: every row of the console now, and the cursor to go on from."""
    now = now or utcnow()
    cursor = start_cursor(request.dbsession, now=now)
    lists = console(request.dbsession, officer, now=now)
    alarms = lists["open"] + lists["ended"]
    counts = counts_for(request.dbsession, [a.id for a in alarms])
    open_ids = [a.id for a in lists["open"]]
    return {"cursor": cursor, "alarms": [summary(request, a, counts[a.id]) for a in alarms],
            "open_ids": open_ids, "open_count": len(open_ids)}


# -- one alarm -------------------------------------------------------------------------------

def photo_url(request, media_id: int) -> str:
    return request.route_path("staff_alarm_photo", id=media_id)


def message_json(request, message: AlarmMessage) -> dict:
    from portal.core.localtime import local_time

    translate = request.localizer.translate
    who = translate(SENDER_LABELS.get(message.sender, message.sender))
    if message.sender == "dispatcher" and message.officer is not None:
        who = f"{who} · {message.officer.display_name}"
    return {"id": message.id, "sender": message.sender, "who": who, "text": message_text(request, message),
            "photo": photo_url(request, message.media_id) if message.media_id else None,
            "at": _iso(message.created_at), "local": local_time(message.created_at, "%H:%M:%S")}


def point_json(point) -> dict:
    from portal.core.localtime import local_time

    return {"id": point.id, "lat": point.lat, "lon": point.lon, "accuracy_m": point.accuracy_m,
            "at": _iso(point.located_at), "local": local_time(point.located_at, "%H:%M:%S")}


def locations(dbsession, alarm: Alarm, after_id: int = 0, *, now=None) -> list[AlarmLocation]:
    """Later positions after `after_id` (and those of the last OVERLAP), oldest first, at most
    TRACK_LIMIT of the newest."""
    horizon = (now or utcnow()) - OVERLAP
    rows = dbsession.execute(
        select(AlarmLocation).where(AlarmLocation.alarm_id == alarm.id,
                                    (AlarmLocation.id > after_id) | (AlarmLocation.received_at > horizon))
        .order_by(AlarmLocation.id.desc()).limit(TRACK_LIMIT)
    ).scalars().all()
    return rows[::-1]


def trip_track(dbsession, alarm: Alarm) -> list:
    """The track handed over with the alarm (a trip's, when a guardian or a missed arrival raised it),
    oldest first."""
    for source in handover.SOURCES:
        points = source.track(dbsession, alarm, TRACK_LIMIT)
        if points:
            return list(points)
    return []


def photos(dbsession, alarm: Alarm) -> list[Media]:
    """Photos the sender sent in the thread, then those handed over with the alarm (a trip's)."""
    sent = dbsession.execute(
        select(Media).join(AlarmMessage, AlarmMessage.media_id == Media.id)
        .where(AlarmMessage.alarm_id == alarm.id).order_by(AlarmMessage.id)
    ).scalars().all()
    handed = [media for source in handover.SOURCES for media in source.photos(dbsession, alarm)]
    return list(sent) + [m for m in handed if m not in sent]


def alarm_of_photo(dbsession, media_id: int) -> Alarm | None:
    """The alarm a photo belongs to (sent in its thread, or from its trip), for the photo's ACL."""
    alarm = dbsession.execute(
        select(Alarm).join(AlarmMessage, AlarmMessage.alarm_id == Alarm.id).where(AlarmMessage.media_id == media_id)
        .limit(1)
    ).scalar_one_or_none()
    for source in handover.SOURCES:
        if alarm is not None:
            break
        alarm = source.alarm_of_photo(dbsession, media_id)
    return alarm


def updates(request, alarm: Alarm, *, after_message: int = 0, after_location: int = 0) -> dict:
    """The detail page's poll: state, new thread lines, new positions."""
    now = utcnow()
    return {
        "id": alarm.id, "state": alarm.state, "state_label": request.localizer.translate(STATE_LABELS[alarm.state]),
        "open": alarm.state in OPEN_STATES,
        "messages": [message_json(request, m) for m in messages(request.dbsession, alarm, after_message, now=now)],
        "locations": [point_json(p) for p in locations(request.dbsession, alarm, after_location, now=now)],
    }


def history(dbsession, alarm: Alarm) -> list[AuditEvent]:
    return dbsession.execute(
        select(AuditEvent).where(AuditEvent.object_type == "alarm", AuditEvent.object_id == str(alarm.id))
        .order_by(AuditEvent.id)
    ).scalars().all()


# -- acting ----------------------------------------------------------------------------------

def steps_for(request, alarm: Alarm, context=None):
    """The steps the signed-in officer may take now (never the sender's cancel: no officer holds it)."""
    return ALARM_WORKFLOW.available(request, alarm, context=context)


def transition(request, alarm: Alarm, name: str, reason: str = "", *, context=None) -> None:
    """One dispatcher step through the workflow (audited; Refused without the role, from a state it
    cannot leave, or without the note or outcome it needs), then its time, its text and a line for
    the sender."""
    reason = (reason or "").strip()
    ALARM_WORKFLOW.apply(request, alarm, name, reason=reason, context=context)
    now = utcnow()
    if name == "acknowledge":
        alarm.acknowledged_at = now
    elif name == "dispatch":
        alarm.acknowledged_at = alarm.acknowledged_at or now  # dispatching implies it was seen
        alarm.dispatched_at = now
        alarm.dispatch_note = reason
    else:
        alarm.ended_at = now
        alarm.outcome = reason
    alarm.updated_at = now
    request.dbsession.add(AlarmMessage(alarm=alarm, sender="system", text=SYSTEM_TEXTS[name]))
    request.dbsession.flush()


def send_message(request, alarm: Alarm, text: str, *, officer=None) -> AlarmMessage:
    """A line from the dispatcher to the sender. Audited without its words (they are in the thread)."""
    officer = officer if officer is not None else request.identity
    text = (text or "").strip()
    if not text:
        raise MessageRefused("empty")
    if len(text) > MAX_MESSAGE:
        raise MessageRefused("too long")
    if alarm.state not in OPEN_STATES:
        raise MessageRefused("ended")
    message = AlarmMessage(alarm=alarm, sender="dispatcher", officer_id=officer.id, text=text)
    request.dbsession.add(message)
    request.dbsession.flush()
    audit.record(request, "alarm.message", officer=officer, object_type="alarm", object_id=alarm.id,
                 reason=f"message {message.id}")
    return message


def reveal_contact(request, alarm: Alarm, reason: str, *, officer=None):
    """The sender's contact for this response only; the showing is audited first (RevealRefused
    without a reason). A dict (name, phone) or the text as it was given; None when none was left."""
    officer = officer if officer is not None else request.identity
    value = protected.reveal(request, alarm.sender_contact, officer=officer, label=CONTACT_LABEL,
                             object_type="alarm", object_id=alarm.id, reason=reason)
    if not value:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return {"text": value}
    return parsed if isinstance(parsed, dict) else {"text": str(parsed)}


assert set(STATE_LABELS) == set(ALARM_STATES)  # noqa: S101 - a new state needs a label
