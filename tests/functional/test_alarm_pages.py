"""The person in danger: /alarm (and /embed/alarm) sends a silent alarm routed by the jurisdiction
polygons; /alarm/{token} shows its honest state, the thread, takes messages, positions and photos, and
can be cancelled after a confirmation. Nothing personal reaches the audit log or the logs."""
import json
import logging
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select
from webtest import Upload

from portal.alarms import raising as alarms
from portal.alarms.models import Alarm, AlarmLocation, AlarmMessage
from portal.audit.models import AuditEvent
from portal.core.meta import utcnow
from portal.geo import routing
from portal.media.models import Media
from portal.privacy.links import token_hash
from tests.factories import jpeg_bytes, make_alarm, make_units
from tests.unit.geo.test_routing import box

TEXT = "A man follows me since the station"
PHONE = "13912345678"
PLACE = "Behind the cinema on Renmin Road"
JSON = {"Accept": "application/json"}


@pytest.fixture
def units(dbsession):
    """City A (a center) holds County A1 (not a center); City B is no center: its alarms go to the province."""
    routing.forget()
    units = make_units(dbsession)
    units["province"].jurisdiction = box(110, 35, 120, 45)
    units["city_a"].jurisdiction = box(110, 35, 115, 45)
    units["county_a"].jurisdiction = box(111, 36, 112, 37)
    units["city_b"].jurisdiction = box(115, 35, 120, 45)
    units["city_b"].is_command_center = False
    units["city_a"].sms_suffix = "31"
    dbsession.flush()
    yield units
    routing.forget()


def all_alarms(dbsession):
    return dbsession.execute(select(Alarm).order_by(Alarm.id)).scalars().all()


def token_of(location: str) -> str:
    return re.search(r"/alarm/([A-Za-z0-9_-]{43})$", location).group(1)


def send_form(testapp, *, status=303, headers=None, **values):
    page = testapp.get("/alarm")
    form = page.forms["alarm-form"]
    for name, value in values.items():
        if name in ("lat", "lon", "accuracy_m", "located_at"):
            form[name].force_value(value)
        else:
            form[name] = value
    return form.submit(status=status, headers=headers or {})


def now_ms() -> str:
    return str(int(utcnow().timestamp() * 1000))


@pytest.fixture
def sent(testapp, dbsession, units):
    """An alarm sent from the page with a position in County A1; (alarm, token, base path)."""
    response = send_form(testapp, text=TEXT, place=PLACE, lat="36.5", lon="111.5", accuracy_m="15",
                         located_at=now_ms())
    token = token_of(response.location)
    alarm = dbsession.execute(select(Alarm).where(Alarm.token_hash == token_hash(token))).scalar_one()
    return alarm, token, f"/alarm/{token}"


# --- The page ---------------------------------------------------------------------------------------

def test_alarm_page_has_the_fallbacks_and_a_plain_form(testapp, units):
    page = testapp.get("/alarm")
    assert page.html.title.text == "Information"  # neutral: nothing on the tab gives the person away
    hrefs = [a["href"] for a in page.html.select(".fallback-links a")]
    assert hrefs[:2] == ["tel:110", "tel:122"]
    assert hrefs[2].startswith("sms:12110?&body=") and "police" in unquote(hrefs[2])
    assert page.html.select_one("#sms-text").text.strip() == "I need the police."
    form = page.forms["alarm-form"]
    assert form.method.lower() == "post" and form.action == "/alarm"
    assert form["csrf_token"].value and "place" in form.fields and "text" in form.fields
    assert page.html.select_one(".leave-link")["href"] == "https://www.baidu.com/"
    assert "script" not in [t.name for t in page.html.select("script:not([src])")]  # no inline script
    assert page.headers["X-Frame-Options"] == "DENY"
    # The form's words for the script are rendered, translated, in data-* attributes.
    assert page.html.select_one("#alarm-form")["data-msg-routed"] == "Your alarm goes to: {unit}"


