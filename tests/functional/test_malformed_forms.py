"""Finding 2 of issue 10, form by form: what a careless or hostile client posts gets a clear 4xx page
with the fallbacks (or JSON), and nothing is stored."""
import pytest
from sqlalchemy import func, select

from portal.alarms.models import Alarm
from portal.tips.models import Tip
from portal.trips.models import Trip, TripPoint
from tests.factories import make_trip, make_units
from tests.functional.test_malformed_urls import assert_portal_answer

PUBLIC_FORMS = ["/tips/new", "/missing/new", "/trips/new", "/status", "/login", "/alarm", "/status/reply"]


@pytest.fixture
def units(dbsession):
    return make_units(dbsession)


def count(dbsession, model):
    return dbsession.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("path", PUBLIC_FORMS)
def test_multipart_without_a_boundary_is_a_clear_answer(testapp, dbsession, units, path):
    answer = testapp.post(path, b"text=help", content_type="multipart/form-data", status="*")
    assert_portal_answer(answer)
    if path != "/alarm":  # an alarm is never refused: it goes out with what it says
        assert answer.status_int in (400, 403, 413, 415, 429) or answer.status_int < 400
        assert count(dbsession, Tip) == 0 and count(dbsession, Trip) == 0


@pytest.mark.parametrize("path", ["/missing/new", "/trips/new", "/status", "/login"])
def test_deform_sequence_markers_on_a_public_form_are_a_clear_answer(testapp, dbsession, units, path):
    form = testapp.get(path).forms[0]
    fields = dict(form.submit_fields())
    fields.update({"__start__": "contact:sequence", "__end__": "contact:sequence"})
    answer = testapp.post(path, list(fields.items()) + [("__start__", "guardians:sequence")], status="*")
    assert_portal_answer(answer)
    assert count(dbsession, Tip) == 0 and count(dbsession, Trip) == 0


@pytest.mark.parametrize("position", [
    {"lat": 10 ** 400, "lon": 115.5}, {"lat": 38.5, "lon": -(10 ** 400)}, {"lat": 38.5, "lon": 115.5, "accuracy_m": 10 ** 400},
    {"lat": "NaN", "lon": "NaN"}, {"lat": [38.5], "lon": {"x": 1}}, {"lat": True, "lon": 115.5},
])
def test_absurd_json_positions_on_a_trip_are_a_clear_400_and_nothing_is_stored(testapp, dbsession, units, position):
    trip, token, _guards = make_trip(dbsession)
    csrf = testapp.get(f"/trips/{token}").html.select_one('input[name="csrf_token"]')["value"]
    answer = testapp.post_json(f"/trips/{token}/location", position, headers={"X-CSRF-Token": csrf}, status=400)
    assert answer.json["error"] and answer.content_type == "application/json"
    assert count(dbsession, TripPoint) == 0


def test_nan_coordinates_on_the_alarm_form_never_lose_the_alarm(testapp, dbsession, units):
    form = testapp.get("/alarm").forms["alarm-form"]
    fields = dict(form.submit_fields())
    fields.update(lat="NaN", lon="NaN", text="help")
    testapp.post("/alarm", fields, status=303)
    (alarm,) = dbsession.execute(select(Alarm)).scalars().all()
    assert alarm.lat is None and count(dbsession, Alarm) == 1
