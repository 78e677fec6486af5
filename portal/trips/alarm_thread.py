"""A trip's alarm goes on: once it is raised (by a guardian, the traveller or the worker), the
traveller's page becomes that alarm's sender page, positions sent from an old trip page flow on into
the alarm's track, and the guardians read the dispatcher's lines and write their own.

The traveller needs the alarm's secret link, which is never stored: it is derived from the trip (its
token's hash and a server key, alarms/idempotency.py), so whoever holds the trip's own link reaches
it, and a copy of the database does not."""
from portal.alarms import idempotency
from portal.alarms import raising as alarms
from portal.alarms.models import Alarm, AlarmMessage
from portal.alarms.thread import guardian_label
from portal.core.i18n import _
from portal.core.localtime import local_time
from portal.core.refused import Refused
from portal.trips.models import Trip, TripGuardian
from portal.trips.services import alarm_nonce, alarm_of

NOT_RAISED = _("No alarm has been raised for this trip.")


def sender_link(request, trip: Trip) -> str | None:
    """The path of the trip's alarm's sender page, for the traveller only; None without an alarm
    (or for one raised before links were derived from the trip)."""
    alarm = alarm_of(request.dbsession, trip)
    if alarm is None or trip.purged_at is not None:
        return None
    token, hashed = idempotency.token_for(request, alarm_nonce(trip))
    if alarm.token_hash != hashed:
        return None
    return request.route_path("alarm_sender", token=token)


def _open_alarm(request, trip: Trip) -> Alarm:
    alarm = alarm_of(request.dbsession, trip)
    if alarm is None:
        raise Refused(NOT_RAISED, 409)
    if not alarms.is_open(alarm):
        raise Refused(alarms.ENDED, 409)
    return alarm


def forward_point(request, trip: Trip, *, lat, lon, accuracy_m=None, located_at=None):
    """A position from a trip page still open after the alarm was raised: into the alarm's track
    (the traveller is followed by the dispatcher now), never refused for the trip having ended.
    Returns the alarm's location row; Refused when the alarm itself ended or the position is unusable."""
    alarm = _open_alarm(request, trip)
    row, _merged = alarms.add_location(request, alarm, lat, lon, accuracy_m, located_at)
    return row


def guardian_writes(request, guardian: TripGuardian, text: str, nonce=None) -> AlarmMessage:
    """A guardian's line in the trip's alarm's thread, under the name the traveller gave them (a
    parameter of the line: the trip's purge blanks it with the trip's other values)."""
    alarm = _open_alarm(request, guardian.trip)
    return alarms.post_message(request, alarm, text, nonce, sender="guardian", params={"label": guardian.label})


def thread(request, trip: Trip) -> list[dict]:
    """The alarm's thread as a guardian reads it: every line (the traveller's, the dispatcher's, the
    other guardians', the system's), translated; photos named, not shown."""
    alarm = alarm_of(request.dbsession, trip)
    if alarm is None or trip.purged_at is not None:
        return []
    return [line_json(request, message) for message in alarms.messages(request.dbsession, alarm)]


WHO = {"public": _("Traveller"), "dispatcher": _("Dispatcher"), "system": _("Note"), "guardian": _("Guardian")}


def line_json(request, message: AlarmMessage) -> dict:
    who = request.localizer.translate(WHO.get(message.sender, WHO["system"]))
    if message.sender == "guardian":
        who = f"{who} · {guardian_label(request, message)}"
    text = request.localizer.translate(_("Photo sent")) if message.media_id else alarms.message_text(request, message)
    return {"id": message.id, "sender": message.sender, "who": who, "text": text,
            "at": local_time(message.created_at, "%H:%M")}
