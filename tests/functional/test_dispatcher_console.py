"""The dispatcher console: the list and its live feed, every step through the real forms and each
refusal, the thread both ways, the sender's contact (shown with a reason, audited, nowhere else),
photos, and unit scope."""
import json
import re

import pytest
from sqlalchemy import select
from webtest import Upload

from portal.alarms.models import AlarmLocation, AlarmMessage
from portal.alarms.raising import CONTACT_LABEL
from portal.audit.models import AuditEvent
from portal.core.meta import utcnow
from tests.factories import make_alarm, make_officer, make_photo
from tests.functional.helpers import login

PHONE = "13912345678"
CONTACT = json.dumps({"name": "Zhang San", "phone": PHONE})


@pytest.fixture
def officers(dbsession, units):
    return {
        "dispatcher": make_officer(dbsession, units["city_a"], ["dispatcher"], username="disp_a"),
        "province": make_officer(dbsession, units["province"], ["dispatcher"], username="disp_p"),
        "unrelated": make_officer(dbsession, units["city_b"], ["dispatcher"], username="disp_b"),
        "moderator": make_officer(dbsession, units["city_a"], ["moderator"], username="mod_a"),
    }


@pytest.fixture
def alarm(dbsession, registry, units):
    contact = registry["field_cipher"].encrypt(CONTACT, CONTACT_LABEL)
    alarm, token = make_alarm(dbsession, units["county_a"], place="Behind the bus station", sender_contact=contact)
    dbsession.add(AlarmMessage(alarm=alarm, sender="public", text="A man is following me"))
    dbsession.flush()
    alarm.token = token
    return alarm


def audit_actions(dbsession, alarm):
    return [e.action for e in dbsession.execute(
        select(AuditEvent).where(AuditEvent.object_type == "alarm", AuditEvent.object_id == str(alarm.id))
        .order_by(AuditEvent.id)).scalars()]


def step_form(page, step):
    return next(f for f in page.forms.values() if f.fields.get("step") and f["step"].value == step)


def action_form(page, action):
    return next(f for f in page.forms.values() if f.fields.get("action") and f["action"].value == action)


def cursor_of(page):
    return re.search(r'data-cursor="([^"]+)"', page.text).group(1)


def thread_texts(dbsession, alarm):
    return [(m.sender, m.text) for m in dbsession.execute(
        select(AlarmMessage).where(AlarmMessage.alarm_id == alarm.id).order_by(AlarmMessage.id)).scalars()]


# -- the console ---------------------------------------------------------------------------

def test_console_lists_the_alarm_with_a_refresh_link_and_the_nav_and_dashboard_show_it(testapp, officers, alarm):
    login(testapp, "disp_a")
    dashboard = testapp.get("/staff")
    assert 'href="/staff/alarms"' in dashboard.text
    assert re.search(r'<span class="count">1</span> <a href="/staff/alarms">Open alarms</a>', dashboard.text)
    page = testapp.get("/staff/alarms")
    assert f'id="alarm-{alarm.id}"' in page.text and "A man is following me" in page.text
    assert "Behind the bus station" in page.text and "Refresh the list" in page.text
    assert "Enable sound" in page.text and "dispatcher-console.js" in page.text
    assert PHONE not in page.text and "Zhang San" not in page.text


def test_the_console_s_map_of_open_alarms_reads_the_rows_places(testapp, dbsession, officers, alarm):
    alarm.lat, alarm.lon = 38.0412, 114.5149
    dbsession.flush()
    login(testapp, "disp_a")
    page = testapp.get("/staff/alarms")
    row = page.html.select_one(f"#alarm-{alarm.id}")
    assert (row["data-lat"], row["data-lon"]) == ("38.0412", "114.5149")  # static/js/alarms-map.js reads these
    figure = page.html.select_one("figure[data-alarms-map]")
    assert figure.has_attr("hidden")  # shown by the script once the map loads: the list alone without it
    assert figure["data-map-leaflet-js"].split("?v=")[0].endswith("/leaflet.js")
    scripts = [s["src"].split("?v=")[0] for s in page.html.select("script[src]")]  # versioned: core/static.py
    assert scripts.index("/static/js/map.js") < scripts.index("/static/js/alarms-map.js")


