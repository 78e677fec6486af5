"""A trip's alarm is not a dead end (issue 10, finding 11): once it is raised the traveller's page is
the alarm's sender page, positions flow on into the alarm's track, the guardians read the dispatcher
and write to them, and the dispatcher reaches a guardian by revealing their contact with a reason."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.alarms.models import Alarm, AlarmLocation, AlarmMessage
from portal.audit.models import AuditEvent
from portal.core.meta import utcnow
from portal.privacy.links import token_hash
from portal.trips import jobs as trips_jobs
from portal.trips import services as trips
from tests.factories import make_officer, make_trip, make_units
from tests.functional.helpers import login
from tests.functional.test_trips import CITY_A_POINT, DESTINATION, box, csrf_of, post_point

PHONE = "13912345678"


@pytest.fixture
def units(dbsession):
    units = make_units(dbsession)
    units["province"].jurisdiction = box(114, 37, 118, 40)
    units["city_a"].jurisdiction = box(115, 38, 116, 39)
    dbsession.flush()
    return units


def raise_by_guardian(testapp, dbsession, registry, *, guardians=("Mum", "Dad")):
    trip, token, guards = make_trip(dbsession, guardians=guardians, destination=DESTINATION)
    mum = trip.guardians[0]
    mum.contact = registry["field_cipher"].encrypt(json.dumps({"sms": PHONE}), trips.GUARDIAN_CONTACT_LABEL)
    dbsession.flush()
    post_point(testapp, token, *CITY_A_POINT, csrf=csrf_of(testapp.get(f"/trips/{token}")))
    page = testapp.get(f"/guard/{guards[0]}")
    testapp.post(f"/guard/{guards[0]}/alarm", {"csrf_token": csrf_of(page), "confirm": "yes"}, status=303)
    alarm = dbsession.execute(select(Alarm).where(Alarm.trip_id == trip.id)).scalar_one()
    return trip, token, guards, alarm


def test_the_travellers_page_becomes_the_alarms_sender_page(testapp, dbsession, registry, units):
    trip, token, _guards, alarm = raise_by_guardian(testapp, dbsession, registry)
    moved = testapp.get(f"/trips/{token}", status=303)
    sender = moved.location.split("localhost", 1)[-1]
    assert sender.startswith("/alarm/") and token_hash(sender.rsplit("/", 1)[1]) == alarm.token_hash
    page = testapp.get(sender)
    assert "Waiting for a dispatcher" in page.text and page.forms["alarm-message"]
    # The traveller's page polls and is told where to go; a guardian's is not given the link.
    assert testapp.get(f"/trips/{token}/updates").json["alarm_url"] == sender
    assert "alarm_url" not in testapp.get(f"/guard/{_guards[0]}/updates").json
    # The traveller writes to the dispatcher from there, with the trip's link alone.
    testapp.post(f"{sender}/messages", {"csrf_token": csrf_of(page), "text": "I am in the back of the van"},
                 status=303)
    assert "I am in the back of the van" in [m.text for m in alarm.messages]


def test_positions_from_an_old_trip_page_flow_into_the_alarms_track(testapp, dbsession, registry, units):
    trip, token, _guards, alarm = raise_by_guardian(testapp, dbsession, registry)
    answer = post_point(testapp, token, 38.52, 115.52, status=201).json
    assert answer["forwarded"] is True and answer["state"] == "alarm_raised" and answer["alarm_url"]
    (row,) = dbsession.execute(select(AlarmLocation).where(AlarmLocation.alarm_id == alarm.id)).scalars().all()
    assert (row.lat, row.lon) == (38.52, 115.52)
    # Once the police end the alarm, the page hears so (409) and nothing more is taken.
    alarm.state = "closed"
    dbsession.flush()
    refused = post_point(testapp, token, 38.53, 115.53, status=409).json
    assert refused["state"] == "alarm_raised" and "ended" in refused["error"]


def test_guardians_read_the_dispatcher_and_write_to_them(testapp, dbsession, registry, units):
    trip, _token, (mum, dad), alarm = raise_by_guardian(testapp, dbsession, registry)
    dispatcher = make_officer(dbsession, units["province"], ["dispatcher"], username="disp_guard")
    dbsession.add(AlarmMessage(alarm=alarm, sender="dispatcher", officer=dispatcher, text="Officers are on the way."))
    dbsession.flush()
    page = testapp.get(f"/guard/{dad}")
    thread = [" ".join(li.get_text(" ").split()) for li in page.html.select("#guard-thread li")]
    assert any(line.startswith("Dispatcher") and "Officers are on the way." in line for line in thread)
    assert any("Trip guardian alarm" in line for line in thread)  # the system line, translated
    form = next(f for f in page.forms.values() if (f.action or "").endswith("/message"))
    form["text"] = "She wears a red coat."
    form.submit(status=303)
    form.submit(status=303)  # sent again (its answer lost): stored once
    lines = dbsession.execute(select(AlarmMessage).where(AlarmMessage.alarm_id == alarm.id,
                                                         AlarmMessage.sender == "guardian")).scalars().all()
    assert [(m.text, m.params) for m in lines] == [("She wears a red coat.", {"label": "Dad"})]
    # The other guardian's page lists it (and its script gets it by polling).
    assert "Guardian · Dad" in " ".join(testapp.get(f"/guard/{mum}").html.select_one("#guard-thread").get_text(" ").split())
    polled = testapp.get(f"/guard/{mum}/updates").json["thread"]
    assert {"sender": "guardian", "who": "Guardian · Dad", "text": "She wears a red coat."}.items() <= polled[-1].items()
    # The dispatcher sees who wrote it.
    login(testapp, "disp_guard")
    console = testapp.get(f"/staff/alarms/{alarm.id}")
    assert "Guardian · Dad" in " ".join(console.text.split()) and "She wears a red coat." in console.text


def test_an_empty_line_or_an_ended_alarm_keeps_what_the_guardian_typed(testapp, dbsession, registry, units):
    trip, _token, (mum, _dad), alarm = raise_by_guardian(testapp, dbsession, registry)
    page = testapp.get(f"/guard/{mum}")
    empty = testapp.post(f"/guard/{mum}/message", {"csrf_token": csrf_of(page), "text": "  "}, status=400)
    assert "Write a message first." in empty.text
    alarm.state = "closed"
    dbsession.flush()
    ended = testapp.post(f"/guard/{mum}/message", {"csrf_token": csrf_of(page), "text": "Still no news?"}, status=409)
    assert "This alarm has ended" in ended.text and "Still no news?" in ended.text
    assert not ended.html.select("form.guard-message")  # no form on an ended alarm
    assert dbsession.execute(select(AlarmMessage).where(AlarmMessage.sender == "guardian")).first() is None


def test_the_dispatcher_reveals_a_guardians_contact_with_a_reason(testapp, dbsession, registry, units):
    trip, _token, _guards, alarm = raise_by_guardian(testapp, dbsession, registry)
    make_officer(dbsession, units["province"], ["dispatcher"], username="disp_reveal")
    login(testapp, "disp_reveal")
    page = testapp.get(f"/staff/alarms/{alarm.id}")
    assert "Mum" in page.text and PHONE not in page.text
    mum_id = trip.guardians[0].id
    form = next(f for f in page.forms.values() if f.fields.get("action") and f["action"].value == "reveal_guardian"
                and f["person"].value == str(mum_id))
    form["reason"] = "x"
    short = form.submit(status=400)
    assert PHONE not in short.text
    form["reason"] = "Guardian may know where the traveller went"
    shown = form.submit(status=200)
    assert f'href="tel:{PHONE}"' in shown.text and shown.headers["Cache-Control"] == "no-store"
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.object_type == "alarm",
                                                       AuditEvent.reason.contains("Guardian may know"))).scalar_one()
    assert f"guardian {mum_id}" in event.reason and PHONE not in event.reason
    # Another alarm's page cannot reveal this guardian.
    other = testapp.post(f"/staff/alarms/{alarm.id}", {"csrf_token": form["csrf_token"].value,
                                                        "action": "reveal_guardian", "person": "999999",
                                                        "reason": "Guardian may know where"}, status=400)
    assert PHONE not in other.text


def test_a_purged_trip_leaves_no_guardian_name_in_the_thread(testapp, dbsession, registry, dummy_request, units):
    trip, _token, (mum, _dad), alarm = raise_by_guardian(testapp, dbsession, registry)
    page = testapp.get(f"/guard/{mum}")
    testapp.post(f"/guard/{mum}/message", {"csrf_token": csrf_of(page), "text": "On my way to the station"},
                 status=303)
    alarm.state, alarm.ended_at = "closed", utcnow()
    trip.ended_at = utcnow() - timedelta(days=8)
    dbsession.flush()
    trips_jobs.purge_ended(dummy_request)
    line = dbsession.execute(select(AlarmMessage).where(AlarmMessage.sender == "guardian")).scalar_one()
    assert line.params["label"] != "Mum" and "Mum" not in json.dumps(line.params)


def test_each_action_of_a_link_takes_its_own_methods(testapp, dbsession, units):
    """A wrong method is a 405 per action, not only per route (/trips/{token}/{action})."""
    _trip, token, (guard,) = make_trip(dbsession, guardians=("Mum",))
    wrong = testapp.get(f"/trips/{token}/location", status=405)
    assert wrong.headers["Allow"] == "POST" and 'href="tel:110"' in wrong.text
    assert testapp.get(f"/guard/{guard}/message", status=405).headers["Allow"] == "POST"
    assert testapp.post(f"/trips/{token}/updates", status=405).headers["Allow"] == "GET, HEAD"
    testapp.get(f"/trips/{token}/updates", status=200)
