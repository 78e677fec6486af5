"""The caller's recording through its endpoints, as static/js/call-recorder.js drives them (start,
chunks in order, a retried chunk, end), and the dispatcher's side: the alarm page lists it, playing it
needs a reason (audited, each time), the player gets its bytes (with ranges), another center's
dispatcher gets 403 everywhere. Bad requests get JSON 4xx answers and store nothing."""
import hashlib

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.calls.models import CallRecording, RecordingChunk
from tests.factories import make_alarm, make_officer
from tests.functional.helpers import login

SAME = {"Sec-Fetch-Site": "same-origin", "Accept": "application/json"}
WEBM = "video/webm;codecs=vp8,opus"
CHUNKS = [b"\x1aE\xdf\xa3 header and first seconds" * 40, b"more seconds" * 50, b"the last seconds" * 30]


@pytest.fixture
def officers(dbsession, units):
    return {
        "city": make_officer(dbsession, units["city_a"], ["dispatcher"], username="disp_a"),
        "moderator": make_officer(dbsession, units["city_a"], ["moderator"], username="mod_a"),
        "other": make_officer(dbsession, units["city_b"], ["dispatcher"], username="disp_b"),
    }


@pytest.fixture
def alarm(dbsession, units):
    alarm, token = make_alarm(dbsession, units["county_a"], kind="video")
    alarm.token = token
    return alarm


def url(alarm, tail=""):
    return f"/alarm/{alarm.token}/call/recording{tail}"


def start(testapp, alarm, mime=WEBM, status=201, headers=SAME):
    return testapp.post_json(url(alarm), {"mime": mime}, headers=headers, status=status).json


def chunk(testapp, started, seq, data, status=201, content_type="video/webm", headers=SAME):
    return testapp.post(f"{started['chunks_url']}{seq}", data, headers={**headers, "Content-Type": content_type},
                        status=status).json


def recorded(testapp, alarm):
    started = start(testapp, alarm)
    for seq, data in enumerate(CHUNKS):
        chunk(testapp, started, seq, data)
    ended = testapp.post_json(started["end_url"], {"chunks": 3, "duration_ms": 9000}, headers=SAME).json
    return started, ended


def stored(dbsession):
    return dbsession.execute(select(func.count()).select_from(RecordingChunk)).scalar_one()


def test_the_page_records_in_chunks_and_a_retry_is_answered_as_stored(testapp, dbsession, alarm):
    started = start(testapp, alarm)
    assert started["state"] == "open" and started["max_chunk_bytes"] == 2 * 1024 * 1024
    assert started["chunks_url"] == url(alarm, f"/{started['id']}/chunks/")
    first = chunk(testapp, started, 0, CHUNKS[0])
    assert first["sha256"] == hashlib.sha256(CHUNKS[0]).hexdigest() and first["recording"]["chunks"] == 1
    assert chunk(testapp, started, 0, CHUNKS[0], status=200)["sha256"] == first["sha256"]  # the answer was lost
    assert "never replaced" in chunk(testapp, started, 0, CHUNKS[1], status=409)["error"]
    chunk(testapp, started, 2, CHUNKS[2])  # out of order: seq decides
    chunk(testapp, started, 1, CHUNKS[1])
    ended = testapp.post_json(started["end_url"], {"chunks": 3, "duration_ms": 9000}, headers=SAME).json
    assert ended["state"] == "final" and ended["sha256"] == hashlib.sha256(b"".join(CHUNKS)).hexdigest()
    assert testapp.post_json(started["end_url"], {"chunks": 3, "duration_ms": 9000}, headers=SAME).json == ended
    rec = dbsession.get(CallRecording, started["id"])
    assert (rec.alarm_id, rec.mime, rec.chunk_count, rec.total_bytes) == (alarm.id, WEBM, 3,
                                                                         sum(map(len, CHUNKS)))


def test_bad_requests_get_json_answers_and_store_nothing(testapp, dbsession, alarm, units):
    started = start(testapp, alarm)
    for bad in (b"{not json", b"[1]"):
        assert testapp.post(url(alarm), bad, headers={**SAME, "Content-Type": "application/json"},
                            status=400).json["error"]
    assert start(testapp, alarm, mime="text/html", status=415)["error"]
    assert chunk(testapp, started, 0, b"", status=400)["error"]
    assert chunk(testapp, started, 0, CHUNKS[0], content_type="text/plain", status=415)["error"]
    assert chunk(testapp, started, 100000, CHUNKS[0], status=400)["error"]
    too_big = b"x" * (2 * 1024 * 1024 + 1)
    assert chunk(testapp, started, 0, too_big, status=413)["error"]
    testapp.post(url(alarm, "/99999/chunks/0"), CHUNKS[0], headers={**SAME, "Content-Type": "video/webm"},
                 status=404)
    other, token = make_alarm(dbsession, units["county_a"], kind="video")
    other.token = token
    testapp.post(url(other, f"/{started['id']}/chunks/0"), CHUNKS[0],  # another alarm's recording
                 headers={**SAME, "Content-Type": "video/webm"}, status=404)
    assert testapp.post_json(started["end_url"], {"chunks": "3"}, headers=SAME, status=400).json["error"]
    # From another site: refused before anything is read.
    evil = {"Origin": "https://evil.example", "Accept": "application/json"}
    assert chunk(testapp, started, 0, CHUNKS[0], status=403, headers=evil)["error"]
    start(testapp, alarm, status=403, headers=evil)
    text_alarm, token = make_alarm(dbsession, units["county_a"], kind="text")
    assert testapp.post_json(f"/alarm/{token}/call/recording", {"mime": WEBM}, headers=SAME, status=409).json["error"]
    assert stored(dbsession) == 0
    assert dbsession.execute(select(func.count()).select_from(CallRecording)).scalar_one() == 1


