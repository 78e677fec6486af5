"""The S3 backend of the media store (media/s3_store.py) against a real SeaweedFS with authentication on
(tests/seaweed.py): the whole interface, large puts in parts without the file in memory, streaming and
seekable reads, byte ranges through `response`, and the start-up checks (credentials, a private bucket)."""
import hashlib
import io
import logging
import os
import tracemalloc
import urllib.error
import urllib.request

import pytest
from PIL import Image
from webob import Request
from zope.interface.verify import verifyObject

from portal.core.settings import SettingsError
from portal.media.backends import make_media_store
from portal.media.s3_store import ObjectStoreError, ObjectStoreUnavailable, S3MediaStore
from portal.media.storage import IMediaStore, LocalMediaStore, content_key
from tests.factories import jpeg_bytes

MB = 1024 * 1024


@pytest.fixture
def bucket(seaweed):
    return seaweed.new_bucket()


@pytest.fixture
def store(seaweed, bucket, tmp_path):
    return make_media_store({**seaweed.portal_settings(bucket), "portal.media_dir": str(tmp_path / "scratch")})


class Pattern(io.RawIOBase):
    """`size` bytes of a repeating pattern, made as they are read (never whole in memory), not seekable."""

    def __init__(self, size: int):
        super().__init__()
        self.left, self.block = size, bytes(range(256)) * 4096  # 1 MB

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left, len(self.block))
        buffer[:n] = self.block[:n]
        self.left -= n
        return n


def pattern_sha(size: int) -> str:
    digest, source = hashlib.sha256(), Pattern(size)
    while chunk := source.read(MB):
        digest.update(chunk)
    return digest.hexdigest()


def test_the_setting_chooses_the_backend_and_it_provides_the_whole_interface(store, tmp_path):
    assert isinstance(store, S3MediaStore) and verifyObject(IMediaStore, store)
    assert isinstance(make_media_store({"portal.media_dir": str(tmp_path / "local")}), LocalMediaStore)
    with pytest.raises(SettingsError, match="must be local or s3"):
        make_media_store({"portal.media.backend": "ftp", "portal.media_dir": str(tmp_path)})


def test_put_open_exists_delete_copy_by_the_same_content_keys_as_the_local_store(store, seaweed, bucket):
    new = []
    key, sha, size = store.put_stream(io.BytesIO(b"evidence"), ".bin", new)
    assert (key, size, new) == (content_key(hashlib.sha256(b"evidence").hexdigest(), ".bin"), 8, [key])
    assert seaweed.client().get_object(Bucket=bucket, Key=key)["Body"].read() == b"evidence"  # really there
    again = []
    assert store.put_bytes(b"evidence", ".bin", again)[0] == key and again == []  # already stored: not new
    assert store.exists(key) and store.stored_sha256(key) == sha
    with store.open(key) as stored:
        assert stored.read() == b"evidence"
    out = io.BytesIO()
    store.copy_to(key, out)
    assert out.getvalue() == b"evidence"
    store.delete(key)
    store.delete(key)  # twice is fine
    assert not store.exists(key)
    with pytest.raises(FileNotFoundError):
        store.open(key)
    with pytest.raises(FileNotFoundError):
        store.response(Request.blank("/"), key, "image/jpeg")
    with pytest.raises(ValueError):
        store.exists("../../etc/passwd")


def test_files_being_written_stay_on_this_machine_and_a_put_file_is_moved_up(store, tmp_path):
    incoming = store.incoming_dir()
    assert incoming.startswith(str(tmp_path / "scratch" / ".incoming"))
    path = os.path.join(incoming, "part")
    with open(path, "wb") as f:
        f.write(b"a streamed upload")
    sha = hashlib.sha256(b"a streamed upload").hexdigest()
    new = []
    key, _sha, size = store.put_file(path, sha, ".jpg", new)
    assert new == [key] and size == 17 and not os.path.exists(path)  # sent, and gone from the disk
    assert os.listdir(incoming) == []  # put_stream's spool went too
    store.put_bytes(b"spooled", ".bin")
    assert os.listdir(incoming) == []


def test_a_large_file_goes_up_in_parts_without_being_held_in_memory(store, seaweed, bucket):
    size = 40 * MB
    tracemalloc.start()
    try:
        key, sha, stored = store.put_stream(Pattern(size), ".mp4")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (sha, stored) == (pattern_sha(size), size)
    assert peak < 24 * MB, f"the put held {peak / MB:.1f} MB"  # at most two 8 MB parts, never 40
    head = seaweed.client().head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == size and head["ETag"].strip('"').endswith("-5")  # a multipart upload
    digest = hashlib.sha256()
    with store.open(key) as stored_file:
        while chunk := stored_file.read(MB):
            digest.update(chunk)
    assert digest.hexdigest() == sha


def test_open_is_seekable_so_images_and_recordings_read_from_it(store):
    photo = jpeg_bytes(size=(64, 48))
    key, _sha, _size = store.put_bytes(photo, ".jpg")
    with store.open(key) as stored, Image.open(stored) as image:
        assert image.size == (64, 48)
    with store.open(key) as stored:
        stored.seek(10)
        assert stored.read(5) == photo[10:15] and stored.tell() == 15
        stored.seek(-4, io.SEEK_END)
        assert stored.read() == photo[-4:]
        assert stored.read() == b""


