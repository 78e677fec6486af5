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

from portal.alarms import events, handover
from portal.alarms.models import ALARM_STATES, Alarm, AlarmLocation, AlarmMessage

# One thread query and one text rule for sender and console; OVERLAP: the feed resends what changed
# this recently (late commits). CONTACT_LABEL and MAX_MESSAGE: the alarm's own, so they cannot drift.
from portal.alarms.raising import CONTACT_LABEL, MAX_MESSAGE, OVERLAP, message_text, messages  # noqa: F401
from portal.alarms.thread import guardian_label
from portal.alarms.workflow import ALARM_WORKFLOW
from portal.audit import chain as audit
from portal.audit.models import AuditEvent
from portal.audit.sentences import flood_text
from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.media.models import Media
from portal.privacy import protected
from portal.units.models import Unit
from portal.units.scope import in_scope_clause

OPEN_STATES = ("new", "acknowledged", "dispatched")
ENDED_STATES = ("closed", "cancelled")
RECENT = timedelta(hours=12)  # ended alarms the console still lists
LOOKBACK = timedelta(days=7)  # how far back the feed looks for alarms that ended (keeps it on the index)
ENDED_LIMIT = 50
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
KIND_LABELS = {"text": _("text alarm"), "silent": _("silent alarm"), "video": _("video alarm"),
               "silent_video": _("silent video alarm"), "voice": _("voice alarm")}
SENDER_LABELS = {"public": _("Sender"), "dispatcher": _("Dispatcher"), "system": _("System"),
                 "guardian": _("Guardian")}
STATE_ORDER = {state: index for index, state in enumerate(OPEN_STATES + ENDED_STATES)}


# -- reading ---------------------------------------------------------------------------------

def scope_units(officer):
    return select(Unit.id).where(in_scope_clause(officer))


def console(dbsession, officer, *, now=None) -> dict:
    """The console's lists: every open alarm in the officer's scope (new first, then acknowledged,
    then dispatched; newest first in each), and those that ended within RECENT."""
    now = now or utcnow()
    scope = scope_units(officer)
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
        select(func.count(Alarm.id)).where(Alarm.unit_id.in_(scope_units(officer)), Alarm.state.in_(OPEN_STATES))
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
        "flagged": alarm.flagged, "flag_reason": flood_text(request, alarm.flag_reason),
        "unit": alarm.unit.name(request.locale_name), "unit_code": alarm.unit.code,
        "created_at": _iso(alarm.created_at), "received": local_time(alarm.created_at, "%Y-%m-%d %H:%M:%S"),
        "place": alarm.place, "located": alarm.lat is not None,
        "lat": alarm.lat, "lon": alarm.lon, "accuracy_m": alarm.accuracy_m,
        "trip": alarm.trip_id is not None,
        **counts,
    }


# -- the feed --------------------------------------------------------------------------------


# -- one alarm -------------------------------------------------------------------------------

def photo_url(request, media_id: int) -> str:
    return request.route_path("staff_alarm_photo", id=media_id)


def message_json(request, message: AlarmMessage) -> dict:
    from portal.core.localtime import local_time

    translate = request.localizer.translate
    who = translate(SENDER_LABELS.get(message.sender, message.sender))
    if message.sender == "dispatcher" and message.officer is not None:
        who = f"{who} · {message.officer.display_name}"
    who = f"{who} · {guardian_label(request, message)}" if message.sender == "guardian" else who
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
    if alarm.state in ALARM_WORKFLOW.final:
        events.alarm_ended(request, alarm)  # its open call ends with it (calls/__init__.py)


def send_message(request, alarm: Alarm, text: str, *, officer=None) -> AlarmMessage:
    """A line from the dispatcher to the sender. Audited without its words (they are in the thread)."""
    officer = officer if officer is not None else request.identity
    text = (text or "").strip()
    if not text:
        raise Refused(_("Write a message first."), 400, "text")
    if len(text) > MAX_MESSAGE:
        raise Refused(_("The message is too long: at most ${n} characters.", mapping={"n": MAX_MESSAGE}), 400, "text")
    if alarm.state not in OPEN_STATES:
        raise Refused(ALARM_WORKFLOW.final_message, 409, "text")
    message = AlarmMessage(alarm=alarm, sender="dispatcher", officer_id=officer.id, text=text)
    request.dbsession.add(message)
    request.dbsession.flush()
    audit.record(request, "alarm.message", officer=officer, object_type="alarm", object_id=alarm.id,
                 reason=f"message {message.id}")
    return message


def reveal_contact(request, alarm: Alarm, reason: str, *, officer=None):
    """The sender's contact for this response only; the showing is audited first (Refused
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


def handed_contacts(dbsession, alarm: Alarm) -> list[dict]:
    """People another domain handed over with the alarm (a trip's guardians), contacts still sealed."""
    return [person for source in handover.SOURCES if source.contacts is not None
            for person in source.contacts(dbsession, alarm)]


def reveal_handed_contact(request, alarm: Alarm, person_id: int, reason: str, *, officer=None) -> dict:
    """One handed-over person's contact for this response only, audited first with the reason
    (Refused without one, or for a person who is not this alarm's)."""
    person = next((p for p in handed_contacts(request.dbsession, alarm) if p["id"] == person_id), None)
    if person is None:
        raise Refused(_("Choose one of the people listed on this page."), 400, "person")
    if not person["sealed"]:
        raise Refused(_("No contact was left for this person, or it was deleted after the trip."), 400, "person")
    value = protected.reveal(request, person["sealed"], officer=officer if officer is not None else request.identity,
                             label=person["cipher_label"], object_type="alarm", object_id=alarm.id,
                             reason=f"{reason} (guardian {person['id']})")
    try:
        parsed = json.loads(value or "{}")
    except ValueError:
        return {"text": value}
    return parsed if isinstance(parsed, dict) else {"text": str(parsed)}


assert set(STATE_LABELS) == set(ALARM_STATES)  # noqa: S101 - a new state needs a label
