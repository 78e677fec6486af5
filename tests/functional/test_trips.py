"""Trip guardian: a traveller starts a trip and shares links; the traveller's page sends positions;
guardians follow the track and may raise the alarm; the worker marks missed arrivals, notifies
guardians through the outbox, escalates unanswered ones to an alarm routed by the last point,
expires abandoned trips and deletes tracks and photos after the retention period. The police see
nothing of a trip until an alarm is raised."""
import json
import logging
import os
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from pyramid.i18n import make_localizer
from sqlalchemy import func, select
from webtest import Upload

import portal
from portal.alarms.models import Alarm
from portal.alarms.raising import message_text
from portal.audit.models import AuditEvent
from portal.core.localtime import LOCAL_TZ
from portal.core.meta import utcnow
from portal.media.models import Media
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from portal.privacy.links import new_token, token_hash
from portal.trips import jobs as trips_jobs
from portal.trips import services as trips
from portal.trips.models import Trip, TripGuardian, TripPhoto, TripPoint
from tests.factories import jpeg_bytes, make_officer, make_photo, make_trip, make_units
from tests.functional.helpers import login

DESTINATION = "Xinhua Road 88, flat 1203"
PLATE = "冀A·T1234"
PHONE = "13912345678"
# City A covers lon 115-116, city B lon 116-117 (lat 38-39); the province holds both.
CITY_A_POINT = (38.5, 115.5)
CITY_B_POINT = (38.5, 116.5)


def thread_text(alarm, locale="en") -> str:
    """The alarm's thread as a reader in `locale` sees it (system lines are translated when shown)."""
    reader = SimpleNamespace(localizer=make_localizer(locale, [os.path.join(portal.__path__[0], "locale")]))
    return " ".join(message_text(reader, m) for m in alarm.messages)


def box(west, south, east, north):
    return json.dumps({"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north],
                                                           [west, north], [west, south]]]})


@pytest.fixture
def units(dbsession):
    units = make_units(dbsession)
    units["province"].jurisdiction = box(114, 37, 118, 40)
    units["city_a"].jurisdiction = box(115, 38, 116, 39)
    units["city_b"].jurisdiction = box(116, 38, 117, 39)
    dbsession.flush()
    return units


def local_input(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def start_form(testapp, **values):
    form = testapp.get("/trips/new").forms["deform"]
    defaults = {"destination": DESTINATION, "expected_arrival_at": local_input(utcnow() + timedelta(hours=1))}
    for name, value in {**defaults, **values}.items():
        form[name] = value
    return form


def guardian_slots(form):
    return form.fields["label"], form.fields["contact"]


def name_guardians(form, *guardians):
    labels, contacts = guardian_slots(form)
    for index, (label, contact) in enumerate(guardians):
        labels[index].value = label
        contacts[index].value = contact
    return form


def send(testapp, form, photos=(), button="start", status="*"):
    """Submit a form with files under "photos", as a browser's multiple file input does."""
    fields = [(name, value) for name, value in form.submit_fields(button) if name != "photos"]
    fields += [("photos", Upload(filename, data, "image/jpeg")) for filename, data in photos]
    return testapp.post(form.action or "/trips/new", fields, content_type="multipart/form-data", status=status)


def counts(dbsession, registry):
    rows = [dbsession.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Trip, TripGuardian, TripPhoto, Media)]
    files = sum(len(names) for _, _, names in os.walk(registry.settings["portal.media_dir"]))
    return rows + [files]


def post_point(testapp, token, lat, lon, accuracy_m=20, located_at=None, status=201, csrf=None):
    csrf = csrf or session_csrf(testapp)
    body = {"lat": lat, "lon": lon, "accuracy_m": accuracy_m,
            "located_at": int((located_at or utcnow()).timestamp() * 1000)}
    return testapp.post_json(f"/trips/{token}/location", body, headers={"X-CSRF-Token": csrf}, status=status)


def csrf_of(page):
    return page.html.select_one('input[name="csrf_token"]')["value"]


def session_csrf(testapp):
    """The session's CSRF token, for pages of ended trips that carry no form any more."""
    return csrf_of(testapp.get("/trips/new"))


def audit_text(dbsession):
    return " ".join(f"{e.action} {e.reason} {e.object_type}" for e in dbsession.execute(select(AuditEvent)).scalars())


# --- starting a trip ---------------------------------------------------------------------------------------


def test_the_form_says_the_police_see_nothing_and_offers_five_guardian_slots(testapp):
    page = testapp.get("/trips/new")
    assert "The police see nothing of this trip unless an alarm is raised." in page.text
    labels, contacts = guardian_slots(page.forms["deform"])
    assert len(labels) == len(contacts) == 5
    assert page.headers["Cache-Control"] == "no-store"
    assert 'href="tel:110"' in page.text



