"""The bytes of resumable uploads in the media bucket (portal.media.backend = s3), so that any app
server takes any chunk of any upload and any server claims it with its form: each PATCH body is one
object `uploads/<id>/<offset>` (spooled to the local incoming directory as it arrives, then sent), and
`uploads/<id>/created` marks the upload's existence. The size is the sum of the parts; reading
concatenates them. Nothing locks one upload across servers: two PATCHes at once at the same offset
write the same part, the last one wins (a tus client sends one at a time, and only to its own upload)."""
import contextlib
import hashlib
import os
import tempfile

from portal.media.resumable.files import append
from portal.media.s3_store import unavailable_as_oserror
from portal.media.storage import CHUNK

PREFIX = "uploads/"
MARKER = "created"


class BucketUploadFiles:
    def __init__(self, store):
        self.store, self.client, self.bucket = store, store.client, store.bucket

    def _objects(self, upload_id: str) -> list[dict]:
        found = []
        with unavailable_as_oserror("list an upload"):
            for page in self.client.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=f"{PREFIX}{upload_id}/"):
                found.extend(page.get("Contents", []))
        return found

    def _parts(self, upload_id: str) -> list[tuple[int, str, int]]:
        """(offset, key, size) of each part, in order."""
        parts = []
        for item in self._objects(upload_id):
            name = item["Key"].rsplit("/", 1)[-1]
            if name.isdigit():
                parts.append((int(name), item["Key"], item["Size"]))
        return sorted(parts)

    def create(self, upload_id: str) -> None:
        with unavailable_as_oserror("start an upload"):
            self.client.put_object(Bucket=self.bucket, Key=f"{PREFIX}{upload_id}/{MARKER}", Body=b"")

    def size(self, upload_id: str) -> int | None:
        objects = self._objects(upload_id)
        if not objects:
            return None
        return sum(item["Size"] for item in objects if item["Key"].rsplit("/", 1)[-1].isdigit())

    @contextlib.contextmanager
    def writing(self, upload_id: str):
        current = self.size(upload_id)
        if current is None:
            raise FileNotFoundError(upload_id)
        yield BucketWriter(self, upload_id, current)

    def _stream(self, upload_id: str):
        for _offset, key, _size in self._parts(upload_id):
            with unavailable_as_oserror("read an upload"):
                body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
                try:
                    yield from body.iter_chunks(CHUNK)
                finally:
                    body.close()

    def head(self, upload_id: str, count: int) -> bytes:
        collected = bytearray()
        chunks = self._stream(upload_id)
        try:
            for chunk in chunks:
                collected += chunk
                if len(collected) >= count:
                    break
        finally:
            chunks.close()
        return bytes(collected[:count])

    def sha256(self, upload_id: str) -> str:
        digest = hashlib.sha256()
        for chunk in self._stream(upload_id):
            digest.update(chunk)
        return digest.hexdigest()

    def remove(self, upload_id: str) -> None:
        for item in self._objects(upload_id):
            with unavailable_as_oserror("delete an upload"):
                self.client.delete_object(Bucket=self.bucket, Key=item["Key"])

    def orphans(self, known: set, older_than: float, now: float) -> list[str]:
        found = set()
        with unavailable_as_oserror("list uploads"):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=PREFIX):
                for item in page.get("Contents", []):
                    upload_id = item["Key"][len(PREFIX):].split("/", 1)[0]
                    if upload_id not in known and now - item["LastModified"].timestamp() > older_than:
                        found.add(upload_id)
        return sorted(found)

    def local_copy(self, upload_id: str, incoming_dir: str):
        """The bytes fetched into `incoming_dir` (the form's checks read them, the store sends them up
        under their content key and removes the file): (the open file, its path)."""
        fd, target = tempfile.mkstemp(dir=incoming_dir, prefix="tus-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in self._stream(upload_id):
                    out.write(chunk)
        except BaseException:
            os.unlink(target)
            raise
        return open(target, "rb"), target  # noqa: SIM115 - the caller closes it


class BucketWriter:
    def __init__(self, files: BucketUploadFiles, upload_id: str, current: int):
        self.files, self.current = files, current
        self.key = f"{PREFIX}{upload_id}/{current:016d}"

    def write(self, read, most: int, hasher=None) -> int:
        """Spool what arrives (a body that ends early keeps what arrived), then send it as one part."""
        fd, spool = tempfile.mkstemp(dir=self.files.store.incoming_dir(), prefix="chunk-")
        try:
            with os.fdopen(fd, "w+b") as f:
                written = append(f, 0, read, most, hasher)
            if written:
                with unavailable_as_oserror("store a chunk"):
                    self.files.client.upload_file(spool, self.files.bucket, self.key)
            return written
        finally:
            os.unlink(spool)

    def undo(self) -> None:
        with unavailable_as_oserror("delete a chunk"):
            self.files.client.delete_object(Bucket=self.files.bucket, Key=self.key)
