"""Signed checkpoints of the audit chain, kept outside the database.

A checkpoint says: at this time the chain held `count` events and its newest was `head_id` with the
seal `head_hash`; its `mac` (HMAC-SHA256 under the audit key) covers all of that. The worker writes
one every `portal.audit.checkpoint_seconds` (audit/jobs.py) to every registered `ICheckpointSink`:
the append-only file `portal.audit.checkpoint_file` (one JSON line each, fsynced), and the outbox
for a remote collector when `portal.audit.checkpoint_outbox_to` is set (outbox/audit_sink.py). A
database writer can delete the newest events and nothing in the database shows it; a checkpoint
written before does (`portal-audit-verify`)."""
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime

from zope.interface import Interface, implementer

from portal.audit.keys import AuditKeyring

CHECKPOINT_DOMAIN = "portal.audit.checkpoint/1"
VERSION = 1


class ICheckpointSink(Interface):
    """Somewhere outside the database that keeps checkpoints and that a database writer cannot change.
    Register one as a named utility; the checkpoint job writes to every one registered."""

    def write(request, line):
        """Append one checkpoint (a JSON line without its newline); raise if it was not kept."""


@dataclass(frozen=True)
class Checkpoint:
    at: str  # ISO 8601, UTC
    count: int
    head_id: int
    head_hash: str
    key_id: str
    mac: str = ""
    v: int = VERSION

    def message(self) -> bytes:
        values = [CHECKPOINT_DOMAIN, self.v, self.at, self.count, self.head_id, self.head_hash, self.key_id]
        return json.dumps(values, separators=(",", ":")).encode("utf-8")

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    def signed_by(self, keyring: AuditKeyring) -> bool:
        return keyring.matches(self.key_id, self.message(), self.mac)


def make(keyring: AuditKeyring, *, count: int, head_id: int, head_hash: str, at: datetime) -> Checkpoint:
    unsigned = Checkpoint(at=at.isoformat(timespec="seconds"), count=count, head_id=head_id,
                          head_hash=head_hash, key_id=keyring.current_id)
    return Checkpoint(**{**asdict(unsigned), "mac": keyring.mac(unsigned.key_id, unsigned.message())})


class UnreadableCheckpoint(ValueError):
    pass


def parse(line: str) -> Checkpoint:
    try:
        data = json.loads(line)
        checkpoint = Checkpoint(at=str(data["at"]), count=int(data["count"]), head_id=int(data["head_id"]),
                                head_hash=str(data["head_hash"]), key_id=str(data["key_id"]),
                                mac=str(data["mac"]), v=int(data.get("v", VERSION)))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise UnreadableCheckpoint(str(exc)) from None
    if checkpoint.v != VERSION:
        raise UnreadableCheckpoint(f"unknown checkpoint version {checkpoint.v}")
    return checkpoint


def read_lines(path: str):
    """(line number, text) of every non-empty line of a checkpoint file."""
    with open(path, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line.strip()


@implementer(ICheckpointSink)
class FileCheckpointSink:
    """Appends to a file: opened in append mode for each line, flushed and fsynced before returning.
    Point it at storage the database's administrators cannot write (another host's mount, a file
    made append-only with `chattr +a`, a log shipper's input)."""

    def __init__(self, path: str):
        self.path = path

    def write(self, request, line: str) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            # A line cut short by a crash must not swallow the next one.
            size = os.fstat(fd).st_size
            prefix = b"" if size == 0 or _ends_with_newline(self.path, size) else b"\n"
            os.write(fd, prefix + line.encode("utf-8") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)


def _ends_with_newline(path: str, size: int) -> bool:
    with open(path, "rb") as existing:
        existing.seek(size - 1)
        return existing.read(1) == b"\n"
