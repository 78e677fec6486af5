"""Media storage behind an interface (IMediaStore): local disk by default; an S3-compatible bucket
(media/s3_store.py, portal.media.backend = s3) implements the same methods. Nothing outside media/
sees a file path: callers open, put, test, delete and serve files by key."""
import hashlib
import io
import os
import shutil
import tempfile
import threading

from pyramid.response import FileResponse
from zope.interface import Interface, implementer

from portal.media import incoming

CHUNK = 64 * 1024


def content_key(sha: str, suffix: str) -> str:
    """Where a file with this SHA-256 lives, in every backend: ``ab/cd/<sha256><suffix>``."""
    return f"{sha[:2]}/{sha[2:4]}/{sha}{suffix}"


def hashed_copy(stream, out) -> tuple[str, int]:
    """Copy a file object to `out` a chunk at a time; return (sha256, size)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        out.write(chunk)
    return digest.hexdigest(), size


class IMediaStore(Interface):
    """Where uploaded originals and their derived copies live, addressed by content keys."""

    def put_stream(stream, suffix, new_keys=None):
        """Copy a file object in chunks; return (key, sha256, size). Keys are content addresses:
        only keys this call created are appended to `new_keys` (what a failed transaction deletes)."""

    def put_bytes(data, suffix, new_keys=None):
        """Store bytes; as put_stream."""

    def put_file(path, sha, suffix, new_keys=None):
        """Store a local file in `incoming_dir()` already hashed (a streamed upload); as put_stream. The
        file is gone afterwards (moved into place, or sent and removed)."""

    def open(key):
        """A binary file object reading the stored file (FileNotFoundError when there is none)."""

    def exists(key):
        """Whether a file is stored under `key`."""

    def delete(key):
        """Remove the file under `key`; nothing happens when there is none."""

    def copy_to(key, fileobj):
        """Write the stored file into a writable file object, a chunk at a time."""

    def response(request, key, content_type):
        """A response streaming the file under `key` with `content_type` (FileNotFoundError when
        there is none); callers set its caching and disposition."""

    def incoming_dir():
        """A local directory of this process for files being written (upload parts): on the store's
        own disk, so storing one is a rename; removed by the next sweep once the process is gone."""


@implementer(IMediaStore)
class LocalMediaStore:
    """Files under one directory, addressed by keys such as ``ab/cd/<sha256>.jpg``.

    Writes go to a temporary file in this process's incoming directory (media/incoming.py) and are
    renamed into place, so a crash never leaves half a file under a real key, and the next start-up
    removes the half it left."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        os.makedirs(self.root, exist_ok=True)
        self._incoming = None  # (directory, lock file), claimed on first use
        self._claiming = threading.Lock()

    def incoming_dir(self) -> str:
        with self._claiming:
            if self._incoming is None:
                self._incoming = incoming.claim(self.root)
            return self._incoming[0]

    def _path(self, key: str) -> str:
        path = os.path.abspath(os.path.join(self.root, key))
        if not path.startswith(self.root + os.sep):
            raise ValueError("media key escapes the store")
        return path

    def put_stream(self, stream, suffix: str, new_keys: list | None = None) -> tuple[str, str, int]:
        """Copy a file object in chunks; return (key, sha256, size). Keys are content addresses, so
        the same bytes may already be stored for another row: only keys this call created are
        appended to `new_keys` (what a failed transaction may delete again)."""
        fd, tmp = tempfile.mkstemp(dir=self.incoming_dir(), prefix="copy-")
        try:
            with os.fdopen(fd, "wb") as out:
                sha, size = hashed_copy(stream, out)
            key = content_key(sha, suffix)
            os.makedirs(os.path.dirname(self._path(key)), exist_ok=True)
            if new_keys is not None and not self.exists(key):
                new_keys.append(key)
            os.replace(tmp, self._path(key))
            return key, sha, size
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def put_file(self, path: str, sha: str, suffix: str, new_keys: list | None = None) -> tuple[str, str, int]:
        """Move a file already under this directory (a streamed upload, hashed as it arrived: see
        tips/upload_stream.py) into place instead of copying it; same result as put_stream."""
        key = content_key(sha, suffix)
        size = os.path.getsize(path)
        os.makedirs(os.path.dirname(self._path(key)), exist_ok=True)
        if new_keys is not None and not self.exists(key):
            new_keys.append(key)
        os.replace(path, self._path(key))
        return key, sha, size

    def put_bytes(self, data: bytes, suffix: str, new_keys: list | None = None) -> tuple[str, str, int]:
        return self.put_stream(io.BytesIO(data), suffix, new_keys)

    def open(self, key: str):
        return open(self._path(key), "rb")  # the caller closes it (a `with` block)

    def response(self, request, key: str, content_type: str):
        path = self._path(key)
        if not os.path.isfile(path):
            raise FileNotFoundError(key)
        return FileResponse(path, request=request, content_type=content_type)

    def exists(self, key: str) -> bool:
        return os.path.isfile(self._path(key))

    def delete(self, key: str) -> None:
        try:
            os.unlink(self._path(key))
        except FileNotFoundError:
            pass

    def copy_to(self, key: str, fileobj) -> None:
        with open(self._path(key), "rb") as src:
            shutil.copyfileobj(src, fileobj, CHUNK)
