"""The media store behind its interface: what every backend must do, checked on the local disk one."""
import io

import pytest
from pyramid import testing
from zope.interface.verify import verifyObject

from portal.media.storage import IMediaStore, LocalMediaStore


@pytest.fixture
def store(tmp_path):
    return LocalMediaStore(str(tmp_path / "media"))


def test_the_local_store_provides_the_whole_interface(store):
    assert verifyObject(IMediaStore, store)


def test_put_open_exists_delete_by_content_key(store):
    new = []
    key, sha, size = store.put_stream(io.BytesIO(b"evidence"), ".bin", new)
    assert key.endswith(f"{sha}.bin") and size == 8 and new == [key] and store.exists(key)
    again = []
    assert store.put_bytes(b"evidence", ".bin", again)[0] == key and again == []  # already stored: not new
    with store.open(key) as stored:
        assert stored.read() == b"evidence"
    store.delete(key)
    store.delete(key)  # twice is fine
    assert not store.exists(key)
    with pytest.raises(FileNotFoundError):
        store.open(key)


def test_a_response_streams_the_file_and_refuses_a_missing_one(store):
    key, _sha, _size = store.put_bytes(b"\xff\xd8 not really a jpeg", ".jpg")
    response = store.response(testing.DummyRequest(), key, "image/jpeg")
    assert response.content_type == "image/jpeg" and b"".join(response.app_iter) == b"\xff\xd8 not really a jpeg"
    with pytest.raises(FileNotFoundError):
        store.response(testing.DummyRequest(), "ab/cd/none.jpg", "image/jpeg")


@pytest.mark.parametrize("key", ["../outside", "ab/../../outside", "/etc/passwd"])
def test_a_key_never_leaves_the_store(store, key):
    with pytest.raises(ValueError):
        store.exists(key)