def test_no_javascript_post_creates_the_alarm_and_redirects_to_its_page(testapp, dbsession, units):
    response = send_form(testapp, text=TEXT, place=PLACE, contact=PHONE)
    token = token_of(response.location)
    (alarm,) = all_alarms(dbsession)
    assert alarm.token_hash == token_hash(token)
    assert (alarm.state, alarm.kind, alarm.unit, alarm.place, alarm.lat) == ("new", "text", units["province"], PLACE, None)
    assert PHONE not in alarm.sender_contact
    assert [m.text for m in alarm.messages] == [TEXT]
    page = response.follow()
    assert "Sent. Waiting for a dispatcher to take it." in page.text and TEXT in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert [a["href"] for a in page.html.select(".fallback-links a")][:2] == ["tel:110", "tel:122"]


def test_an_empty_silent_alarm_still_goes_out(testapp, dbsession, units):
    send_form(testapp)
    (alarm,) = all_alarms(dbsession)
    assert alarm.kind == "silent" and alarm.messages == [] and alarm.unit == units["province"]


@pytest.mark.parametrize(("lat", "lon", "center"), [
    ("36.5", "111.5", "city_a"),  # County A1 is no center: its city takes it
    ("40", "113", "city_a"),
    ("40", "118", "province"),  # City B is no center: up to the province
    ("-30", "10", "province"),  # outside every polygon
])
def test_alarms_are_routed_by_polygon(testapp, dbsession, units, lat, lon, center):
    send_form(testapp, lat=lat, lon=lon, accuracy_m="20", located_at=now_ms())
    (alarm,) = all_alarms(dbsession)
    assert alarm.unit == units[center] and (alarm.lat, alarm.lon) == (float(lat), float(lon))


def test_an_absurd_position_is_dropped_but_the_alarm_arrives(testapp, dbsession, units):
    send_form(testapp, text=TEXT, lat="91", lon="111.5", located_at=now_ms())
    (alarm,) = all_alarms(dbsession)
    assert alarm.lat is None and alarm.unit == units["province"]
    assert alarm.messages[-1].sender == "system" and "not usable" in alarm.messages[-1].text


def test_the_route_endpoint_names_the_center_its_sms_number_and_phone(testapp, units):
    units["city_a"].phone_110 = "0311-110"
    answer = testapp.get("/alarm/route", {"lat": "36.5", "lon": "111.5"}, headers=JSON).json
    assert answer == {"unit": "City A", "sms": "1211031", "phone": "0311-110"}
    assert testapp.get("/alarm/route", {"lat": "40", "lon": "118"}).json["unit"] == "Test Province"
    for query in ({"lat": "91", "lon": "1"}, {"lat": "x", "lon": "1"}, {}):
        refused = testapp.get("/alarm/route", query, status=400)
        assert refused.content_type == "application/json" and refused.json["error"]


def test_only_the_alarm_page_itself_is_for_search_engines(testapp, sent):
    page = testapp.get("/alarm").html
    assert page.select("meta[name=robots]") == []
    assert page.select_one("meta[name=description]")["content"] == "Send your position to the police without a word."
    for path in (sent[2], "/embed/alarm", f"{sent[2]}/cancel"):
        kept_off = testapp.get(path).html
        assert [m["content"] for m in kept_off.select("meta[name=robots]")] == ["noindex"], path
        assert kept_off.select("meta[name=description]") == [], path


def test_the_sender_page_sms_link_has_the_suffix_and_a_body_with_where_and_when(testapp, sent):
    alarm, token, base = sent
    page = testapp.get(base)
    href = page.html.select_one("#sms-link")["href"]
    assert href.startswith("sms:1211031?&body=")
    body = unquote(href.split("body=", 1)[1])
    assert body.startswith("I need the police. 36.50000,111.50000 ±15m")
    assert PLACE in body and "UTC+8" in body
    assert page.html.select_one("#sms-text").text == body