def state_banner(page, name, kind):
    """The trip state's banner (templates/_messages.html): its title and body, after checking its markup."""
    banner = page.html.select_one(f"main .banner.{name}")
    assert banner is not None and kind in banner["class"], banner
    assert banner["role"] == ("alert" if kind in ("banner-success", "banner-danger") else "region")
    title = banner.select_one("h2.banner-title")
    assert banner["aria-labelledby"] == title["id"]
    body = banner.select_one(".banner-body")
    assert not page.html.select("main .alert-danger, main .alert-success")  # no old alert box is left
    return title.get_text(strip=True), body.get_text(" ", strip=True) if body else ""


def test_starting_a_trip_shows_each_link_once_and_keeps_only_hashes(testapp, dbsession, registry, units):
    form = name_guardians(start_form(testapp, vehicle_plate="ja t1234", name="Li Hua", phone="13800000000"),
                          ("Mum", PHONE), ("Dad", ""))
    page = send(testapp, form, [("plate.jpg", jpeg_bytes())], status=200)
    assert page.headers["Cache-Control"] == "no-store"
    warning = page.html.select_one("main .warning-text")  # the warning-text component, not an old alert
    assert "These links are shown only once" in warning.get_text() and warning.select_one(".visually-hidden")
    assert not page.html.select("main .alert")
    assert "The police see nothing of this trip unless an alarm is raised." in page.text
    trip = dbsession.execute(select(Trip)).scalar_one()
    assert (trip.state, trip.destination, trip.vehicle_plate) == ("active", DESTINATION, "JA T1234")
    links = [a["href"] for a in page.html.select("a[href]")]
    trip_links = {link for link in links if "/trips/" in link and "/trips/new" not in link}
    assert len(trip_links) == 1
    guard_links = [span.text for span in page.html.select(".guardian-links .copyable")]
    assert len(guard_links) == 2 and all("/guard/" in link for link in guard_links)
    assert sum(1 for link in links if link.startswith("sms:?&body=")) == 2
    assert sum(1 for link in links if link.startswith("mailto:?subject=")) == 2
    # Only hashes are stored: the page's tokens are nowhere in the rows.
    tokens = [link.rsplit("/", 1)[1] for link in [*trip_links, *guard_links]]
    stored = [trip.token_hash] + [g.token_hash for g in trip.guardians]
    assert not set(tokens) & set(stored) and len(set(stored)) == 3
    mum, dad = trip.guardians
    assert (mum.label, dad.label, dad.contact) == ("Mum", "Dad", None)
    assert PHONE not in mum.contact
    assert json.loads(registry["field_cipher"].decrypt(mum.contact, trips.GUARDIAN_CONTACT_LABEL)) == {"sms": PHONE}
    assert "13800000000" not in trip.owner_contact
    (photo,) = trip.photos
    assert photo.media.notice_id is None
    testapp.get(f"/media/{photo.media.id}/public", status=404)  # never a public picture
    # The traveller's and a guardian's pages open with the links.
    assert "I arrived safely" in testapp.get(next(iter(trip_links))).text
    assert "Following a trip" in testapp.get(guard_links[0]).text
    # Audited without the place, the plate or anyone's name; the police get nothing.
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "trip.started")).scalar_one()
    assert (event.actor, event.object_id, event.to_state) == ("public", str(trip.id), "active")
    assert DESTINATION not in audit_text(dbsession) and "Mum" not in audit_text(dbsession)
    assert dbsession.execute(select(func.count()).select_from(Alarm)).scalar_one() == 0


def test_an_email_guardian_contact_is_kept_for_email(testapp, dbsession, registry, units):
    name_guardians(start_form(testapp), ("Sister", "sister@example.com")).submit("start", status=200)
    (guardian,) = dbsession.execute(select(TripGuardian)).scalars().all()
    assert json.loads(registry["field_cipher"].decrypt(guardian.contact, trips.GUARDIAN_CONTACT_LABEL)) == {
        "email": "sister@example.com"}


PAST = local_input(utcnow() - timedelta(hours=1))
TOO_FAR = local_input(utcnow() + timedelta(hours=30))


