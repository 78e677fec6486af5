"""A call through its JSON endpoints, as the two pages' scripts drive it: the caller starts it, it
rings in the console of its center (and the centers above), the first dispatcher to answer takes it
(the others see who), offer/answer/candidates pass each way, hold, resume and end; every step is in
the alarm's thread and the audit log. Refusals: another center's dispatcher (403 on every endpoint),
a text alarm, an ended alarm or call, malformed signals, a forged cross-site post."""
import json

import pytest
from sqlalchemy import select
from webtest import Upload

from portal.alarms.models import AlarmMessage
from portal.audit.models import AuditEvent
from portal.calls.models import Call, CallSignal
from tests.factories import jpeg_bytes, make_alarm, make_officer
from tests.functional.helpers import login

SAME = {"Sec-Fetch-Site": "same-origin", "Accept": "application/json"}
OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}
ANSWER = {"type": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\n"}
CANDIDATE = {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", "sdpMid": "0",
             "sdpMLineIndex": 0, "usernameFragment": "abcd"}


@pytest.fixture
def officers(dbsession, units):
    return {
        "city": make_officer(dbsession, units["city_a"], ["dispatcher"], username="disp_a"),
        "province": make_officer(dbsession, units["province"], ["dispatcher"], username="disp_p"),
        "other": make_officer(dbsession, units["city_b"], ["dispatcher"], username="disp_b"),
    }


@pytest.fixture
def alarm(dbsession, units):
    alarm, token = make_alarm(dbsession, units["county_a"], kind="video")
    alarm.token = token
    return alarm


def base(alarm):
    return f"/alarm/{alarm.token}/call"


def start(testapp, alarm, status=201):
    return testapp.post(base(alarm), headers=SAME, status=status).json


def post_json(testapp, url, body, status=201, headers=SAME):
    return testapp.post(url, json.dumps(body), headers={**headers, "Content-Type": "application/json"},
                        status=status).json


def staff_post(testapp, url, body=None, status=200):
    return testapp.post(url, json.dumps(body or {}), headers={"X-CSRF-Token": csrf(testapp), "Accept": "application/json",
                                                               "Content-Type": "application/json"}, status=status).json


def csrf(testapp):
    return testapp.get("/staff/alarms").html.find("input", {"name": "csrf_token"})["value"]


def lines(dbsession, alarm):
    dbsession.expire_all()
    return [m.text for m in dbsession.execute(select(AlarmMessage).where(AlarmMessage.alarm_id == alarm.id)
                                              .order_by(AlarmMessage.id)).scalars()]


def test_a_call_rings_is_answered_signals_both_ways_and_ends(testapp, dbsession, alarm, officers):
    started = start(testapp, alarm)
    call_id = started["call"]["id"]
    assert started["call"]["state"] == "ringing" and started["ice"]["iceTransportPolicy"] == "all"
    assert start(testapp, alarm, status=201)["call"]["id"] == call_id  # a reload rings the same call

    login(testapp, "disp_p")
    ringing = testapp.get("/staff/calls", headers={"Accept": "application/json"}).json
    assert ringing["ringing"] == 1 and ringing["calls"][0]["id"] == call_id
    answered = staff_post(testapp, f"/staff/calls/{call_id}/answer")
    assert answered["call"]["state"] == "connected" and answered["call"]["mine"] is True
    post_json(testapp, f"/staff/calls/{call_id}/signals", {"kind": "offer", "body": OFFER},
              headers={"X-CSRF-Token": csrf(testapp), "Accept": "application/json"})

    polled = testapp.get(f"{base(alarm)}/poll?call={call_id}&after=0&version=1&wait=0").json
    assert polled["call"]["state"] == "connected"
    assert [(s["kind"], s["body"]) for s in polled["signals"]] == [("offer", OFFER)]
    post_json(testapp, f"{base(alarm)}/signals", {"call": call_id, "kind": "answer", "body": ANSWER})
    post_json(testapp, f"{base(alarm)}/signals", {"call": call_id, "kind": "candidate", "body": CANDIDATE})
    after = polled["signals"][-1]["id"]
    assert testapp.get(f"{base(alarm)}/poll?call={call_id}&after={after}&version={polled['call']['version']}"
                       "&wait=0").json["signals"] == []

    desk = testapp.get(f"/staff/calls/{call_id}/poll?after=0&version=0&wait=0").json
    assert [s["kind"] for s in desk["signals"]] == ["answer", "candidate"]
    assert desk["signals"][1]["body"] == CANDIDATE
    post_json(testapp, f"{base(alarm)}/report", {"call": call_id, "event": "connected"}, status=200)
    assert staff_post(testapp, f"/staff/calls/{call_id}/hold")["call"]["state"] == "held"
    assert staff_post(testapp, f"/staff/calls/{call_id}/resume")["call"]["state"] == "connected"
    assert staff_post(testapp, f"/staff/calls/{call_id}/end")["call"]["state"] == "ended"

    call = dbsession.get(Call, call_id)
    dbsession.refresh(call)
    assert (call.end_reason, call.officer.username) == ("dispatcher", "disp_p") and call.connected_at
    assert call.alarm.state == "acknowledged"  # answering the call received the alarm
    assert lines(dbsession, alarm) == [
        "A call was started from the alarm page.", "Your alarm was received by the dispatcher.",
        "A dispatcher answered the call.",
        "The dispatcher put the call on hold. Stay on this page: they will come back.",
        "The dispatcher is back on the call.",
        "The dispatcher ended the call. The alarm stays open; you can still write here."]
    actions = dbsession.execute(select(AuditEvent.action).where(AuditEvent.object_type == "call")
                                .order_by(AuditEvent.id)).scalars().all()
    assert actions == ["call.started", "call.answer", "call.hold", "call.resume", "call.end"]
    post_json(testapp, f"{base(alarm)}/signals", {"call": call_id, "kind": "candidate", "body": CANDIDATE},
              status=409)


def test_the_second_dispatcher_to_answer_is_told_who_took_it(testapp, dbsession, alarm, officers):
    call_id = start(testapp, alarm)["call"]["id"]
    login(testapp, "disp_a")
    staff_post(testapp, f"/staff/calls/{call_id}/answer")
    testapp.reset()
    login(testapp, "disp_p")
    refused = staff_post(testapp, f"/staff/calls/{call_id}/answer", status=409)
    assert "already took this call" in refused["error"] and refused["call"]["taken_by"]
    listed = testapp.get("/staff/calls").json["calls"][0]
    assert listed["taken_by"] == officers["city"].display_name and listed["mine"] is False
    # Only the one who took it signals, holds or ends it; the others see its state, not its signals.
    staff_post(testapp, f"/staff/calls/{call_id}/hold", status=403)
    post_json(testapp, f"/staff/calls/{call_id}/signals", {"kind": "offer", "body": OFFER}, status=403,
              headers={"X-CSRF-Token": csrf(testapp), "Accept": "application/json"})
    assert testapp.get(f"/staff/calls/{call_id}/poll?wait=0").json["signals"] == []


def test_another_centers_dispatcher_is_refused_on_every_call_endpoint(testapp, alarm, officers):
    call_id = start(testapp, alarm)["call"]["id"]
    login(testapp, "disp_b")
    assert testapp.get("/staff/calls").json["calls"] == []
    testapp.get(f"/staff/calls/{call_id}/poll", headers={"Accept": "application/json"}, status=403)
    for action in ("answer", "signals", "hold", "resume", "end", "snapshot"):
        staff_post(testapp, f"/staff/calls/{call_id}/{action}", status=403)


def test_the_caller_hangs_up_and_a_text_or_ended_alarm_rings_nobody(testapp, dbsession, alarm, units):
    call_id = start(testapp, alarm)["call"]["id"]
    assert post_json(testapp, f"{base(alarm)}/hang-up", {"call": call_id}, status=200)["call"]["state"] == "ended"
    assert post_json(testapp, f"{base(alarm)}/hang-up", {"call": call_id}, status=200)["call"]["end_reason"] == "caller"
    assert start(testapp, alarm)["call"]["id"] != call_id  # a new call after hanging up
    text_alarm, token = make_alarm(dbsession, units["county_a"], kind="text")
    assert "text alarm" in testapp.post(f"/alarm/{token}/call", headers=SAME, status=409).json["error"]
    alarm.state = "cancelled"
    dbsession.flush()
    testapp.post(base(alarm), headers=SAME, status=409)


@pytest.mark.parametrize("body", [
    {"kind": "offer", "body": OFFER},  # the caller does not offer
    {"kind": "answer", "body": {"type": "answer", "sdp": "not an sdp"}},
    {"kind": "answer", "body": {"type": "offer", "sdp": ANSWER["sdp"]}},
    {"kind": "answer", "body": {"type": "answer", "sdp": "v=0" + "x" * 40000}},
    {"kind": "candidate", "body": {**CANDIDATE, "sdpMLineIndex": "0"}},
    {"kind": "candidate", "body": {**CANDIDATE, "candidate": 5}},
    {"kind": "candidate", "body": ["a list"]},
    {"kind": "hello"},
    {"kind": None},
])
def test_malformed_signals_are_refused_and_nothing_is_stored(testapp, dbsession, alarm, body):
    call_id = start(testapp, alarm)["call"]["id"]
    answer = post_json(testapp, f"{base(alarm)}/signals", {"call": call_id, **body}, status=400)
    assert answer["error"]
    assert dbsession.execute(select(CallSignal)).scalars().all() == []


def test_bad_requests_get_json_answers(testapp, alarm, dbsession, units):
    call_id = start(testapp, alarm)["call"]["id"]
    url = f"{base(alarm)}/signals"
    testapp.post(url, b"{not json", headers={**SAME, "Content-Type": "application/json"}, status=400)
    testapp.post(url, b"[1]", headers={**SAME, "Content-Type": "application/json"}, status=400)
    post_json(testapp, url, {"call": "x", "kind": "answer", "body": ANSWER}, status=404)
    other, token = make_alarm(dbsession, units["county_a"], kind="video")
    other.token = token
    other_call = start(testapp, other)["call"]["id"]
    post_json(testapp, url, {"call": other_call, "kind": "answer", "body": ANSWER}, status=404)  # not this alarm's
    for query in ("after=x", "version=-1", "wait=5.5", "after=99999999999"):
        assert testapp.get(f"{base(alarm)}/poll?call={call_id}&{query}", headers=SAME, status=400).json["error"]
    post_json(testapp, url, {"call": call_id, "kind": "answer", "body": ANSWER}, status=403,
              headers={"Origin": "https://evil.example", "Accept": "application/json"})


def test_a_snapshot_of_the_video_goes_to_the_alarms_photos(testapp, dbsession, alarm, officers):
    call_id = start(testapp, alarm)["call"]["id"]
    login(testapp, "disp_a")
    staff_post(testapp, f"/staff/calls/{call_id}/answer")
    answer = testapp.post(f"/staff/calls/{call_id}/snapshot", {"photo": Upload("still.jpg", jpeg_bytes(), "image/jpeg")},
                          headers={"X-CSRF-Token": csrf(testapp), "Accept": "application/json"}, status=201).json
    testapp.get(answer["photo"], status=200)
    line = dbsession.execute(select(AlarmMessage).where(AlarmMessage.media_id.is_not(None))).scalar_one()
    assert (line.alarm_id, line.sender) == (alarm.id, "dispatcher")