def test_a_json_send_answers_with_the_alarm_url(testapp, dbsession, units):
    page = testapp.get("/alarm")
    form = page.forms["alarm-form"]
    answer = testapp.post("/alarm", {"csrf_token": form["csrf_token"].value, "text": "help", "lat": "40",
                                     "lon": "113", "located_at": now_ms()}, headers=JSON, status=201).json
    (alarm,) = all_alarms(dbsession)
    assert answer == {"url": f"/alarm/{token_of(answer['url'])}", "unit": "City A"}
    assert alarm.token_hash == token_hash(token_of(answer["url"]))


# --- CSRF: a stale page still gets through from our own origin; a forged post does not -------------------

def test_a_stale_token_from_our_own_page_still_sends(testapp, dbsession, units):
    form = testapp.get("/alarm").forms["alarm-form"]
    testapp.reset()  # a new session: the token of the (cached) page no longer matches
    form["text"] = TEXT
    for n, headers in enumerate(({"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://localhost"},
                                 {})):  # without either, WebTest sends the page as Referer, as an old browser would
        form["nonce"] = f"page-load-number-{n:04d}"  # three page loads (one would be one alarm, sent thrice)
        form.submit(status=303, headers=headers)
    assert len(all_alarms(dbsession)) == 3


def test_the_same_form_sent_again_is_the_same_alarm_and_its_link_comes_back(testapp, dbsession, units):
    """A retry whose first answer was lost (issue 10, finding 3): one alarm, and the sender gets
    its link again; words typed before the second press join its thread."""
    form = testapp.get("/alarm").forms["alarm-form"]
    assert len(form["nonce"].value) >= 16
    form["text"] = TEXT
    first = form.submit(status=303).location
    again = form.submit(status=303).location
    form["text"] = "He has a knife"
    third = testapp.post("/alarm", dict(form.submit_fields()), headers=JSON, status=201).json["url"]
    (alarm,) = all_alarms(dbsession)
    assert first == again and third in first
    dbsession.expire_all()
    assert [m.text for m in alarm.messages if m.sender == "public"] == [TEXT, "He has a knife"]
    assert testapp.get(third).status_int == 200


def test_a_fresh_page_is_a_new_alarm(testapp, dbsession, units):
    for _ in range(2):
        form = testapp.get("/alarm").forms["alarm-form"]
        form["text"] = TEXT
        form.submit(status=303)
    assert len(all_alarms(dbsession)) == 2


def test_a_cross_site_post_is_refused_and_the_form_kept(testapp, dbsession, units):
    token = testapp.get("/alarm").forms["alarm-form"]["csrf_token"].value
    testapp.reset()  # the token no longer matches: only the browser's word about the origin counts
    for headers in ({"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"}, {"Origin": "https://evil.example"},
                    {"Referer": "https://evil.example/page"}, {"Origin": "null"}, {}):
        page = testapp.post("/alarm", {"csrf_token": token, "text": TEXT, "place": PLACE}, headers=headers, status=403)
        assert "Not sent" in page.text
        again = page.forms["alarm-form"]
        assert (again["text"].value, again["place"].value) == (TEXT, PLACE)
        assert again["csrf_token"].value != token  # a fresh token: pressing send again works
    assert all_alarms(dbsession) == []
    testapp.post("/alarm", {"text": "x"}, headers={"Origin": "https://evil.example", **JSON}, status=403)
    assert all_alarms(dbsession) == []


# --- The sender's page and its endpoints ----------------------------------------------------------------