@pytest.mark.parametrize("values,guardians,message", [
    ({"expected_arrival_at": PAST}, [("Mum", "")], "must be in the future"),
    ({"expected_arrival_at": TOO_FAR}, [("Mum", "")], "within the next 24 hours"),
    ({"expected_arrival_at": ""}, [("Mum", "")], "Give the time you expect to arrive"),
    ({"destination": ""}, [("Mum", "")], "Say where you are going"),
    ({}, [], "Name between 1 and 5 guardians"),
    ({}, [("", PHONE)], "Give this guardian a name"),
    ({}, [("Mum", "not a phone")], "digits only"),
    ({}, [("Mum", "mum@nowhere")], "e-mail address"),
    ({"phone": "call me"}, [("Mum", "")], "digits only"),
])
def test_bad_trips_are_refused_with_the_form_kept(testapp, dbsession, registry, units, values, guardians, message):
    before = counts(dbsession, registry)
    form = name_guardians(start_form(testapp, **values), *guardians)
    page = send(testapp, form, [("plate.jpg", jpeg_bytes())], status=400)
    assert message in page.text
    assert "The trip was not started." in page.text
    kept = page.forms["deform"]
    assert kept["destination"].value == values.get("destination", DESTINATION)
    assert counts(dbsession, registry) == before


def test_more_than_five_guardians_are_refused(testapp, dbsession, registry, units):
    form = name_guardians(start_form(testapp), *[(f"G{i}", "") for i in range(1, 6)])
    fields = form.submit_fields("start")
    # A sixth guardian, added by hand before the end of the list (the page offers five).
    end = fields.index(("__end__", "guardians:sequence"))
    fields[end:end] = [("__start__", "guardian:mapping"), ("label", "G6"), ("contact", ""),
                       ("__end__", "guardian:mapping")]
    before = counts(dbsession, registry)
    page = testapp.post("/trips/new", fields, status=400)
    assert "Name between 1 and 5 guardians" in page.text
    assert counts(dbsession, registry) == before


def test_a_bad_photo_refuses_the_whole_trip(testapp, dbsession, registry, units):
    before = counts(dbsession, registry)
    form = name_guardians(start_form(testapp), ("Mum", ""))
    page = send(testapp, form, [("notes.jpg", b"this is not a photo")], status=400)
    assert "not a photo" in page.text
    # What happened and what was kept, first; then the form's own summary, linking to the photos field.
    banner, summary = page.html.select_one("main .banner"), page.html.select_one("form .error-summary[role=alert]")
    assert "The trip was not started." in banner.text and "photos must be chosen again" in banner.text
    assert "notes.jpg is not a photo" in summary.text and summary.select_one("a[href^='#']")
    assert counts(dbsession, registry) == before


def test_starting_trips_is_rate_limited_per_address(testapp, dbsession, registry, units, monkeypatch):
    monkeypatch.setitem(registry.settings, "portal.trip.rate_per_hour", "1")
    name_guardians(start_form(testapp), ("Mum", "")).submit("start", status=200)
    page = name_guardians(start_form(testapp, destination="Second trip"), ("Mum", "")).submit("start", status=429)
    assert "Many trips have been started from this address" in page.text
    assert page.forms["deform"]["destination"].value == "Second trip"
    assert dbsession.execute(select(func.count()).select_from(Trip)).scalar_one() == 1


def test_the_police_see_nothing_of_a_trip_until_an_alarm_is_raised(testapp, dbsession, units):
    trip, token, (guard,) = make_trip(dbsession, destination=DESTINATION, vehicle_plate="JA T1234")
    post_point(testapp, token, *CITY_A_POINT)
    make_officer(dbsession, units["province"], ["dispatcher"], username="dispatch_p")
    login(testapp, "dispatch_p")
    for path in ("/staff", "/staff/alarms", "/staff/alarms/feed", "/staff/audit"):
        answer = testapp.get(path, status="*")
        assert DESTINATION not in answer.text and "JA T1234" not in answer.text and "38.5" not in answer.text
    assert dbsession.execute(select(func.count()).select_from(Alarm)).scalar_one() == 0
    assert DESTINATION not in audit_text(dbsession) and "JA T1234" not in audit_text(dbsession)


def test_unknown_and_malformed_links_are_404(testapp, units):
    token, _hash = new_token()
    for path in (f"/trips/{token}", f"/guard/{token}", f"/trips/{token}/updates", f"/guard/{token}/updates",
                 f"/trips/{token}/photos/1/thumb", "/trips/short", "/guard/not-a-token"):
        assert "Page not found" in testapp.get(path, status=404).text
    testapp.post(f"/trips/{token}/location", {"lat": "1", "lon": "1"}, status=404, expect_errors=True)


# --- the traveller's positions --------------------------------------------------------------------------------


