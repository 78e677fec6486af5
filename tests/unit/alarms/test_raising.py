import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter
from portal.alarms import raising as alarms
from portal.alarms.models import AlarmMessage
from portal.audit.models import AuditEvent
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.geo import routing
from portal.privacy.links import token_hash
from tests.factories import make_trip, make_units
from tests.unit.geo.test_routing import box


@pytest.fixture
def units(dbsession, app):
    app.registry.registerUtility(MemoryRateLimiter(), IRateLimiter)  # floods counted by this test alone
    routing.forget()
    units = make_units(dbsession)
    units["province"].jurisdiction = box(110, 35, 120, 45)
    units["city_a"].jurisdiction = box(110, 35, 115, 45)
    units["county_a"].jurisdiction = box(111, 36, 112, 37)
    dbsession.flush()
    yield units
    routing.forget()


def test_raise_alarm_routes_stores_and_audits_without_personal_data(dummy_request, dbsession, units):
    alarm, token = alarms.raise_alarm(
        dummy_request, lat=36.5, lon=111.5, accuracy_m=12, located_at=utcnow(), place=" Gate 3 ",
        text="  Someone follows me  ", contact={"name": "Li", "phone": "139 0000 0000"})
    assert alarm.token_hash == token_hash(token) and token not in alarm.token_hash
    assert (alarm.state, alarm.kind, alarm.unit, alarm.place) == ("new", "silent", units["city_a"], "Gate 3")
    assert (alarm.lat, alarm.lon, alarm.accuracy_m, alarm.flagged) == (36.5, 111.5, 12, False)
    assert "139" not in alarm.sender_contact
    cipher = dummy_request.registry["field_cipher"]
    assert json.loads(cipher.decrypt(alarm.sender_contact, "alarm.sender_contact")) == {
        "name": "Li", "phone": "139 0000 0000"}
    (message,) = alarm.messages
    assert (message.sender, message.text) == ("public", "Someone follows me")
    event = dbsession.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.actor, event.officer_id, event.object_id, event.to_state) == (
        "alarm.raised", "public", None, str(alarm.id), "new")
    row = json.dumps([event.reason, event.from_state, event.to_state, event.object_type])
    for private in ("Someone", "Li", "139", "Gate", "36.5", "111.5"):
        assert private not in row


def test_without_a_position_or_text_it_goes_to_the_root_center(dummy_request, dbsession, units):
    alarm, _ = alarms.raise_alarm(dummy_request, place="near the bridge")
    assert alarm.unit is units["province"] and alarm.lat is None and alarm.messages == []
    assert alarm.place == "near the bridge"


@pytest.mark.parametrize("position", [
    {"lat": 91, "lon": 111.5}, {"lat": 36.5, "lon": 181}, {"lat": 36.5, "lon": None},
    {"lat": 36.5, "lon": 111.5, "accuracy_m": 1e9}, {"lat": "abc", "lon": 1},
])
def test_an_unusable_position_is_left_out_but_the_alarm_gets_through(dummy_request, dbsession, units, position):
    alarm, _ = alarms.raise_alarm(dummy_request, text="help", **position)
    assert alarm.id and alarm.lat is None and alarm.unit is units["province"]
    assert [m.sender for m in alarm.messages] == ["public", "system"]
    assert "not usable" in alarm.messages[1].text


def test_an_old_fix_still_routes_the_alarm_and_a_fast_clock_is_taken_as_now(dummy_request, dbsession, units):
    """A phone retrying while offline sends its last fix, maybe an hour old: it still says where help
    should go better than nothing, so it routes the alarm, and the dispatcher is told its age."""
    old, _ = alarms.raise_alarm(dummy_request, lat=36.5, lon=111.5, located_at=utcnow() - timedelta(hours=1))
    assert old.unit is units["city_a"] and old.lat == 36.5
    assert "more than 10 minutes old" in old.messages[-1].text
    ahead, _ = alarms.raise_alarm(dummy_request, lat=36.5, lon=111.5, located_at=utcnow() + timedelta(hours=1))
    assert ahead.unit is units["city_a"] and ahead.located_at <= utcnow() and ahead.messages == []


def test_a_flood_from_one_address_is_flagged_never_refused(dummy_request, dbsession, units, monkeypatch):
    monkeypatch.setitem(dummy_request.registry.settings, "portal.alarm.flood_per_hour", "3")
    raised = [alarms.raise_alarm(dummy_request, lat=36.5, lon=111.5)[0] for _ in range(5)]
    assert [a.flagged for a in raised] == [False, False, False, True, True]
    assert all(a.id for a in raised)
    assert "flood" in raised[-1].flag_reason
    events = dbsession.execute(select(AuditEvent.reason).order_by(AuditEvent.id)).scalars().all()
    assert events[-1].endswith("flagged as flood") and len(events) == 5


def test_the_worker_has_no_address_and_raises_for_a_trip(dummy_request, dbsession, units):
    trip, _, _ = make_trip(dbsession)
    dummy_request.environ.pop("REMOTE_ADDR")
    assert dummy_request.client_addr is None
    alarm, _ = alarms.raise_alarm(dummy_request, lat=40, lon=113, trip=trip, actor="system", kind="text")
    assert (alarm.trip, alarm.unit, alarm.flagged, alarm.kind) == (trip, units["city_a"], False, "text")
    event = dbsession.execute(select(AuditEvent)).scalar_one()
    assert (event.actor, event.ip) == ("system", "")


def test_check_position_reads_browser_timestamps_and_refuses_nonsense():
    now = utcnow()
    position = alarms.check_position("36.5", "111.5", "20", int(now.timestamp() * 1000), now=now)
    assert (position.lat, position.lon, position.accuracy_m) == (36.5, 111.5, 20)
    assert abs((position.located_at - now).total_seconds()) < 1
    assert alarms.check_position(None, "", now=now) is None
    for bad in (("nan", 1), ("inf", 1), (1, 1, -5), (1, 1, None, (now + timedelta(hours=2)).isoformat())):
        with pytest.raises(Refused):
            alarms.check_position(*bad, now=now)
    # A fix time that is no time at all: the place stands, at the server's time, and says so.
    for garbled in ("yesterday", "0001-01-01T00:00:00+14:00", "1" * 30):
        position = alarms.check_position(1, 1, None, garbled, now=now)
        assert (position.lat, position.located_at, position.time_replaced) == (1, now, True)


def test_no_message_row_for_blank_text(dummy_request, dbsession, units):
    alarm, _ = alarms.raise_alarm(dummy_request, text="   ")
    assert dbsession.execute(select(AlarmMessage)).first() is None and alarm.messages == []
