"""The recordings' worker jobs (calls/recording_jobs.py): a recording whose page went silent becomes final with
what arrived; the alarm retention rule deletes the recordings' chunks (stored files and rows) and
keeps each recording's row, marked purged, for statistics."""
import hashlib
from datetime import timedelta

from sqlalchemy import func, select

from portal.alarms import jobs as alarm_jobs
from portal.calls import recording
from portal.calls import recording_jobs as jobs
from portal.calls.models import CallRecording, RecordingChunk
from portal.core.meta import utcnow
from portal.scripts import worker
from tests.factories import make_alarm
from tests.retention import assert_one_event

DATA = [b"first seconds of the camera", b"then the street", b"then the car's plate"]


def recorded(request, dbsession, unit, *, state="closed", ended_days_ago=91, data=DATA):
    ended = utcnow() - timedelta(days=ended_days_ago) if ended_days_ago is not None else None
    alarm = make_alarm(dbsession, unit, kind="video")[0]
    rec = recording.start(request, alarm, "video/webm;codecs=vp8,opus")
    for seq, piece in enumerate(data):
        recording.add_chunk(request, alarm, rec, seq, piece + str(alarm.id).encode(), "video/webm")
    recording.end(request, rec, len(data), 9000)
    alarm.state, alarm.ended_at = state, ended
    dbsession.flush()
    return rec


def keys_of(dbsession, rec):
    return [c.storage_key for c in recording.chunks_of(dbsession, rec)]


def test_a_recording_whose_page_went_silent_becomes_final(dummy_request, dbsession, units):
    alarm = make_alarm(dbsession, units["county_a"], kind="voice")[0]
    rec = recording.start(dummy_request, alarm, "audio/webm;codecs=opus")
    recording.add_chunk(dummy_request, alarm, rec, 0, b"a", "audio/webm")
    recording.add_chunk(dummy_request, alarm, rec, 2, b"c", "audio/webm")  # seq 1 never came
    assert jobs.finalize_silent(dummy_request) == 0  # still fresh
    assert jobs.finalize_silent(dummy_request, now=utcnow() + timedelta(minutes=61)) == 1
    assert (rec.state, rec.end_reason, rec.sha256) == ("final", "idle", hashlib.sha256(b"ac").hexdigest())
    assert jobs.finalize_silent(dummy_request, now=utcnow() + timedelta(minutes=61)) == 0


def test_alarm_retention_deletes_the_chunks_and_keeps_the_row(dummy_request, dbsession, units):
    store = dummy_request.registry["media_store"]
    old = recorded(dummy_request, dbsession, units["city_a"], ended_days_ago=91)
    young = recorded(dummy_request, dbsession, units["city_a"], ended_days_ago=89)
    running = recorded(dummy_request, dbsession, units["city_a"], state="dispatched", ended_days_ago=None)
    old_keys, young_keys = keys_of(dbsession, old), keys_of(dbsession, young)
    final_hash = old.sha256
    assert all(store.exists(k) for k in old_keys)

    # The worker's round: the alarm's own purge, then its recordings'.
    assert alarm_jobs.purge_ended(dummy_request) == 1
    assert worker.JOBS["recordings-purge"](dummy_request) == 1

    assert not any(store.exists(k) for k in old_keys)
    assert all(store.exists(k) for k in young_keys + keys_of(dbsession, running))
    assert dbsession.execute(select(func.count()).select_from(RecordingChunk)
                             .where(RecordingChunk.recording_id == old.id)).scalar_one() == 0
    kept = dbsession.get(CallRecording, old.id)
    assert kept.purged_at is not None and (kept.chunk_count, kept.total_bytes, kept.sha256) == (
        3, sum(len(d) for d in DATA) + 3 * len(str(old.alarm_id)), final_hash)
    assert (young.purged_at, running.purged_at) == (None, None)
    assert_one_event(dbsession, "call_recording", "1 call_recording(s) past retention: 3 chunks, 3 files")
    assert jobs.purge_recordings(dummy_request) == 0


def test_a_file_another_chunk_shares_stays(dummy_request, dbsession, units):
    store = dummy_request.registry["media_store"]
    alarm = make_alarm(dbsession, units["city_a"], kind="video")[0]
    old = recording.start(dummy_request, alarm, "video/webm")
    recording.add_chunk(dummy_request, alarm, old, 0, b"the same bytes", "video/webm")
    other = make_alarm(dbsession, units["city_a"], kind="video")[0]
    kept = recording.start(dummy_request, other, "video/webm")
    recording.add_chunk(dummy_request, other, kept, 0, b"the same bytes", "video/webm")
    alarm.state, alarm.ended_at = "closed", utcnow() - timedelta(days=100)
    dbsession.flush()
    assert jobs.purge_recordings(dummy_request) == 1
    assert old.state == "final" and old.end_reason == "purged"
    assert store.exists(keys_of(dbsession, kept)[0])