def test_positions_are_stored_and_bad_ones_refused_without_losing_the_last_good_one(testapp, dbsession, units):
    trip, token, _g = make_trip(dbsession)
    csrf = csrf_of(testapp.get(f"/trips/{token}"))
    first = post_point(testapp, token, *CITY_A_POINT, csrf=csrf).json
    assert first["ok"] and first["point"]["lat"] == CITY_A_POINT[0]
    now = utcnow()
    refusals = [
        ({"lat": 91, "lon": 115}, 400, "outside the world"),
        ({"lat": "abc", "lon": 115}, 400, "not a number"),
        ({"lat": None, "lon": 115}, 400, "needs a latitude and a longitude"),
        ({"lat": 38.5, "lon": 115.5, "accuracy_m": 250_000}, 422, "too inaccurate"),
        ({"lat": 38.5, "lon": 115.5, "located_at": now - timedelta(hours=1)}, 422, "too old"),
        ({"lat": 38.5, "lon": 115.5, "located_at": now + timedelta(hours=1)}, 422, "in the future"),
        ({"lat": 48.5, "lon": 125.5}, 422, "jumps too far"),  # 1,300 km within seconds
    ]
    for values, status, message in refusals:
        body = {"accuracy_m": 20, "located_at": int(values.pop("located_at", now).timestamp() * 1000), **values}
        answer = testapp.post_json(f"/trips/{token}/location", body, headers={"X-CSRF-Token": csrf}, status=status)
        assert message in answer.json["error"], (values, answer.json)
        assert answer.json["state"] == "active"
    garbled = testapp.post(f"/trips/{token}/location", "{not json", content_type="application/json",
                           headers={"X-CSRF-Token": csrf}, status=400)
    assert "could not be read" in garbled.json["error"]
    (point,) = dbsession.execute(select(TripPoint).where(TripPoint.trip_id == trip.id)).scalars().all()
    assert (point.lat, point.lon) == CITY_A_POINT
    # Without the page's CSRF token nothing is taken.
    testapp.post_json(f"/trips/{token}/location", {"lat": 38.5, "lon": 115.5}, status=400)


def test_a_flood_of_positions_is_refused_and_the_latest_good_one_kept(testapp, dbsession, units):
    trip, token, _g = make_trip(dbsession)
    csrf = csrf_of(testapp.get(f"/trips/{token}"))
    for step in range(trips.POINTS_PER_MINUTE):
        post_point(testapp, token, 38.5, 115.5 + step * 0.0001, csrf=csrf)
    flood = post_point(testapp, token, 38.5, 115.503, csrf=csrf, status=429)
    assert "Too many positions" in flood.json["error"]
    last = trips.last_point(dbsession, trip)
    assert (last.lat, last.lon) == (38.5, 115.5 + (trips.POINTS_PER_MINUTE - 1) * 0.0001)


def test_the_guardian_sees_the_track_and_the_last_position_as_text(testapp, dbsession, units):
    trip, token, (guard,) = make_trip(dbsession, vehicle_plate="JA T1234")
    csrf = csrf_of(testapp.get(f"/trips/{token}"))
    post_point(testapp, token, 38.5, 115.5, located_at=utcnow() - timedelta(seconds=30), csrf=csrf)
    post_point(testapp, token, 38.501, 115.502, accuracy_m=12, csrf=csrf)
    page = testapp.get(f"/guard/{guard}")
    assert page.headers["Cache-Control"] == "no-store"
    # The pair is isolated left to right, so it keeps its order in a Uyghur sentence.
    assert 'Last position: <bdi dir="ltr">38.50100, 115.50200</bdi> (± 12 m)' in page.text
    assert "Railway station" in page.text and "JA T1234" in page.text
    assert "Overdue" not in page.text
    updates = testapp.get(f"/guard/{guard}/updates").json
    assert [p["lat"] for p in updates["points"]] == [38.5, 38.501]
    assert updates["state"] == "active" and not updates["overdue"] and not updates["alarm_sent"]
    after = updates["points"][0]["id"]
    assert [p["lat"] for p in testapp.get(f"/guard/{guard}/updates?after={after}").json["points"]] == [38.501]
    assert testapp.get(f"/trips/{token}/updates").json["last"]["lon"] == 115.502
    guardian = dbsession.execute(select(TripGuardian)).scalar_one()
    assert guardian.last_seen_at is not None


def test_photos_are_served_only_through_the_trips_own_links(testapp, dbsession, registry, units):
    trip, token, (guard,) = make_trip(dbsession)
    other, other_token, (other_guard,) = make_trip(dbsession)
    page = testapp.get(f"/trips/{token}")
    form = page.forms[[i for i, f in page.forms.items() if "photos" in (f.action or "")][0]]
    send(testapp, form, [("plate.jpg", jpeg_bytes())], button=None, status=303)
    (photo,) = dbsession.execute(select(TripPhoto).where(TripPhoto.trip_id == trip.id)).scalars().all()
    for base in (f"/trips/{token}", f"/guard/{guard}"):
        for variant in ("public", "thumb"):
            image = testapp.get(f"{base}/photos/{photo.id}/{variant}")
            assert image.content_type == "image/jpeg" and "no-store" in image.headers["Cache-Control"]
    assert f"/guard/{guard}/photos/{photo.id}/thumb" in testapp.get(f"/guard/{guard}").text
    testapp.get(f"/guard/{other_guard}/photos/{photo.id}/public", status=404)
    testapp.get(f"/trips/{other_token}/photos/{photo.id}/public", status=404)
    testapp.get(f"/media/{photo.media_id}/public", status=404)
    assert photo.media.notice_id is None


