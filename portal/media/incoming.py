"""Files being written: upload parts as they stream in (tips/upload_stream.py) and copies on their way
into the store. They hold reporters' media unencrypted, so none may outlive the process writing it.

Each process writes into a directory of its own, `<media_dir>/.incoming/<id>/`, and holds an
exclusive lock on `<media_dir>/.incoming/<id>.lock` while it lives; the kernel drops the lock when the
process dies, however it dies. A sweep removes the directory of every lock it can take (its owner is
gone), and loose files an older layout left; it never touches a living process's files, except, in the
worker's periodic sweep, files older than `portal.upload.stale_minutes` (longer than any upload or
store can take), for a disk where locks do not hold (some network file systems)."""
import logging
import os
import secrets
import shutil
import time

try:
    import fcntl
except ImportError:  # not on Linux: only the age rule applies
    fcntl = None

log = logging.getLogger(__name__)

INCOMING = ".incoming"
LOCK_SUFFIX = ".lock"
OLD_TEMP_PREFIX = ".incoming-"  # what the store wrote beside its files before this layout
STALE_SETTING = "portal.upload.stale_minutes"


def incoming_root(media_dir: str) -> str:
    return os.path.join(media_dir, INCOMING)


def _try_lock(fd) -> bool:
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def claim(media_dir: str) -> tuple[str, object]:
    """A directory for this process's files being written, and the open lock file that keeps it
    (close it, or let the process end, and the next sweep removes the directory)."""
    root = incoming_root(media_dir)
    os.makedirs(root, exist_ok=True)
    while True:
        name = secrets.token_hex(8)
        lock_path = os.path.join(root, name + LOCK_SUFFIX)
        lock = open(lock_path, "a+b")  # noqa: SIM115 - held open for the directory's lifetime
        _try_lock(lock.fileno())
        try:  # a sweep may have removed the file between our open and our lock: start again
            if os.stat(lock_path).st_ino == os.fstat(lock.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        lock.close()
    directory = os.path.join(root, name)
    os.makedirs(directory, exist_ok=True)
    return directory, lock


def _remove(path: str) -> int:
    """Remove a file or a directory tree; return how many files went."""
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            count = sum(len(files) for _root, _dirs, files in os.walk(path))
            shutil.rmtree(path, ignore_errors=True)
            return count
        os.unlink(path)
        return 1
    except FileNotFoundError:
        return 0
    except OSError as exc:
        log.error("could not remove a partial upload: %s", type(exc).__name__)
        return 0


def _remove_older(directory: str, cutoff: float) -> int:
    removed = 0
    for entry in os.scandir(directory):
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                removed += _remove(entry.path)
        except OSError:
            pass
    return removed


def sweep(media_dir: str, stale_seconds: float | None = None) -> int:
    """Remove what dead processes were writing (and, with `stale_seconds`, anything older than that);
    return how many files went. Living processes' directories stay."""
    root = incoming_root(media_dir)
    if not os.path.isdir(root):
        return 0
    removed = 0
    for entry in os.scandir(root):
        if entry.name.endswith(LOCK_SUFFIX):
            removed += _sweep_owner(root, entry.name[:-len(LOCK_SUFFIX)], stale_seconds)
        elif entry.is_dir(follow_symlinks=False):
            if not os.path.exists(os.path.join(root, entry.name + LOCK_SUFFIX)):
                removed += _remove(entry.path)  # nobody holds it: left by a sweep that was interrupted
        else:  # a part written directly under .incoming (the layout before per-process directories)
            removed += _remove(entry.path)
    # Copies the store once wrote beside its files, before writing into its own directory.
    for entry in os.scandir(media_dir):
        if entry.name.startswith(OLD_TEMP_PREFIX) and entry.is_file(follow_symlinks=False):
            removed += _remove(entry.path)
    if removed:
        log.info("removed %s partial upload file(s)", removed)
    return removed


def _sweep_owner(root: str, name: str, stale_seconds: float | None) -> int:
    lock_path, directory = os.path.join(root, name + LOCK_SUFFIX), os.path.join(root, name)
    try:
        lock = open(lock_path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        return 0
    with lock:
        if _try_lock(lock.fileno()):  # its owner is gone: everything it was writing goes
            removed = _remove(directory) if os.path.isdir(directory) else 0
            _remove(lock_path)
            return removed
    if stale_seconds is not None and os.path.isdir(directory):
        return _remove_older(directory, time.time() - stale_seconds)
    return 0

