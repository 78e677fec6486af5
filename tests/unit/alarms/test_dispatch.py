"""The dispatcher's side of alarms: console lists, the polling feed, steps, messages, the contact."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.alarms import dispatch, feed
from portal.alarms.models import AlarmLocation, AlarmMessage
from portal.alarms.resources import StaffAlarmContext
from portal.audit.models import AuditEvent
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.privacy.protected import seal
from portal.trips.models import TripPhoto
from tests.factories import make_alarm, make_officer, make_photo, make_trip, sign_in


@pytest.fixture
def dispatcher(dbsession, units):
    return make_officer(dbsession, units["city_a"], ["dispatcher"], username="disp_a")


def ago(**kw):
    return utcnow() - timedelta(**kw)


def events(dbsession, action=None):
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return dbsession.execute(query).scalars().all()


def thread(dbsession, alarm):
    return [(m.sender, m.text) for m in dbsession.execute(
        select(AlarmMessage).where(AlarmMessage.alarm_id == alarm.id).order_by(AlarmMessage.id)).scalars()]


# -- the console ---------------------------------------------------------------------------

def test_console_lists_open_alarms_new_first_then_newest_and_recently_ended(dbsession, units, dispatcher):
    old_new, _ = make_alarm(dbsession, units["city_a"], created_at=ago(minutes=30))
    fresh_new, _ = make_alarm(dbsession, units["county_a"], created_at=ago(minutes=1))
    acknowledged, _ = make_alarm(dbsession, units["city_a"], state="acknowledged", created_at=ago(minutes=2))
    dispatched, _ = make_alarm(dbsession, units["city_a"], state="dispatched", created_at=ago(minutes=3))
    closed, _ = make_alarm(dbsession, units["city_a"], state="closed", created_at=ago(hours=2), ended_at=ago(hours=1))
    long_ago, _ = make_alarm(dbsession, units["city_a"], state="closed", created_at=ago(days=2), ended_at=ago(days=2))
    elsewhere, _ = make_alarm(dbsession, units["city_b"])  # another city's center: not this dispatcher's

    lists = dispatch.console(dbsession, dispatcher)

    assert [a.id for a in lists["open"]] == [fresh_new.id, old_new.id, acknowledged.id, dispatched.id]
    assert [a.id for a in lists["ended"]] == [closed.id]
    assert elsewhere.id not in [a.id for a in lists["open"]] and long_ago.id not in [a.id for a in lists["ended"]]
    assert dispatch.open_count(dbsession, dispatcher) == 4


def test_a_province_dispatcher_sees_every_city(dbsession, units):
    province = make_officer(dbsession, units["province"], ["dispatcher"])
    a, _ = make_alarm(dbsession, units["city_a"])
    b, _ = make_alarm(dbsession, units["county_b"])
    assert {x.id for x in dispatch.console(dbsession, province)["open"]} == {a.id, b.id}


def test_counts_give_the_first_words_and_the_updates(dbsession, units):
    alarm, _ = make_alarm(dbsession, units["city_a"])
    dbsession.add_all([AlarmMessage(alarm=alarm, sender="public", text="Someone is following me " * 20),
                       AlarmMessage(alarm=alarm, sender="system", text="note"),
                       AlarmMessage(alarm=alarm, sender="public", text="Still here"),
                       AlarmLocation(alarm=alarm, lat=38.21, lon=115.31, located_at=utcnow())])
    dbsession.flush()
    counts = dispatch.counts_for(dbsession, [alarm.id])[alarm.id]
    assert counts["messages"] == 3 and counts["public_messages"] == 2 and counts["locations"] == 1
    assert counts["text"].startswith("Someone is following me") and counts["text"].endswith("…")
    assert len(counts["text"]) == dispatch.PREVIEW


# -- the feed ------------------------------------------------------------------------------

def test_feed_reports_a_new_alarm_a_state_change_and_new_messages(dummy_request, dbsession, units, dispatcher):
    quiet, _ = make_alarm(dbsession, units["city_a"], created_at=ago(minutes=5), updated_at=ago(minutes=5))
    cursor = feed.start_cursor(dbsession)
    answer = feed.feed(dummy_request, dispatcher, cursor)
    assert answer["alarms"] == [] and answer["open_ids"] == [quiet.id]

    new, _ = make_alarm(dbsession, units["county_a"], place="Bus station, north gate")
    answer = feed.feed(dummy_request, dispatcher, answer["cursor"])
    (row,) = answer["alarms"]
    assert (row["id"], row["state"], row["open"], row["place"]) == (new.id, "new", True, "Bus station, north gate")
    assert row["url"] == f"/staff/alarms/{new.id}" and answer["open_count"] == 2
    assert "sender_contact" not in row and "token" not in json.dumps(answer)

    # Later: the quiet one is acknowledged and gets a message; the new one has settled.
    later = utcnow() + timedelta(seconds=30)
    dispatch.transition(sign_in(dummy_request, dispatcher, StaffAlarmContext, quiet), quiet, "acknowledge")
    answer = feed.feed(dummy_request, dispatcher, answer["cursor"], now=later)
    changed = {r["id"]: r for r in answer["alarms"]}
    assert changed[quiet.id]["state"] == "acknowledged"
    assert changed[quiet.id]["messages"] == 1  # the system line for the sender
    dbsession.add(AlarmMessage(alarm=new, sender="public", text="Please hurry"))
    dbsession.flush()
    answer = feed.feed(dummy_request, dispatcher, answer["cursor"], now=later + timedelta(seconds=30))
    assert [(r["id"], r["public_messages"], r["text"]) for r in answer["alarms"]] == [(new.id, 1, "Please hurry")]


def test_feed_resends_recent_changes_until_they_settle(dummy_request, dbsession, units, dispatcher):
    """A row that commits late must not be skipped: the cursor stays OVERLAP behind."""
    cursor = feed.start_cursor(dbsession)
    alarm, _ = make_alarm(dbsession, units["city_a"])
    dbsession.add(AlarmMessage(alarm=alarm, sender="public", text="help"))
    dbsession.flush()
    first = feed.feed(dummy_request, dispatcher, cursor)
    again = feed.feed(dummy_request, dispatcher, first["cursor"])
    assert [r["id"] for r in again["alarms"]] == [alarm.id]  # still inside the overlap
    settled = feed.feed(dummy_request, dispatcher, again["cursor"], now=utcnow() + 2 * dispatch.OVERLAP)
    quiet = feed.feed(dummy_request, dispatcher, settled["cursor"], now=utcnow() + 3 * dispatch.OVERLAP)
    assert quiet["alarms"] == []


def test_feed_keeps_other_units_out(dummy_request, dbsession, units, dispatcher):
    cursor = feed.start_cursor(dbsession)
    other, _ = make_alarm(dbsession, units["city_b"])
    dbsession.add(AlarmMessage(alarm=other, sender="public", text="not for city A"))
    dbsession.flush()
    answer = feed.feed(dummy_request, dispatcher, cursor)
    assert answer["alarms"] == [] and answer["open_ids"] == [] and "not for city A" not in json.dumps(answer)


def test_feed_reports_an_alarm_the_sender_cancelled(dummy_request, dbsession, units, dispatcher):
    alarm, _ = make_alarm(dbsession, units["city_a"], created_at=ago(minutes=5), updated_at=ago(minutes=5))
    cursor = feed.start_cursor(dbsession)
    alarm.state, alarm.ended_at = "cancelled", utcnow()
    dbsession.flush()
    answer = feed.feed(dummy_request, dispatcher, cursor)
    assert [(r["id"], r["state"], r["open"]) for r in answer["alarms"]] == [(alarm.id, "cancelled", False)]
    assert answer["open_ids"] == []


def test_feed_without_cursor_is_the_whole_console(dummy_request, dbsession, units, dispatcher):
    alarm, _ = make_alarm(dbsession, units["city_a"])
    answer = feed.feed(dummy_request, dispatcher, "")
    assert [r["id"] for r in answer["alarms"]] == [alarm.id] and answer["cursor"].startswith("v1.")


@pytest.mark.parametrize("cursor", ["x", "v1.1.2", "v2.1.2.3", "v1.a.2.3", "v1.1.-2.3", "v1." + "9" * 16 + ".1.1"])
def test_a_cursor_this_server_did_not_make_is_refused(dummy_request, dispatcher, cursor):
    with pytest.raises(feed.BadFeedCursor):
        feed.feed(dummy_request, dispatcher, cursor)


# -- steps ---------------------------------------------------------------------------------

def test_each_step_sets_its_time_and_text_audits_and_tells_the_sender(dummy_request, dbsession, units, dispatcher):
    alarm, _ = make_alarm(dbsession, units["city_a"])
    dispatch.transition(sign_in(dummy_request, dispatcher, StaffAlarmContext, alarm), alarm, "acknowledge")
    assert alarm.state == "acknowledged" and alarm.acknowledged_at is not None
    dispatch.transition(sign_in(dummy_request, dispatcher, StaffAlarmContext, alarm), alarm, "dispatch", "  Car 3, officers Wang and Li  ")
    assert alarm.state == "dispatched" and alarm.dispatched_at is not None
    assert alarm.dispatch_note == "Car 3, officers Wang and Li"
    dispatch.transition(sign_in(dummy_request, dispatcher, StaffAlarmContext, alarm), alarm, "close", "Found safe at the station")
    assert alarm.state == "closed" and alarm.ended_at is not None and alarm.outcome == "Found safe at the station"

    assert thread(dbsession, alarm) == [("system", "Your alarm was received by the dispatcher."),
                                        ("system", "Help is on the way."),
                                        ("system", "The dispatcher closed this alarm.")]
    audited = [(e.action, e.from_state, e.to_state, e.reason, e.actor) for e in events(dbsession)]
    assert audited == [
        ("alarm.acknowledge", "new", "acknowledged", "", "officer:disp_a"),
        ("alarm.dispatch", "acknowledged", "dispatched", "Car 3, officers Wang and Li", "officer:disp_a"),
        ("alarm.close", "dispatched", "closed", "Found safe at the station", "officer:disp_a"),
    ]


def test_dispatch_straight_from_new_counts_as_acknowledged(dummy_request, dbsession, units, dispatcher):
    alarm, _ = make_alarm(dbsession, units["city_a"])
    dispatch.transition(sign_in(dummy_request, dispatcher, StaffAlarmContext, alarm), alarm, "dispatch", "Patrol 7")
    assert alarm.acknowledged_at == alarm.dispatched_at


@pytest.mark.parametrize(("state", "step", "reason"), [
    ("new", "dispatch", "   "),  # who was sent is required
    ("acknowledged", "close", ""),  # the outcome is required
    ("cancelled", "acknowledge", ""),
    ("closed", "dispatch", "Car 1"),
    ("acknowledged", "acknowledge", ""),
])
def test_refused_steps_change_nothing(dummy_request, dbsession, units, dispatcher, state, step, reason):
    alarm, _ = make_alarm(dbsession, units["city_a"], state=state)
    with pytest.raises(Refused):
        dispatch.transition(sign_in(dummy_request, dispatcher, StaffAlarmContext, alarm), alarm, step, reason)
    assert alarm.state == state and alarm.dispatch_note == "" and alarm.outcome == ""
    assert thread(dbsession, alarm) == [] and events(dbsession) == []


def test_cancel_is_not_a_dispatcher_step(dummy_request, dbsession, units, dispatcher):
    alarm, _ = make_alarm(dbsession, units["city_a"])
    with pytest.raises(Refused) as refused:  # the sender's step: no officer holds its permission
        dispatch.transition(sign_in(dummy_request, dispatcher, StaffAlarmContext, alarm), alarm, "cancel", "no")
    assert refused.value.status == 403 and alarm.state == "new"


# -- thread and contact --------------------------------------------------------------------

def test_a_dispatcher_message_is_stored_and_audited_without_its_words(dummy_request, dbsession, units, dispatcher):
    alarm, _ = make_alarm(dbsession, units["city_a"])
    message = dispatch.send_message(dummy_request, alarm, "  Stay where you are, we are coming.  ", officer=dispatcher)
    assert (message.sender, message.officer_id, message.text) == (
        "dispatcher", dispatcher.id, "Stay where you are, we are coming.")
    (event,) = events(dbsession)
    assert event.action == "alarm.message" and "coming" not in event.reason


@pytest.mark.parametrize(("state", "text"), [("new", "   "), ("new", "x" * 2001), ("closed", "hello"),
                                             ("cancelled", "hello")])
def test_messages_refused(dummy_request, dbsession, units, dispatcher, state, text):
    alarm, _ = make_alarm(dbsession, units["city_a"], state=state)
    with pytest.raises(Refused):
        dispatch.send_message(dummy_request, alarm, text, officer=dispatcher)
    assert thread(dbsession, alarm) == [] and events(dbsession) == []


def test_updates_send_new_lines_and_positions_and_recent_ones_again(dummy_request, dbsession, units, dispatcher):
    alarm, _ = make_alarm(dbsession, units["city_a"])
    old = AlarmMessage(alarm=alarm, sender="public", text="first", created_at=ago(minutes=2))
    dbsession.add(old)
    dbsession.flush()
    new = dispatch.send_message(dummy_request, alarm, "on our way", officer=dispatcher)
    dbsession.add(AlarmLocation(alarm=alarm, lat=38.3, lon=115.4, accuracy_m=12, located_at=utcnow()))
    dbsession.flush()
    answer = dispatch.updates(dummy_request, alarm, after_message=new.id)
    # The settled line before `after` is not sent again; the recent one is (late commits).
    assert [m["id"] for m in answer["messages"]] == [new.id]
    assert answer["messages"][0]["who"].endswith(" · Test Officer") and answer["state"] == "new"
    assert [(p["lat"], p["accuracy_m"]) for p in answer["locations"]] == [(38.3, 12)]


def test_system_lines_are_translated_for_the_reader(dummy_request, dbsession, units):
    alarm, _ = make_alarm(dbsession, units["city_a"])
    line = AlarmMessage(alarm=alarm, sender="system", text="Help is on the way.")
    assert dispatch.message_text(dummy_request, line) == dummy_request.localizer.translate(
        dispatch.SYSTEM_TEXTS["dispatch"])


def test_reveal_returns_the_contact_and_audits_the_reason(dummy_request, dbsession, units, dispatcher):
    contact = seal(dummy_request, json.dumps({"name": "Zhang San", "phone": "13912345678"}), dispatch.CONTACT_LABEL)
    alarm, _ = make_alarm(dbsession, units["city_a"], sender_contact=contact)
    shown = dispatch.reveal_contact(dummy_request, alarm, "calling back: no answer in the thread", officer=dispatcher)
    assert shown == {"name": "Zhang San", "phone": "13912345678"}
    (event,) = events(dbsession)
    assert (event.action, event.object_type, event.object_id) == ("protected.reveal", "alarm", str(alarm.id))
    assert event.reason == "alarm.sender_contact: calling back: no answer in the thread"
    assert "13912345678" not in event.reason


def test_reveal_without_reason_is_refused_and_not_audited(dummy_request, dbsession, units, dispatcher):
    alarm, _ = make_alarm(dbsession, units["city_a"],
                          sender_contact=seal(dummy_request, "13912345678", dispatch.CONTACT_LABEL))
    with pytest.raises(Refused):
        dispatch.reveal_contact(dummy_request, alarm, "why", officer=dispatcher)
    assert events(dbsession) == []
    assert dispatch.reveal_contact(dummy_request, alarm, "a real reason", officer=dispatcher) == {
        "text": "13912345678"}


def test_photos_of_the_thread_and_of_the_trip_belong_to_the_alarm(dbsession, registry, units):
    store = registry["media_store"]
    trip, _, _ = make_trip(dbsession)
    alarm, _ = make_alarm(dbsession, units["city_a"], trip_id=trip.id)
    sent, plate, stray = make_photo(dbsession, store), make_photo(dbsession, store), make_photo(dbsession, store)
    dbsession.add_all([AlarmMessage(alarm=alarm, sender="public", media_id=sent.id),
                       TripPhoto(trip_id=trip.id, media_id=plate.id, caption="taxi plate")])
    dbsession.flush()
    assert [m.id for m in dispatch.photos(dbsession, alarm)] == [sent.id, plate.id]
    assert dispatch.alarm_of_photo(dbsession, sent.id).id == alarm.id
    assert dispatch.alarm_of_photo(dbsession, plate.id).id == alarm.id
    assert dispatch.alarm_of_photo(dbsession, stray.id) is None