def test_flagged_floods_are_marked(testapp, dbsession, officers, units):
    make_alarm(dbsession, units["city_a"], flagged=True, flag_reason="flood: more than 10 alarms from one address")
    login(testapp, "disp_a")
    page = testapp.get("/staff/alarms")
    assert "possible flood" in page.text and "is-flagged" in page.text


def test_the_feed_shows_a_new_alarm_and_its_changes(testapp, dbsession, officers, units, alarm):
    login(testapp, "disp_a")
    cursor = cursor_of(testapp.get("/staff/alarms"))
    new, _ = make_alarm(dbsession, units["city_a"], place="Park gate")
    feed = testapp.get("/staff/alarms/feed", {"cursor": cursor}).json
    rows = {row["id"]: row for row in feed["alarms"]}
    assert rows[new.id]["state"] == "new" and rows[new.id]["place"] == "Park gate"
    assert set(feed["open_ids"]) == {alarm.id, new.id} and feed["open_count"] == 2

    page = testapp.get(f"/staff/alarms/{new.id}")
    step_form(page, "acknowledge").submit(status=303)
    feed = testapp.get("/staff/alarms/feed", {"cursor": feed["cursor"]}).json
    rows = {row["id"]: row for row in feed["alarms"]}
    assert rows[new.id]["state"] == "acknowledged" and rows[new.id]["messages"] == 1
    assert PHONE not in json.dumps(feed)


def test_the_feed_refuses_a_bad_cursor_in_json(testapp, officers):
    login(testapp, "disp_a")
    answer = testapp.get("/staff/alarms/feed", {"cursor": "v1.not.a.cursor"}, status=400)
    assert answer.content_type == "application/json" and "not valid" in answer.json["error"]


def test_the_feed_without_cursor_lists_the_console(testapp, officers, alarm):
    login(testapp, "disp_a")
    feed = testapp.get("/staff/alarms/feed").json
    assert [row["id"] for row in feed["alarms"]] == [alarm.id] and feed["cursor"].startswith("v1.")


# -- steps ---------------------------------------------------------------------------------

def test_every_step_through_the_forms_audited_and_seen_by_the_sender(testapp, dbsession, officers, alarm):
    login(testapp, "disp_a")
    page = testapp.get(f"/staff/alarms/{alarm.id}")
    assert "A man is following me" in page.text and "geo:38.2,115.3" in page.text
    assert "38.200000, 115.300000" in page.text and "(± 25 m)" in page.text
    assert [f["step"].value for f in page.forms.values() if f.fields.get("step")] == [
        "acknowledge", "dispatch", "close"]

    page = step_form(page, "acknowledge").submit(status=303).follow()
    assert "Acknowledged" in page.text and alarm.state == "acknowledged"

    form = step_form(page, "dispatch")
    form["reason"] = "Patrol car 12, officers Wang and Li"
    page = form.submit(status=303).follow()
    assert alarm.state == "dispatched" and alarm.dispatch_note == "Patrol car 12, officers Wang and Li"
    assert "Patrol car 12" in page.text

    form = action_form(page, "message")
    form["text"] = "Stay in the shop, the car is two minutes away."
    page = form.submit(status=303).follow()
    assert "Stay in the shop" in page.text

    form = step_form(page, "close")
    form["reason"] = "Met the caller; the man had left. Caller taken home."
    page = form.submit(status=303).follow()
    assert alarm.state == "closed" and alarm.outcome.startswith("Met the caller")
    assert not [f for f in page.forms.values() if f.fields.get("step")]
    assert not [f for f in page.forms.values() if f.fields.get("action") and f["action"].value == "message"]

    assert audit_actions(dbsession, alarm) == ["alarm.acknowledge", "alarm.dispatch", "alarm.message", "alarm.close"]
    assert thread_texts(dbsession, alarm) == [
        ("public", "A man is following me"),
        ("system", "Your alarm was received by the dispatcher."),
        ("system", "Help is on the way."),
        ("dispatcher", "Stay in the shop, the car is two minutes away."),
        ("system", "The dispatcher closed this alarm."),
    ]
    # The history on the page shows every step with its reason.
    assert "alarm.dispatch" in page.text and "Caller taken home" in page.text


