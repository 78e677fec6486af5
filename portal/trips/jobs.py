"""The trip guardian's worker jobs: missed arrivals marked overdue (guardians told), unanswered ones
raised as alarms, abandoned ones expired, and ended trips' tracks, photos and contacts deleted after
the retention period."""
import json
from datetime import timedelta

from sqlalchemy import delete, exists, or_, select

from portal.alarms.models import Alarm
from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.localtime import local_time
from portal.core.meta import utcnow
from portal.media.models import Media
from portal.outbox import services as outbox
from portal.trips.models import Trip, TripGuardian, TripPoint
from portal.trips.services import GUARDIAN_CONTACT_LABEL, OPEN_ALARM_STATES, escalate
from portal.trips.workflow import TRIP_WORKFLOW


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
            body = request.localizer.translate(_(
                "Safety Portal: the trip you are guarding (${label}) has not arrived: it was expected at ${arrival} "
                "(Beijing time). Open your guardian link and answer \"I am on it\", or the police are alerted "
                "automatically at ${deadline}.", mapping={
                    "label": guardian.label, "arrival": local_time(trip.expected_arrival_at, "%H:%M"),
                    "deadline": local_time(now + timedelta(minutes=escalate_minutes), "%H:%M")}))
            outbox.enqueue(request, channel, recipient, body, ("trip", trip.id), send_after=now)
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


def purge_ended(request, now=None) -> int:
    """Delete the track points and photos (rows and files) of trips that ended more than the
    retention period ago, and the contacts kept for them. A trip whose alarm is still open keeps
    its track for the dispatcher until the alarm is closed."""
    now = now or utcnow()
    before = now - timedelta(days=_setting(request, "portal.trip.retention_days"))
    dbsession = request.dbsession
    open_alarm = exists(select(Alarm.id).where(Alarm.trip_id == Trip.id, Alarm.state.in_(OPEN_ALARM_STATES)))
    due = dbsession.execute(
        select(Trip).where(Trip.state != "active", Trip.purged_at.is_(None), Trip.ended_at <= before, ~open_alarm)
    ).scalars().all()
    store = request.registry["media_store"]
    for trip in due:
        dbsession.execute(delete(TripPoint).where(TripPoint.trip_id == trip.id))
        media = [photo.media for photo in trip.photos]
        trip.photos.clear()
        dbsession.flush()
        keys = set()
        for row in media:
            keys.update(k for k in (row.original_key, row.public_key, row.thumb_key) if k)
            dbsession.delete(row)
        dbsession.flush()
        # Files go now, not after commit: if this transaction fails the trip is purged again on the
        # next round, and the files were due for deletion anyway. Keys are content addresses, so a
        # file another row still uses (the same photo sent elsewhere) stays.
        for key in keys:
            if not _key_in_use(dbsession, key):
                store.delete(key)
        trip.owner_contact = None
        trip.destination = ""
        trip.vehicle_plate = ""
        for guardian in trip.guardians:
            guardian.contact = None
            guardian.label = ""
        trip.purged_at = now
        audit.record(request, "trip.purged", officer=None, actor="system", object_type="trip", object_id=trip.id,
                     reason=f"retention: track and {len(media)} photos deleted")
    return len(due)


def _key_in_use(dbsession, key: str) -> bool:
    return dbsession.execute(select(exists().where(
        or_(Media.original_key == key, Media.public_key == key, Media.thumb_key == key)))).scalar()
