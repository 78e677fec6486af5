"""The worker's staff-copy job: pending copies are made once, a failure is retried later a bounded number of
times and then recorded, a missing ffmpeg leaves copies waiting, two workers never take the same copy, and
retention removes the copies with their medium."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core.meta import utcnow
from portal.media import copy_jobs
from portal.media.models import Media, MediaCopy
from portal.media.retention import delete_media
from tests.transcode_samples import make_sample, require_ffmpeg

BROKEN_MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100


def stored(dbsession, store, data: bytes, kind="audio", content_type="audio/wav", suffix=".wav") -> Media:
    key, sha, size = store.put_bytes(data, suffix)
    media = Media(kind=kind, sha256=sha, size=size, content_type=content_type, original_key=key)
    copy_jobs.request_copy(media)
    dbsession.add(media)
    dbsession.flush()
    return media


@pytest.fixture
def settings(dummy_request):
    settings = dummy_request.registry.settings
    kept = dict(settings)
    yield settings
    settings.clear()
    settings.update(kept)


def test_photos_get_no_staff_copy():
    assert copy_jobs.request_copy(Media(kind="image")) is None


def test_a_pending_copy_is_made_once(dbsession, dummy_request, tmp_path):
    require_ffmpeg()
    store = dummy_request.registry["media_store"]
    media = stored(dbsession, store, make_sample("wav", tmp_path))
    assert copy_jobs.prepare_staff_copies(dummy_request) == 1
    made = media.staff_copy
    assert (made.state, made.attempts, made.content_type, made.failure) == ("ready", 1, "audio/mp4", "")
    assert store.exists(made.copy_key) and 1800 < made.duration_ms < 2200 and made.duration_text == "0:02"
    assert copy_jobs.prepare_staff_copies(dummy_request) == 0  # nothing left


def test_failures_are_retried_later_then_recorded(dbsession, dummy_request, settings):
    require_ffmpeg()
    media = stored(dbsession, dummy_request.registry["media_store"], BROKEN_MP4, "video", "video/mp4", ".mp4")
    now = utcnow()
    assert copy_jobs.prepare_staff_copies(dummy_request, now=now) == 1
    copy = media.staff_copy
    assert (copy.state, copy.attempts) == ("pending", 1) and copy.failure
    assert copy.next_try_at == now + timedelta(minutes=2)
    assert copy_jobs.prepare_staff_copies(dummy_request, now=now + timedelta(minutes=1)) == 0  # not yet
    assert copy_jobs.prepare_staff_copies(dummy_request, now=now + timedelta(minutes=2)) == 1
    assert (copy.state, copy.attempts) == ("pending", 2)
    assert copy.next_try_at == now + timedelta(minutes=2 + 4)
    assert copy_jobs.prepare_staff_copies(dummy_request, now=now + timedelta(minutes=6)) == 1
    assert (copy.state, copy.attempts, copy.copy_key) == ("failed", 3, None)
    assert copy.finished_at is not None and "/" not in copy.failure  # a reason, no file names
    assert copy_jobs.prepare_staff_copies(dummy_request, now=now + timedelta(days=1)) == 0  # never again


def test_without_ffmpeg_copies_wait(dbsession, dummy_request, settings, tmp_path):
    settings["portal.transcode.ffprobe"] = "/nonexistent/ffprobe"
    media = stored(dbsession, dummy_request.registry["media_store"], b"RIFF....WAVE")
    assert copy_jobs.prepare_staff_copies(dummy_request) == 0
    assert (media.staff_copy.state, media.staff_copy.attempts) == ("pending", 0)


def test_two_workers_never_take_the_same_copy(dbsession, dummy_request, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: there is no row lock to skip")
    store = dummy_request.registry["media_store"]
    # Committed rows (the test's own session never commits): two of them, seen by two connections.
    with Session(engine) as setup:
        rows = [stored(setup, store, BROKEN_MP4 + bytes([n]), "video", "video/mp4", ".mp4") for n in range(2)]
        setup.commit()
        ids = sorted(r.staff_copy.id for r in rows)
    try:
        with Session(engine) as first, Session(engine) as second:
            taken = copy_jobs._next_due(first, utcnow())
            other = copy_jobs._next_due(second, utcnow())
            assert {taken.id, other.id} == set(ids)  # the second worker skipped the locked row
            assert copy_jobs._next_due(second, utcnow()) is other  # its own lock does not hide it from itself
            first.rollback()
            second.rollback()
    finally:
        with Session(engine) as cleanup:
            for media in cleanup.execute(select(Media).join(MediaCopy).where(MediaCopy.id.in_(ids))).scalars():
                cleanup.delete(media)
            cleanup.commit()


def test_retention_removes_the_copies_with_their_medium(dbsession, dummy_request, tmp_path):
    require_ffmpeg()
    store = dummy_request.registry["media_store"]
    media = stored(dbsession, store, make_sample("mkv", tmp_path, seconds=1), "video", "video/x-matroska", ".mkv")
    copy_jobs.prepare_staff_copies(dummy_request)
    keys = [media.staff_copy.copy_key, media.staff_copy.poster_key]
    assert all(store.exists(k) for k in keys)
    assert delete_media(dummy_request, [media]) == 1
    assert not any(store.exists(k) for k in keys)
    assert dbsession.execute(select(MediaCopy)).scalars().all() == []


def test_copies_made_from_the_bucket_and_removed_by_retention_with_the_s3_store(s3_media, dbsession, dummy_request,
                                                                              tmp_path):
    test_retention_removes_the_copies_with_their_medium(dbsession, dummy_request, tmp_path)