def test_the_sender_sees_the_steps_and_the_dispatcher_on_their_own_page(testapp, dbsession, officers, alarm):
    login(testapp, "disp_a")
    page = testapp.get(f"/staff/alarms/{alarm.id}")
    page = step_form(page, "acknowledge").submit(status=303).follow()
    form = action_form(page, "message")
    form["text"] = "We see you. Are you safe?"
    form.submit(status=303)
    form = step_form(testapp.get(f"/staff/alarms/{alarm.id}"), "dispatch")
    form["reason"] = "Car 3"
    form.submit(status=303)

    sender = testapp.get(f"/alarm/{alarm.token}/updates", headers={"Accept": "application/json"}).json
    lines = [(m["sender"], m["text"]) for m in sender["messages"]]
    assert ("system", "Your alarm was received by the dispatcher.") in lines
    assert ("dispatcher", "We see you. Are you safe?") in lines
    assert ("system", "Help is on the way.") in lines
    assert sender["state"] == "dispatched"
    assert "Car 3" not in json.dumps(sender)  # who was sent stays with the police


@pytest.mark.parametrize(("step", "needs"), [("dispatch", "Say who was sent"), ("close", "Say how it ended")])
def test_dispatch_without_note_and_close_without_outcome_are_refused(testapp, dbsession, officers, alarm, step, needs):
    login(testapp, "disp_a")
    form = step_form(testapp.get(f"/staff/alarms/{alarm.id}"), step)
    form["reason"] = "   "
    page = form.submit(status=400)
    assert needs in page.text and 'aria-invalid="true"' in page.text
    assert alarm.state == "new" and audit_actions(dbsession, alarm) == []
    assert thread_texts(dbsession, alarm) == [("public", "A man is following me")]


@pytest.mark.parametrize("ended", ["cancelled", "closed"])
def test_acting_on_an_ended_alarm_is_refused(testapp, dbsession, officers, alarm, ended):
    login(testapp, "disp_a")
    page = testapp.get(f"/staff/alarms/{alarm.id}")
    acknowledge, message = step_form(page, "acknowledge"), action_form(page, "message")
    alarm.state, alarm.ended_at = ended, utcnow()  # the sender cancelled (or a colleague closed) meanwhile
    dbsession.flush()
    refused = acknowledge.submit(status=409)
    assert "not possible any more" in refused.text
    message["text"] = "Hello?"
    refused = message.submit(status=409)
    assert "not possible any more" in refused.text
    assert alarm.state == ended and audit_actions(dbsession, alarm) == []
    assert thread_texts(dbsession, alarm) == [("public", "A man is following me")]


def test_a_message_needs_text(testapp, dbsession, officers, alarm):
    login(testapp, "disp_a")
    form = action_form(testapp.get(f"/staff/alarms/{alarm.id}"), "message")
    form["text"] = "  "
    assert "Write a message first" in form.submit(status=400).text
    form["text"] = "x" * 2001
    page = form.submit(status=400)
    assert "under 2000 characters" in page.text and "x" * 2001 in page.text  # kept to shorten
    assert thread_texts(dbsession, alarm) == [("public", "A man is following me")]


def test_the_pages_script_sends_a_message_and_gets_json(testapp, dbsession, officers, alarm):
    login(testapp, "disp_a")
    token = action_form(testapp.get(f"/staff/alarms/{alarm.id}"), "message")["csrf_token"].value
    answer = testapp.post(f"/staff/alarms/{alarm.id}", {"csrf_token": token, "action": "message",
                                                       "text": "On our way", "format": "json"})
    assert answer.json == {"sent": True}
    empty = testapp.post(f"/staff/alarms/{alarm.id}", {"csrf_token": token, "action": "message", "text": "",
                                                      "format": "json"}, status=400)
    assert empty.json["error"] == "Write a message first."


def test_a_post_without_csrf_token_changes_nothing(testapp, dbsession, officers, alarm):
    login(testapp, "disp_a")
    testapp.post(f"/staff/alarms/{alarm.id}", {"action": "step", "step": "acknowledge"}, status=400)
    assert alarm.state == "new" and audit_actions(dbsession, alarm) == []


# -- the live page -------------------------------------------------------------------------