def test_updates_give_the_state_and_messages_after_an_id(testapp, dbsession, sent):
    alarm, token, base = sent
    first = testapp.get(f"{base}/updates", headers=JSON).json
    assert (first["state"], first["open"], first["state_label"]) == ("new", True, "Sent. Waiting for a dispatcher to take it.")
    assert [(m["sender"], m["text"]) for m in first["messages"]] == [("public", TEXT)]
    last = first["messages"][-1]["id"]
    dbsession.add(AlarmMessage(alarm=alarm, sender="dispatcher", text="Police are on the way. Stay on the line."))
    alarm.state = "dispatched"
    dbsession.flush()
    later = testapp.get(f"{base}/updates", {"after": last}).json
    assert later["state"] == "dispatched" and later["state_label"] == "Help has been sent."
    # Lines of the last few seconds come again (a late commit must not be lost); the page skips known ids.
    assert [(m["sender"], m["text"]) for m in later["messages"] if m["id"] > last] == [
        ("dispatcher", "Police are on the way. Stay on the line.")]
    assert testapp.get(f"{base}/updates", {"after": last}).json["messages"][-1]["id"] > last
    assert testapp.get(f"{base}/updates", {"after": "x"}, status=400).json["error"]
    page = testapp.get(base)
    assert "Police are on the way" in page.text and "Dispatcher" in page.text


@pytest.mark.parametrize("state,label", [("acknowledged", "Received by the dispatcher."),
                                         ("closed", "Closed by the police."),
                                         ("cancelled", "You cancelled this alarm.")])
def test_the_page_shows_the_honest_state(testapp, dbsession, units, state, label):
    alarm, token = make_alarm(dbsession, units["city_a"], state=state)
    page = testapp.get(f"/alarm/{token}")
    assert page.html.select_one("#alarm-state").text.strip() == label
    assert ("alarm-message" in page.forms) == (state == "acknowledged")


def test_unknown_or_malformed_tokens_are_404(testapp, units):
    testapp.get("/alarm/" + "A" * 43, status=404)
    testapp.get("/alarm/" + "A" * 43 + "/updates", status=404)
    testapp.post("/alarm/" + "A" * 43 + "/location", {"lat": "1", "lon": "1"}, status=404)
    testapp.get("/alarm/short", status=404)


def test_messages_by_json_and_by_plain_form(testapp, dbsession, sent):
    alarm, token, base = sent
    page = testapp.get(base)
    csrf = page.forms["alarm-message"]["csrf_token"].value
    answer = testapp.post(f"{base}/messages", {"csrf_token": csrf, "text": " I am hiding in a shop "},
                          headers=JSON, status=201).json
    assert answer["message"]["text"] == "I am hiding in a shop" and answer["message"]["sender"] == "public"
    form = testapp.get(base).forms["alarm-message"]
    form["text"] = "Red shirt"
    form.submit(status=303)
    assert [m.text for m in alarm.messages][-2:] == ["I am hiding in a shop", "Red shirt"]


def test_message_refusals_keep_the_text(testapp, dbsession, sent, monkeypatch):
    alarm, token, base = sent
    csrf = testapp.get(base).forms["alarm-message"]["csrf_token"].value
    assert testapp.post(f"{base}/messages", {"csrf_token": csrf, "text": "  "}, headers=JSON, status=400).json["error"]
    long_text = "x" * (alarms.MAX_MESSAGE + 1)
    form = testapp.get(base).forms["alarm-message"]
    form["text"] = long_text
    page = form.submit(status=400)
    assert "too long" in page.text and page.forms["alarm-message"]["text"].value == long_text
    monkeypatch.setattr(alarms, "MESSAGE_FLOOD", (2, 300))
    codes = [testapp.post(f"{base}/messages", {"csrf_token": csrf, "text": f"m{i}"}, headers=JSON, status="*").status_int
             for i in range(4)]
    assert codes == [201, 201, 429, 429]
    assert [m.text for m in alarm.messages if m.text.startswith("m")] == ["m0", "m1"]
    testapp.post(f"{base}/messages", {"text": "x"}, headers={"Origin": "https://evil.example", **JSON}, status=403)


