"""The trip guardian's worker jobs: missed arrivals marked overdue (guardians told), unanswered ones
raised as alarms, abandoned ones expired, and ended trips' tracks, photos and contacts deleted after
the retention period."""
import json
from datetime import timedelta

from sqlalchemy import delete, exists, select

from portal.alarms import thread
from portal.alarms.models import Alarm, AlarmMessage
from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.localtime import local_time
from portal.core.meta import utcnow
from portal.media.retention import delete_media
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from portal.privacy import retention
from portal.trips.models import Trip, TripGuardian, TripPoint
from portal.trips.services import GUARDIAN_CONTACT_LABEL, OPEN_ALARM_STATES, escalate
from portal.trips.workflow import TRIP_WORKFLOW

# What a guardian who left a contact is told when the trip has not arrived: the label they know the
# traveller by, two times, nothing else (outbox/templates.py).
OVERDUE_MESSAGE = outbox.template(
    "trip.overdue", _("Safety Portal: the trip you are guarding (${label}) has not arrived: it was expected at "
                      "${arrival} (Beijing time). Open your guardian link and answer \"I am on it\", or the police are "
                      "alerted automatically at ${deadline}."), ("label", "arrival", "deadline"),
    subject=_("Safety Portal: the trip you are guarding has not arrived"))


def _setting(request, name) -> int:
    return int(request.registry.settings[name])


def mark_overdue(request, now=None) -> int:
    """Active trips past their expected arrival become overdue: every guardian page shows it, and
    guardians who left a contact get a notice through the outbox."""
    now = now or utcnow()
    escalate_minutes = _setting(request, "portal.trip.escalate_minutes")
    due = request.dbsession.execute(
        select(Trip).where(Trip.state == "active", Trip.overdue_at.is_(None), Trip.expected_arrival_at <= now)
    ).scalars().all()
    for trip in due:
        trip.overdue_at = now
        notified = 0
        for guardian in trip.guardians:
            if guardian.contact is None:
                continue
            contact = json.loads(request.registry["field_cipher"].decrypt(guardian.contact, GUARDIAN_CONTACT_LABEL))
            channel, recipient = next(iter(contact.items()))
            outbox.send_template(request, channel, recipient, OVERDUE_MESSAGE, {
                "label": guardian.label, "arrival": local_time(trip.expected_arrival_at, "%H:%M"),
                "deadline": local_time(now + timedelta(minutes=escalate_minutes), "%H:%M")},
                request.localizer.locale_name, ("trip", trip.id), send_after=now)
            notified += 1
        audit.record(request, "trip.overdue", officer=None, actor="system", object_type="trip", object_id=trip.id,
                     reason=f"expected arrival passed; {notified} guardians notified")
    return len(due)


def _answered():
    """Some guardian said "I am on it" for the trip."""
    return exists(select(TripGuardian.id).where(TripGuardian.trip_id == Trip.id,
                                                 TripGuardian.answered_at.is_not(None)))


def escalate_unanswered(request, now=None) -> int:
    """Overdue trips that no guardian answered in time raise an alarm themselves."""
    now = now or utcnow()
    minutes = _setting(request, "portal.trip.escalate_minutes")
    due = request.dbsession.execute(
        select(Trip).where(Trip.state == "active", Trip.overdue_at.is_not(None),
                           Trip.overdue_at <= now - timedelta(minutes=minutes), ~_answered())
    ).scalars().all()
    for trip in due:
        escalate(request, trip, minutes, now)
    return len(due)


def expire_abandoned(request, now=None) -> int:
    """Active trips long past their arrival time with no recent position end as expired: only those a
    guardian answered. An unanswered one must escalate to an alarm, however late the worker runs."""
    now = now or utcnow()
    since = now - timedelta(hours=_setting(request, "portal.trip.expire_hours"))
    recent = exists(select(TripPoint.id).where(TripPoint.trip_id == Trip.id, TripPoint.received_at > since))
    due = request.dbsession.execute(
        select(Trip).where(Trip.state == "active", Trip.expected_arrival_at <= since, ~recent, _answered())
    ).scalars().all()
    for trip in due:
        TRIP_WORKFLOW.apply(request, trip, "expire", actor="system",
                            reason="no arrival and no position long after the expected arrival")
        trip.ended_at = now
    request.dbsession.flush()
    return len(due)


# The trip's own values in its alarm's system lines (trips/services.py _summary and the cause).
ALARM_LINE_TRIP_PARAMS = ("destination", "plate", "label")


def purge_ended(request, now=None) -> int:
    """Delete the track points and photos (rows and files) of trips that ended more than the
    retention period ago, the contacts kept for them, the guardians' notices in the outbox, and every
    copy of the trip in its alarm: the destination, plate and guardian's name in the thread's system
    line and the destination in the alarm's place. A trip whose alarm is still open keeps its track
    for the dispatcher until the alarm is closed. One batch per run, one audit event with counts."""
    run = retention.start(request, "trip", "portal.trip.retention_days", now)
    dbsession = request.dbsession
    open_alarm = exists(select(Alarm.id).where(Alarm.trip_id == Trip.id, Alarm.state.in_(OPEN_ALARM_STATES)))
    due = run.due(select(Trip).where(Trip.state != "active", Trip.purged_at.is_(None), Trip.ended_at <= run.before,
                                     ~open_alarm).order_by(Trip.ended_at, Trip.id))
    for trip in due:
        run.add("positions", dbsession.execute(delete(TripPoint).where(TripPoint.trip_id == trip.id)).rowcount)
        media = [photo.media for photo in trip.photos]
        trip.photos.clear()
        dbsession.flush()
        run.add("photos", delete_media(request, media))
        run.add("alarm lines", _purge_alarm_copies(dbsession, trip))
        run.add("outbox messages", dbsession.execute(delete(OutboxMessage).where(
            OutboxMessage.subject_type == "trip", OutboxMessage.subject_id == trip.id)).rowcount)
        trip.owner_contact = None
        trip.destination = ""
        trip.vehicle_plate = ""
        for guardian in trip.guardians:
            guardian.contact = None
            guardian.label = ""
        trip.purged_at = run.now
        run.rows += 1
    dbsession.flush()
    return run.report()


def _purge_alarm_copies(dbsession, trip: Trip) -> int:
    """Blank the trip's values in the system lines of its alarm (and the destination in the alarm's
    place, written when no position was received); return how many lines changed."""
    changed = 0
    alarms = dbsession.execute(select(Alarm).where(Alarm.trip_id == trip.id)).scalars().all()
    for alarm in alarms:
        if trip.destination and trip.destination in alarm.place:
            alarm.place = ""
        lines = dbsession.execute(select(AlarmMessage).where(
            AlarmMessage.alarm_id == alarm.id, AlarmMessage.sender.in_(("system", "guardian")))).scalars().all()
        for line in lines:
            if line.params:
                blanked = thread.blanked(line.params, ALARM_LINE_TRIP_PARAMS)
                if blanked != line.params:
                    line.params = blanked
                    changed += 1
            elif any(value and value in line.text for value in (trip.destination, trip.vehicle_plate)):
                # A line written before system lines had parameters: the whole line goes.
                line.text = str(thread.DELETED)
                changed += 1
    return changed