def test_updates_json_brings_new_lines_and_positions(testapp, dbsession, officers, alarm):
    login(testapp, "disp_a")
    page = testapp.get(f"/staff/alarms/{alarm.id}")
    after = re.search(r'data-after="(\d+)"', page.text).group(1)
    dbsession.add_all([AlarmMessage(alarm=alarm, sender="public", text="He is still here"),
                       AlarmLocation(alarm=alarm, lat=38.201, lon=115.302, accuracy_m=15, located_at=utcnow())])
    dbsession.flush()
    answer = testapp.get(f"/staff/alarms/{alarm.id}/updates", {"after": after, "after_location": 0}).json
    assert "He is still here" in [m["text"] for m in answer["messages"]]
    assert [(p["lat"], p["lon"], p["accuracy_m"]) for p in answer["locations"]] == [(38.201, 115.302, 15)]
    assert answer["state"] == "new" and PHONE not in json.dumps(answer)
    page = testapp.get(f"/staff/alarms/{alarm.id}")
    assert "38.201000, 115.302000" in page.text and "geo:38.201,115.302" in page.text
    assert "[38.2,115.3,25.0,0],[38.201,115.302,15.0," in page.text.replace("&#34;", '"')


@pytest.mark.parametrize("query", [{"after": "x"}, {"after_location": "-1"}, {"after": "9" * 20}])
def test_updates_refuse_bad_numbers_in_json(testapp, officers, alarm, query):
    login(testapp, "disp_a")
    answer = testapp.get(f"/staff/alarms/{alarm.id}/updates", query, status=400)
    assert "error" in answer.json


def test_photos_are_served_to_the_alarms_dispatchers_only(testapp, dbsession, registry, officers, alarm):
    photo = make_photo(dbsession, registry["media_store"])
    stray = make_photo(dbsession, registry["media_store"])
    dbsession.add(AlarmMessage(alarm=alarm, sender="public", media_id=photo.id))
    dbsession.flush()
    login(testapp, "disp_a")
    assert f"/staff/alarms/photos/{photo.id}?size=thumb" in testapp.get(f"/staff/alarms/{alarm.id}").text
    response = testapp.get(f"/staff/alarms/photos/{photo.id}")
    assert response.content_type == "image/jpeg" and "no-store" in response.headers["Cache-Control"]
    assert testapp.get(f"/staff/alarms/photos/{photo.id}", {"size": "thumb"}).content_type == "image/jpeg"
    testapp.get(f"/staff/alarms/photos/{stray.id}", status=404)
    testapp.get(f"/media/{photo.id}/public", status=404)  # never through the public media route


# -- scope ---------------------------------------------------------------------------------

def test_a_dispatcher_of_an_unrelated_unit_gets_403_and_sees_nothing(testapp, dbsession, registry, officers, alarm):
    photo = make_photo(dbsession, registry["media_store"])
    dbsession.add(AlarmMessage(alarm=alarm, sender="public", media_id=photo.id))
    dbsession.flush()
    login(testapp, "disp_b")
    for url in (f"/staff/alarms/{alarm.id}", f"/staff/alarms/{alarm.id}/updates", f"/staff/alarms/photos/{photo.id}"):
        testapp.get(url, status=403)
    token = re.search(r'name="csrf_token" value="([^"]+)"', testapp.get("/staff/alarms").text).group(1)
    testapp.post(f"/staff/alarms/{alarm.id}", {"csrf_token": token, "action": "step", "step": "acknowledge"},
                 status=403)
    assert alarm.state == "new"
    assert f'id="alarm-{alarm.id}"' not in testapp.get("/staff/alarms").text
    feed = testapp.get("/staff/alarms/feed").json
    assert feed["alarms"] == [] and feed["open_count"] == 0


def test_the_province_dispatcher_works_a_county_alarm(testapp, officers, alarm):
    login(testapp, "disp_p")
    page = testapp.get(f"/staff/alarms/{alarm.id}")
    step_form(page, "acknowledge").submit(status=303)
    assert alarm.state == "acknowledged"


def test_a_moderator_has_no_console(testapp, officers, alarm):
    login(testapp, "mod_a")
    testapp.get("/staff/alarms", status=403)
    assert 'href="/staff/alarms"' not in testapp.get("/staff").text


# -- the sender's contact ------------------------------------------------------------------