def test_location_updates_and_their_refusals(testapp, dbsession, sent, monkeypatch):
    alarm, token, base = sent
    url = f"{base}/location"

    def post(status, **values):
        values = {"lat": "36.6", "lon": "111.6", "accuracy_m": "10", "located_at": now_ms(), **values}
        return testapp.post(url, values, headers={"Sec-Fetch-Site": "same-origin", **JSON}, status=status)

    assert post(201).json == {"kept": True, "merged": False}
    # Within the interval the newest point is replaced, not added: the latest is never lost.
    assert post(200, lat="36.7").json == {"kept": True, "merged": True}
    rows = dbsession.execute(select(AlarmLocation).where(AlarmLocation.alarm_id == alarm.id)).scalars().all()
    assert [(r.lat, r.lon) for r in rows] == [(36.7, 111.6)]
    for values, status, word in [({"lat": "91"}, 400, "latitude"), ({"lon": "-181"}, 400, "longitude"),
                                 ({"accuracy_m": "1e9"}, 422, "accuracy"), ({"lat": "abc"}, 400, "number"),
                                 ({"lat": ""}, 400, "come together"),
                                 ({"located_at": str(int((utcnow() - timedelta(minutes=11)).timestamp() * 1000))},
                                  422, "stale")]:
        assert word in post(status, **values).json["error"]
    monkeypatch.setattr(alarms, "LOCATION_FLOOD", (2, 300))
    answer = post(429, lat="37.1")  # two accepted requests filled the window (refusals do not count)
    assert answer.json["kept"] is True and answer.headers["Retry-After"]
    rows = dbsession.execute(select(AlarmLocation).where(AlarmLocation.alarm_id == alarm.id)).scalars().all()
    assert (rows[-1].lat, rows[-1].lon) == (37.1, 111.6) and len(rows) == 1
    testapp.post(url, {"lat": "1", "lon": "1"}, headers={"Origin": "https://evil.example", **JSON}, status=403)


def test_a_new_point_after_the_interval_adds_a_row(testapp, dbsession, sent):
    alarm, token, base = sent
    headers = {"Sec-Fetch-Site": "same-origin", **JSON}
    testapp.post(f"{base}/location", {"lat": "36.6", "lon": "111.6", "located_at": now_ms()}, headers=headers, status=201)
    row = dbsession.execute(select(AlarmLocation)).scalar_one()
    row.received_at = utcnow() - timedelta(seconds=30)
    dbsession.flush()
    testapp.post(f"{base}/location", {"lat": "36.7", "lon": "111.7", "located_at": now_ms()}, headers=headers, status=201)
    assert dbsession.execute(select(func.count(AlarmLocation.id))).scalar_one() == 2


def test_an_alarm_sent_without_a_position_takes_its_first_update(testapp, dbsession, units):
    token = token_of(send_form(testapp, place=PLACE).location)
    testapp.post(f"/alarm/{token}/location", {"lat": "40", "lon": "113", "accuracy_m": "30", "located_at": now_ms()},
                 headers={"Sec-Fetch-Site": "same-origin", **JSON}, status=201)
    (alarm,) = all_alarms(dbsession)
    assert (alarm.lat, alarm.lon, alarm.accuracy_m) == (40, 113, 30)


def test_photos_are_attached_privately_and_bad_files_refused(testapp, dbsession, sent, monkeypatch):
    alarm, token, base = sent
    form = testapp.get(base).forms["alarm-photo"]
    form["photo"] = Upload("IMG_1.jpg", jpeg_bytes(), "image/jpeg")
    form.submit(status=303)
    message = alarm.messages[-1]
    assert message.sender == "public" and message.media_id is not None
    media = dbsession.get(Media, message.media_id)
    assert media.notice_id is None and media.content_type == "image/jpeg"
    before = dbsession.execute(select(func.count(Media.id))).scalar_one()
    csrf = testapp.get(base).forms["alarm-photo"]["csrf_token"].value
    for upload, word in [(Upload("x.jpg", b"not an image at all", "image/jpeg"), "not a photo"),
                         (Upload("empty.jpg", b"", "image/jpeg"), "empty")]:
        refused = testapp.post(f"{base}/photos", {"csrf_token": csrf, "photo": upload}, headers=JSON, status=400)
        assert word in refused.json["error"]
    assert "Choose a photo" in testapp.post(f"{base}/photos", {"csrf_token": csrf}, headers=JSON, status=400).json["error"]
    monkeypatch.setattr(alarms, "MAX_PHOTOS", 1)
    page = testapp.post(f"{base}/photos", {"csrf_token": csrf, "photo": Upload("b.jpg", jpeg_bytes(), "image/jpeg")},
                        status=400)
    assert "At most 1 photos" in page.text
    assert dbsession.execute(select(func.count(Media.id))).scalar_one() == before