def test_a_bad_added_photo_is_refused_and_nothing_stored(testapp, dbsession, registry, units):
    trip, token, _g = make_trip(dbsession)
    before = counts(dbsession, registry)
    page = testapp.get(f"/trips/{token}")
    form = page.forms[[i for i, f in page.forms.items() if "photos" in (f.action or "")][0]]
    refused = send(testapp, form, [("x.jpg", b"nope")], button=None, status=400)
    assert "not a photo" in refused.text
    assert counts(dbsession, registry) == before


# --- ending a trip -------------------------------------------------------------------------------------------------


def test_arriving_ends_the_trip_and_the_guardian_page_says_so(testapp, dbsession, units):
    trip, token, (guard,) = make_trip(dbsession)
    post_point(testapp, token, *CITY_A_POINT)
    page = testapp.get(f"/trips/{token}")
    page.forms[[i for i, f in page.forms.items() if (f.action or "").endswith("/arrived")][0]].submit(status=303)
    dbsession.refresh(trip)
    assert trip.state == "arrived" and trip.ended_at is not None
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "trip.arrive")).scalar_one()
    assert (event.from_state, event.to_state, event.object_id) == ("active", "arrived", str(trip.id))
    assert state_banner(testapp.get(f"/trips/{token}"), "trip-ended", "banner-success") == (
        "You arrived safely. The trip has ended and your location is no longer shared.", "")
    guard_page = testapp.get(f"/guard/{guard}")
    title, body = state_banner(guard_page, "trip-ended", "banner-success")
    assert title.startswith("The traveller arrived safely at") and "Thank you for looking after them" in body
    assert "Last position" not in guard_page.text
    assert "Raise the alarm" not in guard_page.text
    assert testapp.get(f"/guard/{guard}/updates").json["points"] == []
    # After the end: no more positions, no alarm, no second arrival.
    assert post_point(testapp, token, *CITY_A_POINT, status=409).json["state"] == "arrived"
    refused = testapp.post(f"/guard/{guard}/alarm", {"csrf_token": session_csrf(testapp), "confirm": "yes"},
                           status=409)
    assert "This trip has ended" in refused.text
    testapp.post(f"/trips/{token}/arrived", {"csrf_token": session_csrf(testapp)}, status=409)
    assert dbsession.execute(select(func.count()).select_from(Alarm)).scalar_one() == 0


def test_a_guardian_raises_the_alarm_with_the_track_for_the_dispatcher(testapp, dbsession, units):
    trip, token, (mum, dad) = make_trip(dbsession, guardians=("Mum", "Dad"), destination=DESTINATION)
    csrf = csrf_of(testapp.get(f"/trips/{token}"))
    post_point(testapp, token, 38.5, 115.99, located_at=utcnow() - timedelta(minutes=9), csrf=csrf)
    post_point(testapp, token, *CITY_B_POINT, accuracy_m=15, csrf=csrf)  # the trip crossed into city B
    assert dbsession.execute(select(func.count()).select_from(Alarm)).scalar_one() == 0
    page = testapp.get(f"/guard/{dad}")
    # Not confirmed: nothing sent.
    unconfirmed = testapp.post(f"/guard/{dad}/alarm", {"csrf_token": csrf_of(page)}, status=400)
    assert "Tick the box to confirm" in unconfirmed.text
    assert dbsession.execute(select(func.count()).select_from(Alarm)).scalar_one() == 0
    form = page.forms[[i for i, f in page.forms.items() if (f.action or "").endswith("/alarm")][0]]
    form["confirm"] = True
    form.submit(status=303)
    alarm = dbsession.execute(select(Alarm)).scalar_one()
    dbsession.refresh(trip)
    assert trip.state == "alarm_raised" and trip.ended_at is not None
    assert alarm.trip is trip and alarm.unit_id == units["city_b"].id  # routed by the last point
    assert (alarm.lat, alarm.lon, alarm.accuracy_m) == (*CITY_B_POINT, 15.0)
    assert [(p.lat, p.lon) for p in alarm.trip.points] == [(38.5, 115.99), CITY_B_POINT]
    note = thread_text(alarm)
    assert "Dad" in note and DESTINATION in note and "2 points" in note
    shown = testapp.get(f"/guard/{dad}")
    title, body = state_banner(shown, "trip-alarm-sent", "banner-danger")
    assert title.startswith("The alarm was sent to the police (City B) at") and "also call 110" in body
    assert "Last position" in shown.text  # the guardians still follow the track
    assert "The alarm was sent" in testapp.get(f"/guard/{mum}").text
    # The traveller's own page is the alarm's sender page now (finding 11).
    moved = testapp.get(f"/trips/{token}", status=303)
    assert token_hash(moved.location.rsplit("/", 1)[1]) == alarm.token_hash
    assert "Waiting for a dispatcher" in moved.follow().text
    # Pressing again sends no second alarm.
    testapp.post(f"/guard/{mum}/alarm", {"csrf_token": session_csrf(testapp), "confirm": "yes"}, status=303)
    assert dbsession.execute(select(func.count()).select_from(Alarm)).scalar_one() == 1
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "trip.raise_alarm")).scalar_one()
    assert (event.from_state, event.to_state) == ("active", "alarm_raised")
    # Even now the audit log names no place, no coordinates, no guardian.
    text = audit_text(dbsession)
    assert DESTINATION not in text and "38.5" not in text and "116.5" not in text and "Dad" not in text


