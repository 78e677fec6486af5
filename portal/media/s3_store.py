"""Media in an S3-compatible bucket (portal.media.backend = s3): what lets several app servers share
the files. Same keys and same contract as LocalMediaStore (media/storage.py).

- The bucket is private. The portal reads it with its own credentials and streams each object to the
  client after its own authorization check (`response`, with byte ranges for players); it never hands
  out a presigned URL, and start-up refuses a bucket whose ACL or policy is public (`check`).
- Files being written stay local: a put is spooled to this process's incoming directory (on
  portal.media_dir, as with the local store) while it is hashed, because the key is the SHA-256 of the
  content; then it goes up in parts (multipart upload, a few parts in memory at most). A key already
  in the bucket is not sent again (same address, same bytes).
- Reads stream: `open` gives a seekable reader that fetches from the position asked (ranged GETs);
  `response` sends the object, or the range a player asks for, as it arrives.
- The secret key lives only in the boto3 client: never in this object's attributes, errors or logs."""
import contextlib
import io
import logging
import os
import tempfile
import threading

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pyramid.response import Response
from zope.interface import implementer

from portal.media import incoming
from portal.media.storage import CHUNK, IMediaStore, content_key, hashed_copy

log = logging.getLogger(__name__)

MB = 1024 * 1024
PART = 8 * MB
# Two parts in flight at most, each read from the local file as it is sent (not held whole).
TRANSFER = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART, max_concurrency=2)
NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
PUBLIC_GROUPS = ("http://acs.amazonaws.com/groups/global/AllUsers",
                 "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
SHA_META = "sha256"  # x-amz-meta-sha256 on every object: what portal-media-to-s3 compares


class ObjectStoreError(Exception):
    """The object store cannot be used as configured (a sentence without any secret)."""


class ObjectStoreUnavailable(OSError):
    """A request to the bucket failed (down, refused, timed out): an OSError, as a full or failing disk is
    to the local store, so every caller's handling of storage failures (a clear "please try again", a
    503, a retry by the worker) applies unchanged."""


@contextlib.contextmanager
def unavailable_as_oserror(action: str):
    try:
        yield
    except ClientError as error:
        if _missing(error):
            raise FileNotFoundError(f"no such file in the bucket ({action})") from None
        failure = f"the object store refused to {action}: {error.response.get('Error', {}).get('Code')}"
    except (BotoCoreError, Boto3Error) as error:
        failure = f"the object store could not {action}: {type(error).__name__}"
    else:
        return
    log.warning("%s", failure)  # what operators need; never a key, a file's key or a secret
    raise ObjectStoreUnavailable(failure)


def make_client(endpoint: str, region: str, access_key: str, secret_key: str):
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                    retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60,
                    # checksums only where S3 requires them: every S3-compatible server accepts that
                    request_checksum_calculation="when_required", response_checksum_validation="when_required")
    return boto3.client("s3", endpoint_url=endpoint or None, region_name=region or None,
                        aws_access_key_id=access_key, aws_secret_access_key=secret_key, config=config)


def _missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in NOT_FOUND


def check_key(key: str) -> str:
    parts = key.split("/") if isinstance(key, str) else [""]
    if not key or "\\" in key or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise ValueError("media key escapes the store")
    return key