def serve(store, key, content_type="video/mp4", **headers):
    request = Request.blank("/", headers=headers)
    return request.get_response(store.response(request, key, content_type))


def test_a_response_streams_the_object_and_answers_ranges_with_ranged_gets(store):
    body = os.urandom(300_000)
    key, _sha, _size = store.put_bytes(body, ".mp4")
    whole = serve(store, key)
    assert (whole.status_int, whole.body, whole.content_type) == (200, body, "video/mp4")
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.content_length == len(body)
    part = serve(store, key, Range="bytes=100-1299")
    assert (part.status_int, part.body, part.headers["Content-Range"]) == (206, body[100:1300],
                                                                          f"bytes 100-1299/{len(body)}")
    tail = serve(store, key, Range="bytes=-500")
    assert tail.status_int == 206 and tail.body == body[-500:]
    assert serve(store, key, Range=f"bytes={len(body) + 10}-").status_int == 416
    again = serve(store, key, **{"If-Modified-Since": whole.headers["Last-Modified"]})
    assert again.status_int == 304 and again.body == b""
    head = Request.blank("/", method="HEAD")
    answer = head.get_response(store.response(head, key, "video/mp4"))
    assert answer.status_int == 200 and answer.headers["Content-Length"] == str(len(body)) and answer.body == b""


def test_an_object_deleted_while_it_is_read_is_a_file_not_found(store):
    key, _sha, _size = store.put_bytes(os.urandom(200_000), ".mp4")
    reader = store.open(key)
    store.delete(key)
    with pytest.raises(FileNotFoundError), reader:
        reader.read()


def test_the_bucket_refuses_anonymous_reads(store, seaweed, bucket):
    key, _sha, _size = store.put_bytes(b"a reporter's photo", ".jpg")
    for url in (f"{seaweed.endpoint}/{bucket}/{key}", f"{seaweed.endpoint}/{bucket}"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=5)  # noqa: S310 - the test's own loopback server
        assert refused.value.code == 403


def test_bad_credentials_stop_start_up_with_a_clear_sentence_and_no_secret(seaweed, bucket, tmp_path):
    settings = {**seaweed.portal_settings(bucket), "portal.media_dir": str(tmp_path),
                "portal.media.s3.secret_key": "a-wrong-secret-key-0123456789"}
    with pytest.raises(SettingsError) as error:
        make_media_store(settings)
    message = str(error.value)
    assert "refused the credentials" in message and bucket in message
    assert "a-wrong-secret-key" not in message and seaweed.secret_key not in message


def test_a_missing_bucket_or_unreachable_store_or_missing_setting_stop_start_up(seaweed, tmp_path):
    base = {**seaweed.portal_settings("no-such-bucket"), "portal.media_dir": str(tmp_path)}
    with pytest.raises(SettingsError, match="has no bucket 'no-such-bucket'"):
        make_media_store(base)
    with pytest.raises(SettingsError, match="needs portal.media.s3.secret_key"):
        make_media_store({**base, "portal.media.s3.secret_key": ""})
    from tests.coturn import reserve_ports

    closed = reserve_ports(1)
    try:
        with pytest.raises(SettingsError, match="cannot be reached"):
            make_media_store({**base, "portal.media.s3.endpoint": f"http://127.0.0.1:{closed.first}"})
    finally:
        closed.release()


def test_a_public_bucket_stops_start_up(store, seaweed, bucket):
    try:
        seaweed.client().put_bucket_acl(Bucket=bucket, ACL="public-read")
    except Exception as error:  # noqa: BLE001
        pytest.skip(f"this SeaweedFS does not take bucket ACLs: {type(error).__name__}")
    with pytest.raises(ObjectStoreError, match="public ACL"):
        store.check()


def test_a_failing_bucket_is_an_oserror_as_a_failing_disk_is_and_leaves_no_spooled_file(seaweed, bucket, tmp_path):
    refused = S3MediaStore(seaweed.client(secret_key="not-the-secret-0123456789"), bucket, str(tmp_path))
    with pytest.raises(ObjectStoreUnavailable, match="the object store refused to .*: 403"):
        refused.put_bytes(b"a photo", ".jpg")
    assert os.listdir(refused.incoming_dir()) == []
    for call in (lambda: refused.exists("ab/cd/x.jpg"), lambda: refused.delete("ab/cd/x.jpg"),
                 lambda: refused.open("ab/cd/x.jpg")):
        with pytest.raises(OSError) as error:
            call()
        assert "not-the-secret" not in str(error.value)


def test_the_secret_key_is_never_logged_even_at_debug_level(seaweed, bucket, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    store = make_media_store({**seaweed.portal_settings(bucket), "portal.media_dir": str(tmp_path)})
    key, _sha, _size = store.put_bytes(os.urandom(1000), ".jpg")
    with store.open(key) as stored:
        stored.read()
    serve(store, key, Range="bytes=0-9")
    store.delete(key)
    assert "head_object" in caplog.text.lower() or "HeadObject" in caplog.text  # botocore did log its requests
    assert seaweed.secret_key not in caplog.text and seaweed.secret_key not in repr(store)