def test_the_traveller_may_raise_the_alarm_too(testapp, dbsession, registry, units):
    trip, token, _g = make_trip(dbsession, owner_contact=registry["field_cipher"].encrypt(
        json.dumps({"name": "Li Hua", "phone": "13800000000"}), trips.OWNER_CONTACT_LABEL))
    post_point(testapp, token, *CITY_A_POINT)
    page = testapp.get(f"/trips/{token}")
    testapp.post(f"/trips/{token}/alarm", {"csrf_token": csrf_of(page), "confirm": "yes"}, status=303)
    alarm = dbsession.execute(select(Alarm)).scalar_one()
    assert alarm.trip_id == trip.id and alarm.unit_id == units["city_a"].id
    assert "Raised by the traveller" in thread_text(alarm)
    # The traveller's contact reaches the alarm sealed, for the dispatcher to reveal with a reason.
    assert "13800000000" not in alarm.sender_contact
    assert "13800000000" in registry["field_cipher"].decrypt(alarm.sender_contact, "alarm.sender_contact")
    assert "Waiting for a dispatcher" in testapp.get(f"/trips/{token}", status=303).follow().text


def test_an_alarm_without_any_position_still_reaches_a_center(testapp, dbsession, units):
    trip, token, (guard,) = make_trip(dbsession, destination=DESTINATION)
    page = testapp.get(f"/guard/{guard}")
    assert "No position has been received yet." in page.text
    testapp.post(f"/guard/{guard}/alarm", {"csrf_token": csrf_of(page), "confirm": "yes"}, status=303)
    alarm = dbsession.execute(select(Alarm)).scalar_one()
    assert alarm.lat is None and alarm.unit_id == units["province"].id and DESTINATION in alarm.place


# --- the worker: overdue, escalation, expiry, retention -------------------------------------------------------


def test_overdue_notifies_guardians_then_escalates_to_an_alarm_routed_by_the_last_point(
        testapp, dbsession, registry, dummy_request, units, caplog):
    trip, token, (mum, dad) = make_trip(dbsession, guardians=("Mum", "Dad"))
    mum_row, dad_row = trip.guardians
    mum_row.contact = registry["field_cipher"].encrypt(json.dumps({"sms": PHONE}), trips.GUARDIAN_CONTACT_LABEL)
    post_point(testapp, token, *CITY_B_POINT)
    point_time = trips.last_point(dbsession, trip).located_at
    now = utcnow()
    trip.expected_arrival_at = now - timedelta(minutes=1)
    dbsession.flush()
    assert "Overdue" not in testapp.get(f"/guard/{dad}").text  # the worker has not looked yet

    assert trips_jobs.mark_overdue(dummy_request, now) == 1
    assert trip.overdue_at == now
    assert trips_jobs.mark_overdue(dummy_request, now) == 0  # once only
    (message,) = dbsession.execute(select(OutboxMessage)).scalars().all()
    assert (message.channel, message.subject_type, message.subject_id) == ("sms", "trip", trip.id)
    assert PHONE not in message.recipient and "Mum" not in message.body  # sealed
    cipher = registry["field_cipher"]
    assert cipher.decrypt(message.recipient, outbox.RECIPIENT_LABEL) == PHONE
    assert "Mum" in cipher.decrypt(message.body, outbox.BODY_LABEL)
    overdue = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "trip.overdue")).scalar_one()
    assert overdue.actor == "system" and "1 guardians notified" in overdue.reason

    page = testapp.get(f"/guard/{dad}")
    title, body = state_banner(page, "trip-overdue", "banner-danger")
    assert title == "Overdue: the traveller has not arrived." and "I am on it" in body
    assert page.html.select_one(".trip-overdue form button").get_text(strip=True) == "I am on it"
    assert testapp.get(f"/guard/{dad}/updates").json["overdue"] is True
    title, body = state_banner(testapp.get(f"/trips/{token}"), "trip-overdue", "banner-danger")
    assert "your guardians have been told" in title and "I arrived safely" in body

    # The log sender sends it: the log has neither the number nor the text.
    with caplog.at_level(logging.INFO, logger="portal.outbox"):
        assert outbox.send_due(dummy_request, now) == 1
    assert message.sent_at == now and message.attempts == 1
    assert "outbox: sms to ***78, " in caplog.text
    assert PHONE not in caplog.text and "Mum" not in caplog.text and "guarding" not in caplog.text

    # Not yet: the guardians have 15 minutes.
    assert trips_jobs.escalate_unanswered(dummy_request, now + timedelta(minutes=14)) == 0
    assert trips_jobs.escalate_unanswered(dummy_request, now + timedelta(minutes=16)) == 1
    alarm = dbsession.execute(select(Alarm)).scalar_one()
    assert trip.state == "alarm_raised" and alarm.trip_id == trip.id
    assert alarm.unit_id == units["city_b"].id and (alarm.lat, alarm.lon) == CITY_B_POINT
    assert alarm.located_at == point_time  # the fix's own time, not the alarm's
    # Stored as msgid and parameters, shown in the reader's language (Chinese here): it names the cause
    # (15 minutes without an answer) and the destination.
    summary = thread_text(alarm, "zh_CN")
    assert "15 分钟内无守护人回应" in summary and trip.destination in summary
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "trip.escalate")).scalar_one()
    assert (event.actor, event.to_state) == ("system", "alarm_raised")
    assert "The alarm was sent to the police (City B)" in testapp.get(f"/guard/{dad}").text


