"""The caller's recording (calls/recording.py, calls/evidence.py): chunks stored append-only with a
hash each, a retry of the same bytes answered as stored, other bytes under a stored seq refused, the
final hash over the chunks in seq order, the limits, the grace after the alarm ended, and the check
that finds bytes changed in the store."""
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.calls import evidence, recording
from portal.calls.models import CallRecording, RecordingChunk
from portal.core.meta import utcnow
from portal.core.refused import Refused
from tests.factories import make_alarm

WEBM = "video/webm;codecs=vp8,opus"


@pytest.fixture
def alarm(dbsession, units):
    return make_alarm(dbsession, units["county_a"], kind="video")[0]


@pytest.fixture
def rec(dummy_request, alarm):
    return recording.start(dummy_request, alarm, WEBM)


def add(request, alarm, rec, seq, data, content_type="video/webm"):
    return recording.add_chunk(request, alarm, rec, seq, data, content_type)


def piece(n: int, size: int = 1000) -> bytes:
    return bytes([n % 256]) * size + f"chunk {n}".encode()


def refusal(call, *args) -> int:
    with pytest.raises(Refused) as refused:
        call(*args)
    return refused.value.status


def test_chunks_keep_their_hashes_and_the_final_hash_covers_them_in_seq_order(dummy_request, dbsession, alarm, rec):
    assert (rec.mime, rec.state, rec.call_id) == (WEBM, "open", None)
    # Out of order, as retries may deliver them: seq order decides the final hash, not arrival.
    for seq in (1, 0, 2):
        chunk, new = add(dummy_request, alarm, rec, seq, piece(seq))
        assert new and chunk.sha256 == hashlib.sha256(piece(seq)).hexdigest()
    assert (rec.chunk_count, rec.total_bytes) == (3, sum(len(piece(n)) for n in range(3)))
    assert rec.sha256 is None

    recording.end(dummy_request, rec, 3, 9000)
    assert (rec.state, rec.end_reason, rec.duration_ms) == ("final", "page", 9000)
    assert rec.sha256 == hashlib.sha256(piece(0) + piece(1) + piece(2)).hexdigest()
    store = dummy_request.registry["media_store"]
    assert [store.exists(c.storage_key) for c in recording.chunks_of(dbsession, rec)] == [True] * 3
    checked = evidence.verify(dummy_request, rec)
    assert (checked.ok, checked.final_ok, checked.bad_chunks, checked.missing_seqs) == (True, True, [], 0)
    assert rec.verified_ok is True


def test_a_stored_seq_is_never_replaced(dummy_request, dbsession, alarm, rec):
    first, _new = add(dummy_request, alarm, rec, 0, piece(0))
    again, new = add(dummy_request, alarm, rec, 0, piece(0))  # the retry of a lost answer
    assert (again.id, new, rec.chunk_count) == (first.id, False, 1)
    assert refusal(add, dummy_request, alarm, rec, 0, piece(7)) == 409
    assert dbsession.get(RecordingChunk, first.id).sha256 == hashlib.sha256(piece(0)).hexdigest()
    recording.end(dummy_request, rec, 1, 3000)
    assert add(dummy_request, alarm, rec, 0, piece(0))[1] is False  # after the end too: same bytes, as stored
    assert refusal(add, dummy_request, alarm, rec, 1, piece(1)) == 409  # nothing new once final
    assert rec.chunk_count == 1


def test_an_end_before_a_missing_chunk_waits_for_it(dummy_request, alarm, rec):
    add(dummy_request, alarm, rec, 0, piece(0))
    add(dummy_request, alarm, rec, 2, piece(2))
    recording.end(dummy_request, rec, 3, 9000)
    assert (rec.state, rec.expected_chunks) == ("open", 3)
    assert recording.end(dummy_request, rec, 5, 1) is rec and rec.expected_chunks == 3  # a repeated end: no change
    add(dummy_request, alarm, rec, 1, piece(1))  # the one still on its way
    assert rec.state == "final"
    assert rec.sha256 == hashlib.sha256(piece(0) + piece(1) + piece(2)).hexdigest()


def test_the_declared_duration_cannot_exceed_the_time_the_recording_ran(dummy_request, alarm, rec):
    add(dummy_request, alarm, rec, 0, piece(0))
    recording.end(dummy_request, rec, 1, 3_600_000)
    assert rec.duration_ms <= 12_000


