"""What a trip hands to the police when its alarm is raised: its track and its photos. Registered
with the alarms domain (alarms/handover.py), which the dispatcher's console reads."""
from sqlalchemy import select

from portal.alarms import handover
from portal.alarms.models import Alarm
from portal.media.models import Media
from portal.trips.models import TripGuardian, TripPhoto, TripPoint
from portal.trips.services import GUARDIAN_CONTACT_LABEL


def track(dbsession, alarm: Alarm, limit: int) -> list[TripPoint]:
    if alarm.trip_id is None:
        return []
    rows = dbsession.execute(
        select(TripPoint).where(TripPoint.trip_id == alarm.trip_id).order_by(TripPoint.id.desc()).limit(limit)
    ).scalars().all()
    return rows[::-1]


def photos(dbsession, alarm: Alarm) -> list[Media]:
    if alarm.trip_id is None:
        return []
    return list(dbsession.execute(
        select(Media).join(TripPhoto, TripPhoto.media_id == Media.id)
        .where(TripPhoto.trip_id == alarm.trip_id).order_by(TripPhoto.id)
    ).scalars())


def alarm_of_photo(dbsession, media_id: int) -> Alarm | None:
    return dbsession.execute(
        select(Alarm).join(TripPhoto, TripPhoto.trip_id == Alarm.trip_id).where(TripPhoto.media_id == media_id)
        .order_by(Alarm.id).limit(1)
    ).scalar_one_or_none()


def guardians(dbsession, alarm: Alarm) -> list[dict]:
    """The trip's guardians, for the dispatcher to call: the name the traveller gave, the contact sealed."""
    if alarm.trip_id is None:
        return []
    rows = dbsession.execute(
        select(TripGuardian).where(TripGuardian.trip_id == alarm.trip_id).order_by(TripGuardian.id)).scalars()
    return [{"id": g.id, "label": g.label, "sealed": g.contact, "cipher_label": GUARDIAN_CONTACT_LABEL} for g in rows]


SOURCE = handover.register(handover.HandoverSource(track=track, photos=photos, alarm_of_photo=alarm_of_photo,
                                                   contacts=guardians))
