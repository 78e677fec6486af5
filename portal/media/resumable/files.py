"""The bytes of resumable uploads: one file per upload, `<media_dir>/.resumable/<id>`, on the media
store's disk (a claimed upload is hard-linked into the store, never copied). Unlike the per-process
incoming directories (media/incoming.py) these outlive the process that wrote them and are shared
by every app server on the disk: the rows say which exist, the worker removes expired ones.

A PATCH holds an exclusive lock on its file (flock) while it appends: a second PATCH to the same
upload at once is refused (409) rather than interleaved. The file's size is the offset: bytes that
reached the disk count even if the request failed afterwards (that is what resuming means).

LocalUploadFiles (below) puts these functions behind the methods service.py calls; with the media in a
bucket, resumable/bucket.py implements the same methods there."""
import contextlib
import hashlib
import logging
import os

try:
    import fcntl
except ImportError:  # not on Linux: a single server only
    fcntl = None

log = logging.getLogger(__name__)

RESUMABLE = ".resumable"
CHUNK = 64 * 1024  # how much of a PATCH body is in memory at once


class Busy(Exception):
    """Another request is writing this upload."""


def directory(media_dir: str) -> str:
    return os.path.join(media_dir, RESUMABLE)


def path(media_dir: str, upload_id: str) -> str:
    return os.path.join(directory(media_dir), upload_id)  # ids are [A-Za-z0-9_-]{43}: never a path


def create(media_dir: str, upload_id: str) -> None:
    os.makedirs(directory(media_dir), mode=0o700, exist_ok=True)
    with open(path(media_dir, upload_id), "xb"):
        pass


def size(file_path: str) -> int | None:
    try:
        return os.path.getsize(file_path)
    except FileNotFoundError:
        return None


def remove(file_path: str) -> None:
    try:
        os.unlink(file_path)
    except FileNotFoundError:
        pass
    except OSError as exc:  # left for the worker's sweep of files without a row
        log.error("could not remove a resumable upload: %s", type(exc).__name__)


@contextlib.contextmanager
def locked(file_path: str):
    """The upload's file open for appending, locked against other writers (Busy if it is not free)."""
    f = open(file_path, "r+b")  # noqa: SIM115 - closed below
    try:
        if fcntl is not None:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise Busy() from None
        yield f
    finally:
        f.close()


def append(f, start: int, read, most: int, hasher=None) -> int:
    """Copy at most `most` bytes from `read(n)` to the file at `start`, a chunk at a time; return how
    many. A body that ends early keeps what arrived. Bytes beyond `most` are left unread."""
    f.seek(start)
    f.truncate()
    written = 0
    while written < most:
        try:
            chunk = read(min(CHUNK, most - written))
        except (OSError, ValueError) as exc:  # the client went away (the server had not spooled it all)
            log.info("resumable chunk interrupted: %s", type(exc).__name__)
            break
        if not chunk:
            break
        f.write(chunk)
        if hasher is not None:
            hasher.update(chunk)
        written += len(chunk)
    f.flush()
    os.fsync(f.fileno())
    return written


def head(file_path: str, count: int) -> bytes:
    with open(file_path, "rb") as f:
        return f.read(count)


def sha256(file_path: str) -> str:
    digest = hashlib.sha256()
    with open(file_path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def orphans(media_dir: str, known: set, older_than: float, now: float) -> list[str]:
    """Files without a row (a creation whose transaction failed, a row removed while its file could not
    be), once older than `older_than` seconds: a creation in progress has its row within a second."""
    root = directory(media_dir)
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        full = os.path.join(root, name)
        try:
            if name not in known and now - os.path.getmtime(full) > older_than:
                found.append(full)
        except FileNotFoundError:
            continue
    return found


class LocalUploadFiles:
    """The uploads' bytes on this machine's disk (`<media_dir>/.resumable/<id>`): the local media store,
    or several servers sharing that directory. The bucket's counterpart is resumable/bucket.py."""

    def __init__(self, media_dir: str):
        self.media_dir = media_dir

    def create(self, upload_id: str) -> None:
        create(self.media_dir, upload_id)

    def size(self, upload_id: str) -> int | None:
        return size(path(self.media_dir, upload_id))

    @contextlib.contextmanager
    def writing(self, upload_id: str):
        """A writer at the upload's end, alone (Busy when another request holds it)."""
        file_path = path(self.media_dir, upload_id)
        with locked(file_path) as f:
            yield LocalWriter(f, size(file_path))

    def head(self, upload_id: str, count: int) -> bytes:
        return head(path(self.media_dir, upload_id), count)

    def sha256(self, upload_id: str) -> str:
        return sha256(path(self.media_dir, upload_id))

    def remove(self, upload_id: str) -> None:
        remove(path(self.media_dir, upload_id))

    def orphans(self, known: set, older_than: float, now: float) -> list[str]:
        return [os.path.basename(p) for p in orphans(self.media_dir, known, older_than, now)]

    def local_copy(self, upload_id: str, incoming_dir: str):
        """(an open file of the bytes, a second name of it in `incoming_dir` for the store to move into
        place, or None when the disk cannot link: the store copies from the open file instead)."""
        source = path(self.media_dir, upload_id)
        opened = open(source, "rb")  # noqa: SIM115 - the caller closes it
        target = os.path.join(incoming_dir, "tus-" + os.urandom(8).hex())
        try:
            os.link(source, target)
        except (OSError, AttributeError):
            return opened, None
        return opened, target


class LocalWriter:
    def __init__(self, f, current: int):
        self.f, self.current = f, current

    def write(self, read, most: int, hasher=None) -> int:
        return append(self.f, self.current, read, most, hasher)

    def undo(self) -> None:
        self.f.truncate(self.current)
