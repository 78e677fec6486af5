"""Retention of ended alarms (alarms/jobs.py): thread words and photos (rows and files), track, place,
coordinates, contact and the dispatcher's free text go after the period; what statistics need stays."""
from datetime import timedelta
from types import SimpleNamespace

from pyramid.i18n import make_localizer
from sqlalchemy import func, select

from portal.alarms import jobs as alarm_jobs
from portal.alarms.models import Alarm, AlarmLocation, AlarmMessage
from portal.alarms.raising import message_text
from portal.core.meta import utcnow
from portal.media.models import Media
from portal.privacy.protected import seal
from tests.factories import make_alarm
from tests.retention import assert_one_event, own_photo, purge_events

PLACE = "Behind the Xinhua Road market"
WORDS = "He is outside the door, please hurry"


def full_alarm(dbsession, registry, dummy_request, unit, *, state, ended_days_ago):
    """An alarm with a place, a contact, a thread line with words and one with a photo, and a track."""
    ended = utcnow() - timedelta(days=ended_days_ago) if ended_days_ago is not None else None
    alarm, _token = make_alarm(dbsession, unit, state=state, ended_at=ended, place=PLACE,
                               sender_contact=seal(dummy_request, '{"phone": "13912345678"}', "alarm.contact"),
                               dispatch_note="Patrol car 3 sent to the market", outcome="Found safe at home")
    photo = own_photo(dbsession, registry["media_store"])
    dbsession.add_all([
        AlarmMessage(alarm=alarm, sender="public", text=WORDS),
        AlarmMessage(alarm=alarm, sender="public", text="", media=photo),
        AlarmMessage(alarm=alarm, sender="dispatcher", text="Stay where you are"),
        AlarmMessage(alarm=alarm, sender="system", text="The alarm was closed."),
        AlarmLocation(alarm=alarm, lat=38.21, lon=115.31, located_at=utcnow()),
        AlarmLocation(alarm=alarm, lat=38.22, lon=115.32, located_at=utcnow()),
    ])
    dbsession.flush()
    return alarm, photo.original_key


def count(dbsession, model, alarm):
    return dbsession.execute(select(func.count()).select_from(model).where(model.alarm_id == alarm.id)).scalar_one()


def test_ended_alarms_past_the_period_lose_thread_track_place_and_contact(dummy_request, dbsession, registry, units):
    store = registry["media_store"]
    old, old_key = full_alarm(dbsession, registry, dummy_request, units["city_a"], state="closed", ended_days_ago=91)
    cancelled, _k = full_alarm(dbsession, registry, dummy_request, units["city_b"], state="cancelled",
                               ended_days_ago=120)
    young, young_key = full_alarm(dbsession, registry, dummy_request, units["city_a"], state="closed",
                                  ended_days_ago=89)
    running, running_key = full_alarm(dbsession, registry, dummy_request, units["city_a"], state="dispatched",
                                      ended_days_ago=None)
    running.created_at = utcnow() - timedelta(days=400)
    kept = {a.id: (a.unit_id, a.kind, a.state, a.created_at, a.ended_at, a.flagged) for a in (old, cancelled)}
    assert store.exists(old_key)

    assert alarm_jobs.purge_ended(dummy_request) == 2

    for alarm in (old, cancelled):
        dbsession.refresh(alarm)
        assert alarm.purged_at is not None
        assert (alarm.lat, alarm.lon, alarm.accuracy_m, alarm.located_at) == (None, None, None, None)
        assert (alarm.place, alarm.sender_contact, alarm.dispatch_note, alarm.outcome) == ("", None, "", "")
        assert (alarm.unit_id, alarm.kind, alarm.state, alarm.created_at, alarm.ended_at, alarm.flagged) == kept[
            alarm.id]  # what statistics count
        assert count(dbsession, AlarmLocation, alarm) == 0
        lines = dbsession.execute(select(AlarmMessage).where(AlarmMessage.alarm_id == alarm.id)
                                  .order_by(AlarmMessage.id)).scalars().all()
        assert [(m.sender, m.text, m.media_id) for m in lines] == [
            ("public", "", None), ("public", "", None), ("dispatcher", "", None),
            ("system", "The alarm was closed.", None)]  # the lines stay countable, their words are gone
    assert not store.exists(old_key)
    assert dbsession.execute(select(func.count()).select_from(Media).where(Media.original_key == old_key)
                             ).scalar_one() == 0
    # Young and open alarms are untouched.
    for alarm, key in ((young, young_key), (running, running_key)):
        dbsession.refresh(alarm)
        assert alarm.purged_at is None and alarm.place == PLACE and alarm.sender_contact is not None
        assert alarm.lat == 38.2 and count(dbsession, AlarmLocation, alarm) == 2
        assert WORDS in [m.text for m in alarm.messages] and store.exists(key)
    assert_one_event(dbsession, "alarm", "2 alarm(s) past retention", PLACE, WORDS, "Patrol", "13912345678")
    event = purge_events(dbsession, "alarm")[0]
    assert "2 photos" in event.reason and "4 positions" in event.reason and "6 thread lines" in event.reason

    # A second run finds nothing more and writes nothing.
    assert alarm_jobs.purge_ended(dummy_request) == 0
    assert len(purge_events(dbsession, "alarm")) == 1


def test_an_emptied_line_says_it_was_deleted(dummy_request, dbsession, registry, units):
    alarm, _key = full_alarm(dbsession, registry, dummy_request, units["city_a"], state="closed", ended_days_ago=100)
    alarm_jobs.purge_ended(dummy_request)
    dbsession.refresh(alarm)
    reader = SimpleNamespace(localizer=make_localizer("en", []))
    shown = [message_text(reader, m) for m in alarm.messages]
    assert shown[0] == "(deleted after the retention period)" and shown[-1] == "The alarm was closed."


def test_the_period_and_the_batch_are_settings(dummy_request, dbsession, registry, units, monkeypatch):
    monkeypatch.setitem(registry.settings, "portal.retention.alarm_days", "10")
    monkeypatch.setitem(registry.settings, "portal.retention.batch", "2")
    alarms = [full_alarm(dbsession, registry, dummy_request, units["city_a"], state="closed",
                         ended_days_ago=11 + n)[0] for n in range(3)]
    assert alarm_jobs.purge_ended(dummy_request) == 2  # a bounded batch, oldest first
    assert [a.purged_at is not None for a in alarms] == [False, True, True]
    assert alarm_jobs.purge_ended(dummy_request) == 1
    assert alarm_jobs.purge_ended(dummy_request) == 0
    assert [e.reason.split(" ")[0] for e in purge_events(dbsession, "alarm")] == ["2", "1"]
    assert dbsession.execute(select(func.count()).select_from(Alarm).where(Alarm.purged_at.is_(None))
                             ).scalar_one() == 0