def test_the_contact_needs_a_reason_is_audited_and_appears_nowhere_else(testapp, dbsession, officers, alarm):
    login(testapp, "disp_a")
    form = action_form(testapp.get(f"/staff/alarms/{alarm.id}"), "reveal")
    form["reason"] = "no"
    page = form.submit(status=400)
    assert "at least 5 characters" in page.text and PHONE not in page.text
    assert "protected.reveal" not in audit_actions(dbsession, alarm)

    form = action_form(page, "reveal")
    form["reason"] = "The sender stopped answering in the thread"
    page = form.submit(status=200)
    assert PHONE in page.text and "Zhang San" in page.text and f'href="tel:{PHONE}"' in page.text
    assert "no-store" in page.headers["Cache-Control"]
    (event,) = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "protected.reveal")).scalars()
    assert (event.object_type, event.object_id, event.actor) == ("alarm", str(alarm.id), "officer:disp_a")
    assert event.reason == "alarm.sender_contact: The sender stopped answering in the thread"

    # Nowhere else: not on the page again, the console, its feed, the updates, the audit trail.
    elsewhere = [testapp.get(f"/staff/alarms/{alarm.id}").text, testapp.get("/staff/alarms").text,
                 testapp.get("/staff/alarms/feed").text, testapp.get(f"/staff/alarms/{alarm.id}/updates").text,
                 testapp.get(f"/alarm/{alarm.token}/updates", headers={"Accept": "application/json"}).text]
    assert not [text for text in elsewhere if PHONE in text or "Zhang San" in text]
    stored = [(e.reason, e.to_state, e.from_state) for e in dbsession.execute(select(AuditEvent)).scalars()]
    assert PHONE not in json.dumps(stored)


def test_an_alarm_without_contact_says_so(testapp, dbsession, officers, units):
    bare, _ = make_alarm(dbsession, units["city_a"])
    login(testapp, "disp_a")
    page = testapp.get(f"/staff/alarms/{bare.id}")
    assert "The sender left no contact." in page.text
    assert not [f for f in page.forms.values() if f.fields.get("action") and f["action"].value == "reveal"]


# -- from the public page to the console ---------------------------------------------------

def test_an_alarm_sent_from_the_public_page_reaches_the_console_feed(testapp, dbsession, officers):
    login(testapp, "disp_p")
    cursor = cursor_of(testapp.get("/staff/alarms"))
    page = testapp.get("/alarm")
    form = next(f for f in page.forms.values() if "text" in f.fields)
    form["text"] = "Help, I am locked in a car"
    form["place"] = "Car park level 2"
    sent = form.submit(status=303)
    assert "/alarm/" in sent.location
    feed = testapp.get("/staff/alarms/feed", {"cursor": cursor}).json
    (row,) = feed["alarms"]
    assert row["text"] == "Help, I am locked in a car" and row["place"] == "Car park level 2" and row["open"]


def test_a_file_part_or_a_nul_in_the_alarm_forms(testapp, dbsession, officers, alarm):
    """The fields are read through the forms: a file where text goes is a 400 that says so, with
    nothing saved and no contact shown (in JSON for the page's script); a NUL is dropped."""
    login(testapp, "disp_a")
    url = f"/staff/alarms/{alarm.id}"
    token = action_form(testapp.get(url), "message")["csrf_token"].value
    upload = Upload("r.txt", b"On our way\x00")
    for fields in ([("action", "step"), ("step", "dispatch"), ("reason", upload)],
                   [("action", "message"), ("text", upload)], [("action", "reveal"), ("reason", upload)]):
        refused = testapp.post(url, [("csrf_token", token), *fields], status=400)
        assert "Type this as text: a file cannot go here." in refused.text and PHONE not in refused.text
    answer = testapp.post(url, [("csrf_token", token), ("action", "message"), ("format", "json"),
                                ("text", upload)], status=400)
    assert answer.json == {"error": "Type this as text: a file cannot go here."}
    assert alarm.state == "new" and audit_actions(dbsession, alarm) == []
    assert thread_texts(dbsession, alarm) == [("public", "A man is following me")]
    sent = testapp.post(url, {"csrf_token": token, "action": "message", "text": "On our\x00 way", "format": "json"})
    assert sent.json == {"sent": True}
    assert thread_texts(dbsession, alarm)[-1] == ("dispatcher", "On our way")
    testapp.post(url, {"csrf_token": token, "action": "step", "step": "dispatch", "reason": "Car\x00 12"}, status=303)
    assert alarm.state == "dispatched"
