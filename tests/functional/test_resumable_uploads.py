"""Resumable uploads (tus 1.0) through WebTest: the protocol, the limits at creation and at the first
chunk, whose uploads a session may touch, expiry, and the forms taking finished uploads by id."""
import hashlib
import os
from datetime import timedelta

import pytest
import webtest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter
from portal.core.meta import utcnow
from portal.media import jobs as media_jobs
from portal.media.resumable import files
from portal.media.resumable.models import Upload
from tests import media_samples as m
from tests.factories import jpeg_bytes
from tests.functional.resumable_client import TUS, Tus, page_token

MP4 = m.mp4(b"\x00\x00\x00\x10fake-h264-frames" * 40000)  # about 800 KB
EXE = b"MZ\x90\x00" + b"\x00" * 9000


@pytest.fixture
def tus(testapp):
    return Tus(testapp, page_token(testapp))


@pytest.fixture
def stranger(app, testapp):
    other = webtest.TestApp(app, extra_environ=dict(testapp.extra_environ))
    return Tus(other, page_token(other))


def row(dbsession, url) -> Upload:
    dbsession.expire_all()
    return dbsession.get(Upload, url.rsplit("/", 1)[1])


def test_options_announce_the_version_extensions_and_largest_file(testapp):
    response = testapp.options("/uploads", status=204)
    assert response.headers["Tus-Version"] == TUS and response.headers["Tus-Resumable"] == TUS
    assert set(response.headers["Tus-Extension"].split(",")) == {"creation", "termination", "expiration", "checksum"}
    assert int(response.headers["Tus-Max-Size"]) == 250 * 1024 * 1024
    assert "sha1" in response.headers["Tus-Checksum-Algorithm"]


def test_a_file_sent_in_chunks_completes_with_its_hash_and_kind(tus, dbsession):
    url = tus.new(len(MP4))
    created = tus.head(url)
    assert created.headers["Upload-Offset"] == "0" and created.headers["Upload-Length"] == str(len(MP4))
    assert "GMT" in created.headers["Upload-Expires"] and created.headers["Cache-Control"] == "no-store"
    half = len(MP4) // 2
    assert tus.patch(url, 0, MP4[:half]).headers["Upload-Offset"] == str(half)
    upload = row(dbsession, url)
    assert (upload.kind, upload.content_type, upload.offset, upload.sha256) == ("video", "video/mp4", half, None)
    assert tus.head(url).headers["Upload-Offset"] == str(half)
    tus.patch(url, half, MP4[half:], checksum=True)
    upload = row(dbsession, url)
    assert upload.complete and upload.completed_at is not None
    assert upload.sha256 == hashlib.sha256(MP4).hexdigest()


def test_protocol_errors(tus, testapp):
    url = tus.new(len(MP4))
    testapp.post("/uploads", headers={"X-CSRF-Token": tus.token, "Upload-Length": "10"}, status=412)
    testapp.post("/uploads", headers={"Tus-Resumable": TUS, "Upload-Length": "10"}, status=400)  # no CSRF token
    tus.create(0, status=400)
    tus.create(10, purpose="nothing", status=400)
    testapp.post("/uploads", headers=tus.headers(**{"Upload-Length": "-1"}), status=400)
    tus.patch(url, 5, MP4[:10], status=409)  # not where the upload stands
    assert tus.patch(url, 0, MP4[:10], content_type="text/plain", status=415)
    tus.patch(url, 0, MP4[:10], **{"Upload-Checksum": "crc32 AAAA"}, status=400)
    tus.patch(url, 0, MP4[:10], **{"Upload-Checksum": "sha1 " + "A" * 27 + "="}, status=460)
    assert tus.head(url).headers["Upload-Offset"] == "0"  # the mismatched chunk was not kept
    tus.patch(url, 0, MP4 + b"more", status=413)  # beyond the declared length


def test_a_wrong_file_is_refused_at_its_first_chunk_and_deleted(tus, dbsession, registry):
    url = tus.new(10 * 1024 * 1024, filename="holiday.mp4")
    refused = tus.patch(url, 0, EXE[:8192], status=415)
    assert "holiday.mp4" in refused.json["error"]
    assert row(dbsession, url) is None
    assert not os.path.exists(files.path(registry.settings["portal.media_dir"], url.rsplit("/", 1)[1]))
    tus.head(url, status=404)


def test_limits_at_creation_and_by_kind(tus):
    tus.create(251 * 1024 * 1024, status=413)  # over the largest tip file (video, 250 MB)
    url = tus.new(20 * 1024 * 1024, filename="big.jpg")  # fine for a video, not for a photo
    assert "big.jpg" in tus.patch(url, 0, jpeg_bytes() + bytes(8192), status=413).json["error"]
    tus.create(16 * 1024 * 1024, purpose="photo", status=413)
    photo = tus.new(len(MP4), purpose="photo", filename="clip.mp4")
    assert "not a photo" in tus.patch(photo, 0, MP4[:8192], status=415).json["error"]


def test_the_hourly_limit_counts_creations(tus, registry):
    per_hour = int(registry.settings["portal.tip.upload_rate_per_hour"])
    for _ in range(per_hour):
        tus.delete(tus.new(1000))
    refused = tus.create(1000, status=429)
    assert int(refused.headers["Retry-After"]) > 0 and "address" in refused.json["error"]


def test_files_waiting_for_one_session_are_bounded(tus, registry):
    max_files = int(registry.settings["portal.tip.max_files"])
    for _ in range(2 * max_files):
        tus.new(1000)
    assert "At most" in tus.create(1000, status=400).json["error"]


