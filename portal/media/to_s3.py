"""Copying the local media store into the bucket (portal-media-to-s3): every file under portal.media_dir
(not the incoming and resumable scratch directories) goes up under its own path as key, the key the S3
store reads it by. Idempotent: an object already there with the same size and SHA-256 is skipped; each
copied object is read back and hashed before it counts as copied."""
import hashlib
import os
from dataclasses import dataclass, field

from portal.media.storage import CHUNK


@dataclass
class CopyReport:
    copied: int = 0
    skipped: int = 0  # already in the bucket, same size and SHA-256
    copied_bytes: int = 0
    failed: list = field(default_factory=list)  # (key, a sentence)


def local_keys(root: str):
    """Keys (relative paths) of the stored files; dot directories and files are scratch, never media."""
    for directory, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                yield os.path.relpath(os.path.join(directory, name), root).replace(os.sep, "/")


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def object_sha256(store, key: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with store.open(key) as stored:
        while chunk := stored.read(CHUNK * 16):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def copy_to_bucket(root: str, store, progress=None) -> CopyReport:
    report = CopyReport()
    for key in local_keys(root):
        path = os.path.join(root, key)
        try:
            size, sha = os.path.getsize(path), file_sha256(path)
            if store.stored_size(key) == size and store.stored_sha256(key) == sha:
                report.skipped += 1
                continue
            store.upload(path, key, sha)
            if object_sha256(store, key) != (sha, size):
                report.failed.append((key, "the copy read back from the bucket differs from the file"))
                continue
        except Exception as error:  # noqa: BLE001 - one file's failure is reported, the others go on
            report.failed.append((key, type(error).__name__))
            continue
        report.copied += 1
        report.copied_bytes += size
        if progress is not None:
            progress(report)
    return report