@implementer(IMediaStore)
class S3MediaStore:
    """Objects in one private bucket, under the keys the local store would use as paths."""

    def __init__(self, client, bucket: str, scratch_dir: str, endpoint: str = ""):
        self.client, self.bucket, self.endpoint = client, bucket, endpoint
        self.scratch_dir = os.path.abspath(scratch_dir)  # incoming parts and resumable uploads, local
        os.makedirs(self.scratch_dir, exist_ok=True)
        self._incoming = None
        self._claiming = threading.Lock()

    def __repr__(self):
        return f"<S3MediaStore {self.endpoint} bucket={self.bucket}>"

    def check(self) -> None:
        """At start-up: the bucket answers to these credentials, and it is not public."""
        where = f"bucket {self.bucket!r} at {self.endpoint or 'AWS'}"
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code"))
            if code in NOT_FOUND or code == "NoSuchBucket":
                raise ObjectStoreError(f"the object store has no {where}: create it (private) first") from None
            if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                raise ObjectStoreError(f"the object store refused the credentials for {where} (check "
                                       "portal.media.s3.access_key and portal.media.s3.secret_key)") from None
            raise ObjectStoreError(f"the object store answered {code} for {where}") from None
        except BotoCoreError as error:
            raise ObjectStoreError(f"the object store cannot be reached for {where}: "
                                   f"{type(error).__name__}") from None
        self._refuse_public(where)

    def _refuse_public(self, where: str) -> None:
        try:
            grants = self.client.get_bucket_acl(Bucket=self.bucket).get("Grants", [])
        except ClientError:
            grants = []  # a server without ACLs: nothing is granted to everyone
        if any(g.get("Grantee", {}).get("URI") in PUBLIC_GROUPS for g in grants):
            raise ObjectStoreError(f"the {where} grants access to everyone (a public ACL): media must only be "
                                   "served through the portal; make the bucket private")
        try:
            public = self.client.get_bucket_policy_status(Bucket=self.bucket)["PolicyStatus"]["IsPublic"]
        except (ClientError, KeyError):
            public = False  # no policy (or none the server reports)
        if public:
            raise ObjectStoreError(f"the {where} has a public policy: media must only be served through the "
                                   "portal; remove it")

    def incoming_dir(self) -> str:
        with self._claiming:
            if self._incoming is None:
                self._incoming = incoming.claim(self.scratch_dir)
            return self._incoming[0]

    def _head(self, key: str) -> dict:
        with unavailable_as_oserror("look up a file"):
            return self.client.head_object(Bucket=self.bucket, Key=check_key(key))

    def stored_size(self, key: str) -> int | None:
        """The object's size, or None when there is none."""
        try:
            return self._head(key)["ContentLength"]
        except FileNotFoundError:
            return None

    def stored_sha256(self, key: str) -> str | None:
        """The SHA-256 the portal recorded when it stored the object (None: not recorded, or no object)."""
        try:
            return self._head(key).get("Metadata", {}).get(SHA_META)
        except FileNotFoundError:
            return None

    def upload(self, path: str, key: str, sha: str) -> None:
        """Send a local file under `key`, in parts when it is large."""
        with unavailable_as_oserror("store a file"):
            self.client.upload_file(path, self.bucket, check_key(key), Config=TRANSFER,
                                    ExtraArgs={"Metadata": {SHA_META: sha}})

    def put_file(self, path: str, sha: str, suffix: str, new_keys: list | None = None) -> tuple[str, str, int]:
        """Send a local file already hashed (a streamed upload in the incoming directory), then remove it."""
        key = content_key(sha, suffix)
        try:
            size = os.path.getsize(path)
            if self.stored_size(key) != size:
                self.upload(path, key, sha)
                if new_keys is not None:
                    new_keys.append(key)
            return key, sha, size
        finally:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    def put_stream(self, stream, suffix: str, new_keys: list | None = None) -> tuple[str, str, int]:
        fd, tmp = tempfile.mkstemp(dir=self.incoming_dir(), prefix="copy-")
        try:
            with os.fdopen(fd, "wb") as out:
                sha, _size = hashed_copy(stream, out)
        except BaseException:
            os.unlink(tmp)
            raise
        return self.put_file(tmp, sha, suffix, new_keys)

    def put_bytes(self, data: bytes, suffix: str, new_keys: list | None = None) -> tuple[str, str, int]:
        return self.put_stream(io.BytesIO(data), suffix, new_keys)

    def open(self, key: str):
        size = self._head(key)["ContentLength"]
        return io.BufferedReader(ObjectReader(self.client, self.bucket, key, size), CHUNK)

    def exists(self, key: str) -> bool:
        return self.stored_size(key) is not None

    def delete(self, key: str) -> None:
        with unavailable_as_oserror("delete a file"):
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))  # none there: no error either

    def copy_to(self, key: str, fileobj) -> None:
        with self.open(key) as src:
            while chunk := src.read(CHUNK):
                fileobj.write(chunk)

    def response(self, request, key: str, content_type: str):
        """The object streamed from the bucket; a Range asks the bucket for those bytes only."""
        head = self._head(key)
        response = Response(content_type=content_type, conditional_response=True, accept_ranges="bytes")
        response.last_modified = head.get("LastModified")
        response.app_iter = ObjectIter(self.client, self.bucket, key, 0, head["ContentLength"])
        response.content_length = head["ContentLength"]  # after app_iter, as FileResponse does
        return response


class ObjectReader(io.RawIOBase):
    """A seekable reader of one object: a GET from the current position, opened at the first read after
    a seek (so seeking costs nothing until bytes are wanted)."""

    def __init__(self, client, bucket: str, key: str, size: int):
        super().__init__()
        self._client, self._bucket, self._key, self._size = client, bucket, key, size
        self._pos, self._body = 0, None

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        target = max(base + offset, 0)
        if target != self._pos:
            self._drop()
            self._pos = target
        return self._pos

    def readinto(self, buffer) -> int:
        if self._pos >= self._size:
            return 0
        with unavailable_as_oserror("read a file"):
            if self._body is None:
                self._body = self._client.get_object(Bucket=self._bucket, Key=self._key,
                                                     Range=f"bytes={self._pos}-")["Body"]
            data = self._body.read(min(len(buffer), self._size - self._pos))
        if not data:
            raise OSError("the object store ended the object early")
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def _drop(self):
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self):
        self._drop()
        super().close()


class ObjectIter:
    """A response body: bytes [start, stop) of an object, fetched when the server iterates it (never for a
    HEAD or a 304); `app_iter_range` is how WebOb answers a Range with a ranged GET of its own."""

    def __init__(self, client, bucket: str, key: str, start: int, stop: int):
        self._client, self._bucket, self._key, self._start, self._stop = client, bucket, key, start, stop
        self._body = None

    def app_iter_range(self, start: int, stop: int):
        return ObjectIter(self._client, self._bucket, self._key, self._start + start,
                          min(self._start + stop, self._stop))

    def __iter__(self):
        if self._stop <= self._start:
            return
        with unavailable_as_oserror("read a file"):
            self._body = self._client.get_object(Bucket=self._bucket, Key=self._key,
                                                 Range=f"bytes={self._start}-{self._stop - 1}")["Body"]
            yield from self._body.iter_chunks(CHUNK)

    def close(self):
        if self._body is not None:
            self._body.close()
            self._body = None