def test_chunks_keep_coming_after_the_call_failed_and_the_alarm_closed(testapp, dbsession, alarm):
    from portal.core.meta import utcnow

    started = start(testapp, alarm)
    chunk(testapp, started, 0, CHUNKS[0])
    alarm.state, alarm.ended_at = "closed", utcnow()
    dbsession.flush()
    chunk(testapp, started, 1, CHUNKS[1])  # within the grace period
    start(testapp, alarm, status=409)
    assert stored(dbsession) == 2


def staff_page(testapp, alarm):
    return testapp.get(f"/staff/alarms/{alarm.id}")


def view(testapp, rec_id, page, reason, status=200):
    form = next(f for f in page.forms.values() if f.action.endswith(f"/staff/recordings/{rec_id}/view"))
    form["reason"] = reason
    return form.submit(status=status)


def views(dbsession):
    return dbsession.execute(select(AuditEvent).where(AuditEvent.action == "recording.view")
                             .order_by(AuditEvent.id)).scalars().all()


def test_a_dispatcher_plays_a_recording_after_giving_a_reason_each_time(testapp, dbsession, alarm, officers):
    started, ended = recorded(testapp, alarm)
    rec_id = started["id"]
    login(testapp, "disp_a")
    page = staff_page(testapp, alarm)
    section = page.html.find(id="recordings")
    assert f"Recording {rec_id}" in section.text and ended["sha256"] in section.text and "3 chunks" in section.text
    media = f"/staff/recordings/{rec_id}/media"
    testapp.get(media, status=403)  # no reason given yet

    refused = view(testapp, rec_id, page, "hm", status=400)
    assert "reason" in refused.text and refused.html.find("video") is None and views(dbsession) == []
    shown = view(testapp, rec_id, page, "Checking the attacker's description for the patrol")
    player = shown.html.find("video")
    assert player["src"] == media and shown.html.find(attrs={"data-verification": "ok"})
    (event,) = views(dbsession)
    assert (event.officer_id, event.object_id) == (officers["city"].id, str(rec_id))
    assert "attacker's description" in event.reason

    whole = b"".join(CHUNKS)
    played = testapp.get(media)
    assert (played.content_type, played.body) == ("video/webm", whole)
    assert played.headers["Accept-Ranges"] == "bytes" and "no-store" in played.headers["Cache-Control"]
    part = testapp.get(media, headers={"Range": "bytes=100-1299"}, status=206)
    assert part.body == whole[100:1300]
    view(testapp, rec_id, staff_page(testapp, alarm), "Second look for the case file")
    assert len(views(dbsession)) == 2  # every viewing is its own event

    verified = testapp.post(f"/staff/recordings/{rec_id}/verify", {"csrf_token": page.forms[0]["csrf_token"].value})
    assert "every chunk and the final hash match" in verified.follow().text
    assert dbsession.execute(select(AuditEvent.reason).where(AuditEvent.action == "recording.verify")
                             ).scalars().first().startswith("ok")


def test_only_the_centers_dispatchers_reach_a_recording(testapp, dbsession, alarm, officers):
    started, _ended = recorded(testapp, alarm)
    rec_id = started["id"]
    for username in ("disp_b", "mod_a"):
        testapp.reset()
        login(testapp, username)
        testapp.get(f"/staff/recordings/{rec_id}", status=403)
        testapp.get(f"/staff/recordings/{rec_id}/media", status=403)
        token = testapp.get("/staff").html.find("input", {"name": "csrf_token"})["value"]
        for action in ("view", "verify"):
            testapp.post(f"/staff/recordings/{rec_id}/{action}", {"csrf_token": token, "reason": "Just curious, sorry"},
                         status=403)
    assert views(dbsession) == []


def test_recordings_in_the_bucket_play_with_ranges_with_the_s3_store(s3_media, testapp, dbsession, alarm, officers):
    test_a_dispatcher_plays_a_recording_after_giving_a_reason_each_time(testapp, dbsession, alarm, officers)
    keys = dbsession.execute(select(RecordingChunk.storage_key)).scalars().all()
    assert len(keys) == 3 and all(s3_media.exists(key) for key in keys)