def test_a_guardian_who_answers_holds_back_the_automatic_alarm(testapp, dbsession, dummy_request, units):
    trip, token, (guard,) = make_trip(dbsession)
    page = testapp.get(f"/guard/{guard}")
    refused = testapp.post(f"/guard/{guard}/answer", {"csrf_token": csrf_of(page)}, status=409)
    assert "not overdue" in refused.text
    now = utcnow()
    trip.expected_arrival_at = now - timedelta(minutes=1)
    trips_jobs.mark_overdue(dummy_request, now)
    page = testapp.get(f"/guard/{guard}")
    page.forms[[i for i, f in page.forms.items() if (f.action or "").endswith("/answer")][0]].submit(status=303)
    assert trip.guardians[0].answered_at is not None
    assert "You said you are on it" in testapp.get(f"/guard/{guard}").text
    assert trips_jobs.escalate_unanswered(dummy_request, now + timedelta(hours=1)) == 0
    assert trip.state == "active"
    assert dbsession.execute(select(func.count()).select_from(Alarm)).scalar_one() == 0


def test_abandoned_trips_expire(testapp, dbsession, dummy_request, units):
    now = utcnow()
    silent, _t, (guard,) = make_trip(dbsession)
    recent, recent_token, _g = make_trip(dbsession)
    unanswered, _u, _ug = make_trip(dbsession)
    for trip in (silent, recent, unanswered):
        trip.expected_arrival_at, trip.overdue_at = now - timedelta(hours=25), now - timedelta(hours=24)
    for trip in (silent, recent):
        trip.guardians[0].answered_at = now - timedelta(hours=24)  # "I am on it"
    dbsession.add(TripPoint(trip=recent, lat=38.5, lon=115.5, located_at=now, received_at=now - timedelta(hours=1)))
    dbsession.flush()
    assert trips_jobs.expire_abandoned(dummy_request, now) == 1
    # Nobody answered the third: it is never quietly expired, it must escalate to an alarm.
    assert (silent.state, recent.state, unanswered.state) == ("expired", "active", "active")
    assert silent.ended_at == now
    title, body = state_banner(testapp.get(f"/guard/{guard}"), "trip-ended", "banner")
    assert title == "This trip has ended without an arrival message." and "call the traveller" in body