def test_cancel_needs_a_confirmation_and_is_recorded(testapp, dbsession, sent):
    alarm, token, base = sent
    page = testapp.get(base).click("Cancel the alarm")
    assert "Cancel the alarm?" in page.text and alarm.state == "new"
    csrf = page.forms[0]["csrf_token"].value
    testapp.post(f"{base}/cancel", {"csrf_token": csrf}, status=200)  # no confirmation: nothing happens
    assert alarm.state == "new"
    page.forms[0].submit(status=303).follow()
    assert alarm.state == "cancelled" and alarm.ended_at is not None
    assert [m.text for m in alarm.messages][0] == TEXT  # nothing deleted
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "alarm.cancel")).scalar_one()
    assert (event.actor, event.from_state, event.to_state, event.object_id) == ("public", "new", "cancelled", str(alarm.id))
    page = testapp.get(base)
    assert "You cancelled this alarm." in page.text and "alarm-message" not in page.forms
    headers = {"Sec-Fetch-Site": "same-origin", **JSON}
    assert testapp.post(f"{base}/messages", {"text": "hello"}, headers=headers, status=409).json["error"]
    testapp.post(f"{base}/location", {"lat": "36", "lon": "111", "located_at": now_ms()}, headers=headers, status=409)
    testapp.post(f"{base}/cancel", {"confirm": "yes"}, headers=headers, status=409)


def test_a_flood_is_flagged_and_every_alarm_still_created(testapp, dbsession, units, registry, monkeypatch):
    monkeypatch.setitem(registry.settings, "portal.alarm.flood_per_hour", "2")
    for _ in range(4):
        send_form(testapp, text="again")
    raised = all_alarms(dbsession)
    assert [a.flagged for a in raised] == [False, False, True, True]
    assert "flood" in raised[-1].flag_reason


def test_nothing_personal_in_audit_events_or_logs(testapp, dbsession, units, caplog):
    caplog.set_level(logging.DEBUG)
    response = send_form(testapp, text=TEXT, place=PLACE, contact=PHONE, lat="36.5", lon="111.5",
                         located_at=now_ms())
    base = response.location.replace("http://localhost", "")
    headers = {"Sec-Fetch-Site": "same-origin", **JSON}
    testapp.post(f"{base}/messages", {"text": "second secret line"}, headers=headers, status=201)
    testapp.post(f"{base}/location", {"lat": "36.61234", "lon": "111.6", "located_at": now_ms()}, headers=headers)
    testapp.post(f"{base}/photos", {"photo": Upload("IMG_1.jpg", jpeg_bytes(), "image/jpeg")}, headers=headers)
    testapp.post(f"{base}/cancel", {"confirm": "yes"}, headers=headers)
    events = dbsession.execute(select(AuditEvent)).scalars().all()
    assert {e.action for e in events} == {"alarm.raised", "alarm.photo_added", "alarm.cancel"}
    dump = json.dumps([[e.actor, e.object_type, e.object_id, e.from_state, e.to_state, e.reason] for e in events])
    logs = caplog.text
    for private in (TEXT, "second secret", PHONE, PLACE, "36.5", "111.5", "36.61234", token_of(response.location)):
        assert private not in dump and private not in logs


# --- The widget and the service worker -----------------------------------------------------------------