def test_another_session_cannot_touch_an_upload(tus, stranger):
    url = tus.new(len(MP4))
    stranger.head(url, status=404)
    stranger.patch(url, 0, MP4[:100], status=404)
    stranger.delete(url, status=404)
    assert tus.head(url).headers["Upload-Offset"] == "0"


def test_termination(tus, dbsession):
    url = tus.new(len(MP4))
    tus.patch(url, 0, MP4[:1000])
    tus.delete(url)
    assert row(dbsession, url) is None
    tus.head(url, status=404)
    tus.patch(url, 1000, MP4[1000:2000], status=404)


def test_expired_uploads_and_stray_files_go(tus, dbsession, dummy_request, registry):
    url = tus.new(len(MP4))
    kept = tus.new(len(MP4))
    upload = row(dbsession, url)
    upload.expires_at = utcnow() - timedelta(seconds=1)
    dbsession.flush()
    tus.head(url, status=404)  # expired: gone even before the worker runs
    expired_again = tus.new(len(MP4))
    row(dbsession, expired_again).expires_at = utcnow() - timedelta(minutes=1)
    media_dir = registry.settings["portal.media_dir"]
    stray = files.path(media_dir, "x" * 43)
    with open(stray, "wb") as f:
        f.write(b"left by a failed creation")
    os.utime(stray, (0, 0))
    dbsession.flush()
    assert media_jobs.expire_resumable_uploads(dummy_request) == 2
    assert row(dbsession, expired_again) is None and not os.path.exists(stray)
    assert row(dbsession, kept) is not None
    assert os.path.exists(files.path(media_dir, kept.rsplit("/", 1)[1]))


HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(length=HEADER_TEXT, metadata=HEADER_TEXT, offset=HEADER_TEXT, checksum=HEADER_TEXT)
def test_bad_headers_get_a_4xx_never_a_5xx(tus, testapp, registry, length, metadata, offset, checksum):
    registry.registerUtility(MemoryRateLimiter(), IRateLimiter)  # each example starts afresh
    created = testapp.post("/uploads", headers=tus.headers(**{"Upload-Length": length, "Upload-Metadata": metadata}),
                           status="*")
    assert created.status_int in (201, 400, 413)
    if created.status_int == 201:
        tus.delete(created.headers["Location"])
    url = tus.new(1000)
    response = tus.patch(url, 0, b"x", status="*", **{"Upload-Offset": offset, "Upload-Checksum": checksum})
    assert response.status_int in (204, 400, 409, 460), response.status
    assert tus.head(url).headers["Upload-Offset"] == ("1" if response.status_int == 204 else "0")
    tus.delete(url)


# With the media in a bucket (portal.media.backend = s3) the chunks are parts in it (resumable/bucket.py).

def test_chunks_and_checksums_with_the_s3_store(s3_media, tus, testapp, dbsession):
    test_a_file_sent_in_chunks_completes_with_its_hash_and_kind(tus, dbsession)
    test_protocol_errors(tus, testapp)
    listed = s3_media.client.list_objects_v2(Bucket=s3_media.bucket, Prefix="uploads/")["Contents"]
    assert {item["Key"].rsplit("/", 1)[1] for item in listed} >= {"created", f"{0:016d}"}


def test_refusal_termination_and_expiry_with_the_s3_store(s3_media, tus, dbsession, dummy_request):
    url = tus.new(10 * 1024 * 1024, filename="holiday.mp4")
    tus.patch(url, 0, EXE[:8192], status=415)
    assert row(dbsession, url) is None and s3_media.client.list_objects_v2(
        Bucket=s3_media.bucket, Prefix=f"uploads/{url.rsplit('/', 1)[1]}/").get("KeyCount") == 0
    test_termination(tus, dbsession)
    expired, kept = tus.new(len(MP4)), tus.new(len(MP4))
    row(dbsession, expired).expires_at = utcnow() - timedelta(minutes=1)
    s3_media.client.put_object(Bucket=s3_media.bucket, Key=f"uploads/{'x' * 43}/created", Body=b"")  # no row
    dbsession.flush()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("portal.media.resumable.service.ORPHAN_SECONDS", -60)  # the stray is old enough now
        assert media_jobs.expire_resumable_uploads(dummy_request) == 2
    left = {item["Key"].split("/")[1] for item in s3_media.client.list_objects_v2(
        Bucket=s3_media.bucket, Prefix="uploads/").get("Contents", [])}
    assert left == {kept.rsplit("/", 1)[1]}


def test_one_upload_goes_through_two_servers_and_a_third_claims_it(s3_media, seaweed, app, tus, dbsession,
                                                                   dummy_request, tmp_path_factory):
    """Each app server has its own scratch directory; the bucket is all they share."""
    from portal.media.backends import make_media_store
    from portal.media.resumable.claim import ResumableFile

    servers = [make_media_store({**seaweed.portal_settings(s3_media.bucket),
                                 "portal.media_dir": str(tmp_path_factory.mktemp(f"server{n}"))}) for n in range(3)]
    url = tus.new(len(MP4))
    for n, (start, end) in enumerate([(0, 300_000), (300_000, len(MP4))]):
        app.registry["media_store"] = servers[n]  # the proxy sent this chunk to server n
        assert tus.head(url).headers["Upload-Offset"] == str(start)
        tus.patch(url, start, MP4[start:end])
    app.registry["media_store"] = servers[2]  # and the form to a third (s3_media puts the local store back)
    upload = row(dbsession, url)
    assert upload.complete and upload.sha256 == hashlib.sha256(MP4).hexdigest()
    claimed = ResumableFile(dummy_request, upload, "attachments")
    try:
        assert claimed.file.read() == MP4 and claimed.path.startswith(servers[2].incoming_dir())
    finally:
        claimed.discard()
    assert not os.path.exists(claimed.path)