def test_retention_deletes_points_photos_and_files_of_ended_trips(testapp, dbsession, registry, dummy_request, units):
    store = registry["media_store"]
    now = utcnow()
    old, old_token, (old_guard,) = make_trip(dbsession, state="arrived", ended_at=now - timedelta(days=8),
                                             destination=DESTINATION)
    old.guardians[0].contact = "sealed"
    young, young_token, (young_guard,) = make_trip(dbsession, state="arrived", ended_at=now - timedelta(days=6))
    held, _h, _hg = make_trip(dbsession, state="alarm_raised", ended_at=now - timedelta(days=30))
    running, _r, _rg = make_trip(dbsession)
    for trip in (old, young, held, running):
        dbsession.add(TripPoint(trip=trip, lat=38.5, lon=115.5, located_at=now, received_at=now))
        dbsession.add(TripPhoto(trip=trip, media=make_photo(dbsession, store)))
    dbsession.flush()
    dbsession.add(Alarm(token_hash=new_token()[1], unit=units["city_a"], trip=held, state="acknowledged"))
    # A photo with different bytes, so its files are only this trip's.
    own = make_photo(dbsession, store)
    key, sha, size = store.put_bytes(jpeg_bytes(colour=(1, 2, 3)), ".jpg")
    own.original_key, own.sha256 = key, sha
    dbsession.add(TripPhoto(trip=old, media=own))
    dbsession.flush()
    old_media = [p.media for p in old.photos]
    shared_key = old_media[0].original_key  # the same test picture as the other trips': it stays
    assert store.exists(key) and store.exists(shared_key)

    assert trips_jobs.purge_ended(dummy_request, now) == 1
    assert old.purged_at == now
    assert (old.destination, old.owner_contact, old.guardians[0].contact, old.guardians[0].label) == ("", None, None, "")
    for trip, kept in ((old, 0), (young, 1), (held, 1), (running, 1)):
        points = dbsession.execute(select(func.count()).select_from(TripPoint).where(TripPoint.trip_id == trip.id))
        photos = dbsession.execute(select(func.count()).select_from(TripPhoto).where(TripPhoto.trip_id == trip.id))
        assert (points.scalar_one(), photos.scalar_one()) == (kept, kept), trip
    assert all(dbsession.get(Media, m.id) is None for m in old_media)
    assert not store.exists(key)  # its own file is gone
    assert store.exists(shared_key)  # still used by another trip's photo
    assert trips_jobs.purge_ended(dummy_request, now) == 0
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "retention.purge")).scalar_one()
    assert (event.actor, event.object_type) == ("system", "trip") and "2 photos" in event.reason

    gone = testapp.get(f"/guard/{old_guard}", status=410)
    assert "its track and photos have been deleted" in gone.text and 'href="tel:110"' in gone.text
    testapp.get(f"/trips/{old_token}", status=410)
    updates = testapp.get(f"/guard/{old_guard}/updates").json
    assert (updates["points"], updates["photos"], updates["last"], updates["purged"]) == ([], [], None, True)
    testapp.post(f"/guard/{old_guard}/alarm", {"csrf_token": session_csrf(testapp), "confirm": "yes"},
                 status=410)


def test_the_worker_runs_the_trip_jobs_and_the_outbox(dbsession):
    from portal.scripts import worker

    for name in ("trips-overdue", "trips-escalate", "trips-expire", "trips-purge", "send-outbox"):
        assert name in worker.JOBS
    names = list(worker.JOBS)
    assert names.index("send-outbox") == len(names) - 1
    assert names.index("trips-overdue") < names.index("trips-escalate")



def test_the_links_to_pass_on_carry_the_public_address_whatever_host_was_asked(testapp, units):
    testapp.extra_environ = dict(testapp.extra_environ, HTTP_HOST="evil.example")  # a forged Host header
    page = send(testapp, name_guardians(start_form(testapp), ("Mum", PHONE)), status=200)
    assert "evil.example" not in unquote(page.text)
    sms = [unquote(a["href"]) for a in page.html.select("a[href]") if a["href"].startswith("sms:?&body=")]
    assert len(sms) == 1 and "http://portal.test/guard/" in sms[0]
    assert page.html.select_one(".guardian-links .copyable").text.startswith("http://portal.test/guard/")


def test_the_dispatcher_page_loses_the_trip_when_the_trip_is_purged(testapp, dbsession, dummy_request, units):
    """Finding 10: a purged trip's destination and plate no longer survive in its alarm's thread."""
    make_officer(dbsession, units["province"], ["dispatcher"], username="disp_trip")  # no position: the root center
    trip, _token, (guard,) = make_trip(dbsession, destination=DESTINATION, vehicle_plate=PLATE)
    page = testapp.get(f"/guard/{guard}")
    testapp.post(f"/guard/{guard}/alarm", {"csrf_token": csrf_of(page), "confirm": "yes"}, status=303)
    alarm = dbsession.execute(select(Alarm)).scalar_one()
    login(testapp, "disp_trip")
    shown = testapp.get(f"/staff/alarms/{alarm.id}").text
    assert DESTINATION in shown and PLATE in shown  # the dispatcher reads them while the alarm runs
    alarm.state, alarm.ended_at = "closed", utcnow()
    trip.ended_at = utcnow() - timedelta(days=8)
    dbsession.flush()
    assert trips_jobs.purge_ended(dummy_request) == 1
    shown = testapp.get(f"/staff/alarms/{alarm.id}").text
    assert DESTINATION not in shown and PLATE not in shown
    assert "Trip guardian alarm" in shown and "(deleted after the retention period)" in shown
