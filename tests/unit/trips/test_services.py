"""services/trips.py on its own: starting, positions, the alarm hand-over and the worker's rules."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.alarms.models import Alarm
from portal.audit.models import AuditEvent
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.outbox.models import OutboxMessage
from portal.trips import jobs as trips_jobs
from portal.trips import services as trips
from portal.trips.models import TripPoint
from tests.factories import make_trip


def test_start_stores_guardians_and_returns_one_token_each(dummy_request, dbsession, registry, units):
    started = trips.start(dummy_request, destination="  Home ", expected_arrival_at=utcnow() + timedelta(hours=2),
                          guardians=[{"label": "Mum", "contact": "mum@example.com"}, {"label": " ", "contact": ""},
                                     {"label": "Dad", "contact": ""}], owner_contact={"name": "Li", "phone": ""})
    trip = started.trip
    assert (trip.state, trip.destination) == ("active", "Home")
    assert [g.label for g, _t in started.guardians] == ["Mum", "Dad"]
    assert len({started.token, *(t for _g, t in started.guardians)}) == 3
    cipher = registry["field_cipher"]
    assert json.loads(cipher.decrypt(trip.owner_contact, trips.OWNER_CONTACT_LABEL)) == {"name": "Li"}
    assert json.loads(cipher.decrypt(trip.guardians[0].contact, trips.GUARDIAN_CONTACT_LABEL)) == {
        "email": "mum@example.com"}


@pytest.mark.parametrize("guardians,hours,message", [
    ([], 1, "Name between 1 and"),
    ([{"label": f"G{i}"} for i in range(6)], 1, "Name between 1 and"),
    ([{"label": "Mum"}], -1, "must be in the future"),
    ([{"label": "Mum"}], 0, "must be in the future"),
    ([{"label": "Mum"}], 25, "within the next 24 hours"),
])
def test_start_refuses_impossible_trips(dummy_request, dbsession, units, guardians, hours, message):
    with pytest.raises(Refused) as refused:
        trips.start(dummy_request, destination="Home", expected_arrival_at=utcnow() + timedelta(hours=hours),
                    guardians=guardians)
    assert message in str(refused.value)
    assert dbsession.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == 0


def test_points_refused_for_ended_trips_and_out_of_order(dummy_request, dbsession, units):
    trip, _t, _g = make_trip(dbsession)
    now = utcnow()
    trips.add_point(dummy_request, trip, lat=38.5, lon=115.5, accuracy_m=10, located_at=now, now=now)
    with pytest.raises(Refused) as older:
        trips.add_point(dummy_request, trip, lat=38.5, lon=115.5, located_at=now - timedelta(seconds=5), now=now)
    assert older.value.status == 409
    # Browsers give epoch milliseconds; ISO text works too.
    point = trips.add_point(dummy_request, trip, lat="38.5001", lon="115.5001", accuracy_m="8",
                            located_at=(now + timedelta(seconds=5)).isoformat(), now=now + timedelta(seconds=5))
    assert (point.lat, point.accuracy_m) == (38.5001, 8.0)
    trip.state = "arrived"
    with pytest.raises(Refused) as ended:
        trips.add_point(dummy_request, trip, lat=38.5, lon=115.5, now=now)
    assert ended.value.status == 409


@pytest.mark.parametrize("values", [
    {"lat": float("nan"), "lon": 115.5}, {"lat": float("inf"), "lon": 115.5}, {"lat": True, "lon": 115.5},
    {"lat": 38.5, "lon": 181}, {"lat": 38.5, "lon": 115.5, "accuracy_m": -1},
])
def test_absurd_points_are_refused(dummy_request, dbsession, units, values):
    trip, _t, _g = make_trip(dbsession)
    with pytest.raises(Refused):
        trips.add_point(dummy_request, trip, **values)
    assert trips.last_point(dbsession, trip) is None


@pytest.mark.parametrize("located_at", ["yesterday", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_point_whose_fix_time_is_not_understood_is_kept_at_the_server_time(dummy_request, dbsession, units,
                                                                            located_at):
    """A phone's broken clock must not lose the traveller's place (issue 10, finding 2)."""
    trip, _t, _g = make_trip(dbsession)
    now = utcnow()
    point = trips.add_point(dummy_request, trip, lat=38.5, lon=115.5, located_at=located_at, now=now)
    assert (point.lat, point.lon, point.located_at) == (38.5, 115.5, now)


def test_the_same_fix_sent_twice_is_stored_once(dummy_request, dbsession, units):
    trip, _t, _g = make_trip(dbsession)
    at = utcnow()
    first = trips.add_point(dummy_request, trip, lat=38.5, lon=115.5, located_at=at.isoformat())
    again = trips.add_point(dummy_request, trip, lat=38.5, lon=115.5, located_at=at.isoformat())
    assert again.id == first.id
    assert dbsession.execute(select(func.count()).select_from(TripPoint)
                             .where(TripPoint.trip_id == trip.id)).scalar_one() == 1


def test_a_far_jump_is_accepted_when_enough_time_passed(dummy_request, dbsession, units):
    trip, _t, _g = make_trip(dbsession)
    now = utcnow()
    trips.add_point(dummy_request, trip, lat=38.5, lon=115.5, located_at=now - timedelta(minutes=9), now=now)
    trips.add_point(dummy_request, trip, lat=38.5, lon=115.9, located_at=now, now=now)  # 35 km in 9 min: a car
    assert trips.last_point(dbsession, trip).lon == 115.9


def test_metres_is_the_great_circle_distance():
    assert trips._metres(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-3)
    assert trips._metres(38.5, 115.5, 38.5, 115.5) == 0


def test_raising_twice_gives_the_same_alarm(dummy_request, dbsession, units):
    trip, _t, _g = make_trip(dbsession)
    first = trips.raise_alarm(dummy_request, trip, guardian=trip.guardians[0])
    assert trips.raise_alarm(dummy_request, trip) is first
    assert dbsession.execute(select(func.count()).select_from(Alarm)).scalar_one() == 1


def test_overdue_without_contacts_queues_nothing_and_is_still_marked(dummy_request, dbsession, units):
    trip, _t, _g = make_trip(dbsession, expected_arrival_at=utcnow() - timedelta(minutes=1))
    assert trips_jobs.mark_overdue(dummy_request) == 1
    assert trip.overdue_at is not None and trips.is_overdue(trip)
    assert dbsession.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


def test_escalation_waits_for_the_configured_minutes(dummy_request, dbsession, registry, units, monkeypatch):
    monkeypatch.setitem(registry.settings, "portal.trip.escalate_minutes", "30")
    now = utcnow()
    trip, _t, _g = make_trip(dbsession, expected_arrival_at=now - timedelta(minutes=1))
    trips_jobs.mark_overdue(dummy_request, now)
    assert trips_jobs.escalate_unanswered(dummy_request, now + timedelta(minutes=29)) == 0
    assert trips_jobs.escalate_unanswered(dummy_request, now + timedelta(minutes=31)) == 1
    assert trip.state == "alarm_raised"


def test_only_ended_trips_past_retention_are_purged(dummy_request, dbsession, registry, units, monkeypatch):
    monkeypatch.setitem(registry.settings, "portal.trip.retention_days", "1")
    now = utcnow()
    trip, _t, _g = make_trip(dbsession, state="expired", ended_at=now - timedelta(hours=25))
    dbsession.add(TripPoint(trip=trip, lat=1, lon=1, located_at=now))
    dbsession.flush()
    assert trips_jobs.purge_ended(dummy_request, now - timedelta(hours=2)) == 0
    assert trips_jobs.purge_ended(dummy_request, now) == 1
    assert dbsession.execute(
        select(func.count()).select_from(TripPoint).where(TripPoint.trip_id == trip.id)).scalar_one() == 0


def test_updates_show_nothing_of_an_arrived_trip(dummy_request, dbsession, units):
    trip, _t, _g = make_trip(dbsession)
    trips.add_point(dummy_request, trip, lat=38.5, lon=115.5)
    assert len(trips.updates(dbsession, trip)["points"]) == 1
    trips.arrive(dummy_request, trip)
    update = trips.updates(dbsession, trip)
    assert (update["state"], update["points"], update["last"]) == ("arrived", [], None)