def test_the_embed_may_be_framed_by_the_configured_sites(testapp, registry, monkeypatch, units):
    monkeypatch.setitem(registry.settings, "portal.embed_frame_ancestors", "https://partner.example")
    page = testapp.get("/embed/alarm")
    assert "frame-ancestors https://partner.example" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    form = page.forms["alarm-form"]
    assert form["embed"].value == "1" and form.action == "/alarm"
    assert page.html.select_one(".full-page a")["href"] == "http://portal.test/alarm"
    assert page.html.select_one("#alarm-form")["data-msg-denied"].startswith("Location is not allowed here")
    assert [a["href"] for a in page.html.select(".fallback-links a")][:2] == ["tel:110", "tel:122"]
    # Framed in another site, our session cookie is not sent: the post comes without a matching token.
    testapp.reset()
    form.submit(status=303, headers={"Sec-Fetch-Site": "same-origin"})
    assert testapp.get("/alarm").headers["X-Frame-Options"] == "DENY"


def test_the_service_worker_is_served_for_the_alarm_scopes(testapp):
    response = testapp.get("/sw.js")
    assert response.content_type == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    for kept in ('"alarm"', '"embed/alarm"', '"static/css/alarm.css"', '"static/js/alarm.js"'):
        assert kept in response.text


@pytest.mark.parametrize("located_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "yesterday"])
def test_an_alarm_whose_fix_time_is_not_understood_keeps_its_place(testapp, dbsession, units, located_at):
    """A broken phone clock costs only the fix time: the place goes to the dispatcher, who is told
    the time shown is the time of arrival (issue 10, finding 2)."""
    before = utcnow()
    send_form(testapp, text=TEXT, lat="36.5", lon="111.5", located_at=located_at)
    (alarm,) = all_alarms(dbsession)
    assert (alarm.lat, alarm.lon) == (36.5, 111.5) and alarm.located_at >= before
    assert "time of the position was not understood" in alarm.messages[-1].text


@pytest.mark.parametrize("values", [
    {"lat": "NaN", "lon": "NaN"},
    {"lat": "36.5", "lon": "inf"},
    {"lat": "36.5", "lon": "111.5", "accuracy_m": "1" + "0" * 400},
])
def test_an_alarm_with_a_malformed_position_is_never_lost(testapp, dbsession, units, values):
    send_form(testapp, text=TEXT, **values)
    (alarm,) = all_alarms(dbsession)
    assert alarm.lat is None and alarm.lon is None and alarm.unit == units["province"]
    assert "not usable" in alarm.messages[-1].text


# --- the database down: the no-JavaScript alarm says NOT SENT and hands over the SMS ----------------------

@pytest.fixture
def dead_database(tmp_path):
    """A session whose every query fails as a database that is down does (OperationalError)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    engine = create_engine(f"sqlite:///{tmp_path}/no/such/dir/portal.sqlite")
    yield Session(engine)
    engine.dispose()


def test_with_the_database_down_the_alarm_says_not_sent_and_the_sms_carries_the_place(testapp, units,
                                                                                     dead_database, caplog):
    form = testapp.get("/alarm").forms["alarm-form"]
    fields = dict(form.submit_fields())
    fields.update(text="Locked in a car", place="Beijing Road 5, blue door", lat="36.51234", lon="111.54321",
                  accuracy_m="12")
    page = testapp.post("/alarm", fields, extra_environ={"app.dbsession": dead_database}, status=503)
    assert "NOT SENT" in page.text and page.headers["Retry-After"] == "30"
    assert 'href="tel:110"' in page.text
    sms = unquote(page.html.find(id="sms-link")["href"])
    assert sms.startswith("sms:12110?&body=")
    assert "Beijing Road 5, blue door" in sms and "36.51234,111.54321" in sms and "Locked in a car" in sms
    assert page.forms["alarm-form"]["place"].value == "Beijing Road 5, blue door"  # kept, to send again
    assert page.headers["Content-Security-Policy"]
    assert "Locked in a car" not in caplog.text and "Beijing Road" not in caplog.text


def test_with_the_database_down_the_script_is_told_not_sent(testapp, units, dead_database):
    form = testapp.get("/alarm").forms["alarm-form"]
    answer = testapp.post("/alarm", dict(form.submit_fields()), headers=JSON,
                          extra_environ={"app.dbsession": dead_database}, status=503).json
    assert "NOT SENT" in answer["error"]