def test_what_is_sent_is_checked(dummy_request, alarm, rec, units, dbsession, monkeypatch):
    settings = dummy_request.registry.settings
    assert refusal(add, dummy_request, alarm, rec, 0, b"") == 400
    assert refusal(add, dummy_request, alarm, rec, recording.MAX_SEQ + 1, piece(0)) == 400
    assert refusal(add, dummy_request, alarm, rec, 0, piece(0), "image/jpeg") == 415
    monkeypatch.setitem(settings, "portal.call.recording_chunk_mb", "0.001")  # 1048 bytes
    assert refusal(add, dummy_request, alarm, rec, 0, piece(0, 2000)) == 413
    assert rec.chunk_count == 0
    for mime in ("text/html", "video/webm;codecs=<script>", "video/" + "x" * 120, None, 5):
        assert refusal(recording.start, dummy_request, alarm, mime) == 415
    text_alarm = make_alarm(dbsession, units["county_a"], kind="silent")[0]
    assert refusal(recording.start, dummy_request, text_alarm, WEBM) == 409
    assert refusal(recording.end, dummy_request, rec, "3", 1) == 400
    assert refusal(recording.end, dummy_request, rec, 3, -1) == 400


def test_the_limits_of_one_alarm(dummy_request, alarm, rec, monkeypatch):
    settings = dummy_request.registry.settings
    monkeypatch.setitem(settings, "portal.call.recording_max_mb", str(2500 / 1024 / 1024))
    add(dummy_request, alarm, rec, 0, piece(0))
    add(dummy_request, alarm, rec, 1, piece(1))
    assert refusal(add, dummy_request, alarm, rec, 2, piece(2)) == 413  # 3 x 1007 bytes > 2500
    rec.started_at = utcnow() - timedelta(minutes=61)
    monkeypatch.setitem(settings, "portal.call.recording_max_mb", "300")
    assert refusal(add, dummy_request, alarm, rec, 2, piece(2)) == 409  # longer than an hour
    monkeypatch.setitem(settings, "portal.call.recording_max_per_alarm", "2")
    recording.start(dummy_request, alarm, "audio/webm")
    assert refusal(recording.start, dummy_request, alarm, WEBM) == 429


def test_chunks_are_taken_for_the_grace_period_after_the_alarm_ended(dummy_request, alarm, rec):
    add(dummy_request, alarm, rec, 0, piece(0))
    alarm.state, alarm.ended_at = "closed", utcnow() - timedelta(minutes=29)
    add(dummy_request, alarm, rec, 1, piece(1))  # the phone was offline when the dispatcher closed it
    assert refusal(recording.start, dummy_request, alarm, WEBM) == 409  # but no new recording
    alarm.ended_at = utcnow() - timedelta(minutes=31)
    assert refusal(add, dummy_request, alarm, rec, 2, piece(2)) == 409
    recording.end(dummy_request, rec, 2, 6000)  # ending still works: it adds no bytes
    assert rec.state == "final"


def test_the_check_finds_bytes_changed_or_gone_in_the_store(dummy_request, dbsession, alarm, rec):
    for seq in range(3):
        add(dummy_request, alarm, rec, seq, piece(seq))
    recording.end(dummy_request, rec, 3, 9000)
    store = dummy_request.registry["media_store"]
    first, second, _third = recording.chunks_of(dbsession, rec)
    with open(store._path(first.storage_key), "r+b") as stored:  # someone with disk access edits it
        stored.write(b"X")
    store.delete(second.storage_key)
    checked = evidence.verify(dummy_request, rec)
    assert (checked.ok, checked.bad_chunks, checked.final_ok) == (False, [0, 1], False)
    assert rec.verified_ok is False


def test_the_response_streams_the_chunks_in_order_with_ranges(dummy_request, dbsession, alarm, rec):
    for seq in (0, 1, 2):
        add(dummy_request, alarm, rec, seq, piece(seq))
    whole = piece(0) + piece(1) + piece(2)
    answer = evidence.response(dummy_request, rec)
    assert (answer.status_int, answer.content_type, b"".join(answer.app_iter)) == (200, "video/webm", whole)
    dummy_request.range = "bytes=1000-2099"  # across the first chunk's end and the second's
    answer = evidence.response(dummy_request, rec)
    assert answer.status_int == 206 and b"".join(answer.app_iter) == whole[1000:2100]
    assert answer.headers["Content-Range"] == f"bytes 1000-2099/{len(whole)}"
    dummy_request.range = "bytes=5000-6000"
    assert evidence.response(dummy_request, rec).status_int == 416


def test_only_this_alarms_recordings_are_found(dummy_request, dbsession, units, rec):
    other = make_alarm(dbsession, units["county_a"], kind="video")[0]
    assert refusal(recording.recording_of_alarm, dummy_request, other, rec.id) == 404
    assert dbsession.execute(select(func.count()).select_from(CallRecording)).scalar_one() == 1
