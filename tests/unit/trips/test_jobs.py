"""The trip purge (trips/jobs.py) removes every copy of the trip: its track, photos and contacts, the
guardians' notices in the outbox, and the destination, plate and guardian's name in its alarm's thread
and place; one audit event per run with counts."""
import os
from datetime import timedelta
from types import SimpleNamespace

from pyramid.i18n import make_localizer
from sqlalchemy import func, select

import portal
from portal.alarms.models import AlarmMessage
from portal.alarms.raising import message_text
from portal.core.meta import utcnow
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from portal.trips import jobs as trips_jobs
from portal.trips import services as trips
from tests.factories import make_trip
from tests.retention import assert_one_event, purge_events

DESTINATION = "Xinhua Road 88, flat 1203"
PLATE = "冀A·T1234"
GUARDIAN = "Aunt Meilin"


def shown(alarm, locale="en") -> str:
    reader = SimpleNamespace(localizer=make_localizer(locale, [os.path.join(portal.__path__[0], "locale")]))
    return " ".join(message_text(reader, m) for m in alarm.messages)


def raised_trip(dummy_request, dbsession):
    """A trip whose guardian raised the alarm with no position: the thread and the place name it."""
    trip, _t, _g = make_trip(dbsession, guardians=(GUARDIAN,), destination=DESTINATION, vehicle_plate=PLATE)
    alarm = trips.raise_alarm(dummy_request, trip, guardian=trip.guardians[0])
    outbox.enqueue(dummy_request, "sms", "13912345678", f"Your trip to {DESTINATION} is overdue", ("trip", trip.id))
    dbsession.flush()
    return trip, alarm


def test_the_trip_purge_blanks_the_trip_in_its_alarm_thread(dummy_request, dbsession, units):
    trip, alarm = raised_trip(dummy_request, dbsession)
    for locale in ("en", "zh_CN"):
        text = shown(alarm, locale)
        assert DESTINATION in text and PLATE in text and GUARDIAN in text
    assert DESTINATION in alarm.place
    # Stored as msgid and parameters, so nothing of the trip is in the line's own text.
    summary = next(m for m in alarm.messages if m.params)
    assert DESTINATION not in summary.text and PLATE not in summary.text

    now = utcnow()
    assert trips_jobs.purge_ended(dummy_request, now + timedelta(days=30)) == 0  # its alarm is still open
    alarm.state, alarm.ended_at = "closed", now
    trip.ended_at = now - timedelta(days=8)
    dbsession.flush()
    assert trips_jobs.purge_ended(dummy_request, now) == 1

    dbsession.refresh(alarm)
    for locale in ("en", "zh_CN"):
        text = shown(alarm, locale)
        assert DESTINATION not in text and PLATE not in text and GUARDIAN not in text
    assert "(deleted after the retention period)" in shown(alarm) and "Trip guardian alarm" in shown(alarm)
    assert alarm.place == ""
    assert dbsession.execute(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.subject_type == "trip", OutboxMessage.subject_id == trip.id)).scalar_one() == 0
    assert_one_event(dbsession, "trip", "1 trip(s) past retention", DESTINATION, PLATE, GUARDIAN)
    assert "1 alarm lines" in purge_events(dbsession, "trip")[0].reason
    assert trips_jobs.purge_ended(dummy_request, now) == 0
    assert len(purge_events(dbsession, "trip")) == 1


def test_a_line_written_before_parameters_is_emptied_too(dummy_request, dbsession, units):
    trip, alarm = raised_trip(dummy_request, dbsession)
    # As lines were stored before: translated once, the destination inside the text.
    dbsession.add(AlarmMessage(alarm=alarm, sender="system", text=f"行程守护报警。目的地：{DESTINATION}。"))
    alarm.state, alarm.ended_at = "cancelled", utcnow()
    trip.ended_at = utcnow() - timedelta(days=8)
    dbsession.flush()
    assert trips_jobs.purge_ended(dummy_request) == 1
    dbsession.refresh(alarm)
    assert DESTINATION not in shown(alarm, "zh_CN")
    assert all(DESTINATION not in m.text for m in alarm.messages)
