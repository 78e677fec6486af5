"""Check the audit log against the audit key and the checkpoints, and name what was done to it.

Every row is read once, in id order (in batches, so the log can be any size). A row is *sealed* when
its hash is the HMAC of its content under the key it names. What a row or a gap means:

- edited: the seal matches neither the content nor any plain hash (a field was changed in place);
- recomputed: the hash is a plain SHA-256 of the content, which anyone can compute: the row was
  rewritten and re-hashed without the key (and so, usually, is every row after it);
- inserted: a row the chain goes past: unsealed, and the next sealed event links to the event
  before it; or a copy of a sealed event at a position the chain has already passed;
- deleted: a sealed event whose position is further on than the next one expected;
- truncated: a checkpoint (written outside the database) recorded a head event that is gone, or a
  head whose hash differs: rows were cut from the end (and maybe written again);
- also: a row sealed with a key id that is not configured (unknown-key), a sealed event that does not
  link to the one before it (broken-link), a checkpoint line that is not signed with the key or cannot
  be read (bad-checkpoint), a configured checkpoint file that is missing (no-checkpoint)."""
import os
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.audit import checkpoints as cp
from portal.audit.chain import GENESIS, plain_hashes, sealed_message
from portal.audit.keys import AuditKeyring
from portal.audit.models import AuditEvent

SEALED, EDITED, RECOMPUTED, UNKNOWN_KEY = "sealed", "edited", "recomputed", "unknown-key"
INSERTED, DELETED, TRUNCATED, BROKEN_LINK = "inserted", "deleted", "truncated", "broken-link"
BAD_CHECKPOINT, NO_CHECKPOINT = "bad-checkpoint", "no-checkpoint"

_WHY = {
    EDITED: "content does not match its seal (a field was changed)",
    RECOMPUTED: "carries a plain SHA-256 anyone can compute, not a seal made with the audit key "
                "(rewritten and re-hashed, or added, by someone without the key)",
    UNKNOWN_KEY: "sealed with a key id that is not configured in portal.audit_key",
}


def span(first_id: int, last_id: int, count: int) -> str:
    return f"event {first_id}" if count == 1 else f"events {first_id}-{last_id} ({count} rows)"


@dataclass
class Finding:
    kind: str
    detail: str
    event_ids: tuple[int, int] | None = None  # first and last id concerned, when rows are concerned

    def line(self) -> str:
        return f"{self.kind.upper():<15}{self.detail}"


@dataclass
class _Range:
    status: str
    first_id: int
    last_id: int
    count: int = 1


@dataclass
class Report:
    rows: int = 0
    chain_length: int = 0
    head_id: int = 0
    key_ids: set = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    checkpoints: int = 0
    newest: cp.Checkpoint | None = None
    sealed_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings

    def kinds(self) -> set[str]:
        return {f.kind for f in self.findings}

    def add(self, kind, detail, first_id=None, last_id=None):
        ids = (first_id, last_id if last_id is not None else first_id) if first_id is not None else None
        self.findings.append(Finding(kind, detail, ids))


class _Walk:
    """One pass over the rows; unsealed rows wait in a run until the next sealed row says what they are."""

    def __init__(self, keyring: AuditKeyring, heads: dict, report: Report):
        self.keyring, self.heads, self.report = keyring, heads, report
        self.expected_prev, self.expected_seq = GENESIS, 1
        self.last_id = 0  # the last row accepted into the chain
        self.previous_flagged = False
        self.run: list[_Range] = []
        self.run_prev = self.run_last_hash = ""
        self.run_rows = 0
        self.gaps: list[tuple[int, int]] = []  # (after id, before id) of deleted stretches
        self.seen_heads: set[int] = set()

    def status(self, event: AuditEvent) -> str:
        if self.keyring.knows(event.key_id) and self.keyring.matches(event.key_id, sealed_message(event), event.hash):
            return SEALED
        if event.hash in plain_hashes(event):
            return RECOMPUTED
        return EDITED if self.keyring.knows(event.key_id) else UNKNOWN_KEY

    def row(self, event: AuditEvent) -> None:
        report = self.report
        report.rows += 1
        report.key_ids.add(event.key_id)
        if event.id in self.heads:
            self.seen_heads.add(event.id)
        for checkpoint in self.heads.get(event.id, ()):
            if checkpoint.head_hash != event.hash:
                report.add(TRUNCATED, f"event {event.id} is not the head the checkpoint of {checkpoint.at} recorded "
                           f"({checkpoint.count} events): the log was cut back there or rewritten", event.id)
        status = self.status(event)
        if status != SEALED:
            if not self.run:
                self.run_prev = self.expected_prev
            if self.run and self.run[-1].status == status:
                self.run[-1].last_id, self.run[-1].count = event.id, self.run[-1].count + 1
            else:
                self.run.append(_Range(status, event.id, event.id))
            self.run_last_hash, self.run_rows = event.hash, self.run_rows + 1
            return
        report.sealed_rows += 1
        if self.run:
            self.close_run(event)
        self.sealed(event)

    def close_run(self, following: AuditEvent | None) -> None:
        """Rows the next sealed event links past were inserted; otherwise they are originals changed."""
        report = self.report
        skipped = following is not None and following.prev_hash == self.run_prev and following.seq == self.expected_seq
        for part in self.run:
            where = span(part.first_id, part.last_id, part.count)
            if skipped:
                report.add(INSERTED, f"{where}: not sealed with the audit key, and event {following.id} links "
                           f"past it to event {self.last_id or 'none (the start)'}", part.first_id, part.last_id)
            else:
                report.add(part.status, f"{where}: {_WHY[part.status]}", part.first_id, part.last_id)
        if not skipped:
            self.expected_prev, self.expected_seq = self.run_last_hash, self.expected_seq + self.run_rows
            self.last_id, self.previous_flagged = self.run[-1].last_id, True
            self.report.chain_length += self.run_rows
        self.run, self.run_rows = [], 0

    def sealed(self, event: AuditEvent) -> None:
        report = self.report
        if event.seq < self.expected_seq:
            report.add(INSERTED, f"event {event.id}: a copy of sealed event number {event.seq}, a position the "
                       f"chain had already passed", event.id)
            return
        if event.seq > self.expected_seq:
            missing = event.seq - self.expected_seq
            where = (f"position {self.expected_seq}" if missing == 1
                     else f"positions {self.expected_seq}-{event.seq - 1}")
            report.add(DELETED, f"{missing} event(s) ({where} of the chain) removed between event "
                       f"{self.last_id or '(the start)'} and event {event.id}", event.id)
            self.gaps.append((self.last_id, event.id))
        elif event.prev_hash != self.expected_prev and not self.previous_flagged:
            report.add(BROKEN_LINK, f"event {event.id} does not link to event {self.last_id} before it", event.id)
        self.expected_prev, self.expected_seq = event.hash, event.seq + 1
        self.last_id, self.previous_flagged = event.id, False
        report.chain_length = event.seq

    def finish(self) -> None:
        if self.run:
            self.close_run(None)
        report = self.report
        seen_up_to = report.head_id
        for head_id, found in sorted(self.heads.items()):
            if head_id in self.seen_heads:
                continue
            checkpoint = found[0]
            if head_id > seen_up_to:
                report.add(TRUNCATED, f"the checkpoint of {checkpoint.at} counted {checkpoint.count} events up to "
                           f"event {head_id}; the log now ends at event {seen_up_to or '(none)'} (chain position "
                           f"{report.chain_length}): rows were cut from its end")
            elif not any(after < head_id < before for after, before in self.gaps):
                report.add(TRUNCATED, f"event {head_id}, the head the checkpoint of {checkpoint.at} recorded, is gone "
                           f"although the chain runs on unbroken: the log was cut back and written on")


def load_checkpoints(keyring: AuditKeyring, paths, report: Report) -> dict[int, list[cp.Checkpoint]]:
    """Every signed checkpoint of the files, by head id (repeats of one head kept once)."""
    heads: dict[int, list[cp.Checkpoint]] = {}
    for path in paths:
        if not os.path.exists(path):
            report.add(NO_CHECKPOINT, f"checkpoint file {path} does not exist")
            continue
        for number, text in cp.read_lines(path):
            try:
                checkpoint = cp.parse(text)
            except cp.UnreadableCheckpoint as exc:
                report.add(BAD_CHECKPOINT, f"{path} line {number} cannot be read ({exc})")
                continue
            if not checkpoint.signed_by(keyring):
                report.add(BAD_CHECKPOINT, f"{path} line {number} is not signed with the audit key "
                           f"(key id {checkpoint.key_id!r}): forged or damaged")
                continue
            report.checkpoints += 1
            if report.newest is None or checkpoint.at >= report.newest.at:
                report.newest = checkpoint
            if checkpoint.head_id == 0:
                continue  # the empty log: anything extends it
            same = heads.setdefault(checkpoint.head_id, [])
            if not any(c.head_hash == checkpoint.head_hash and c.count == checkpoint.count for c in same):
                same.append(checkpoint)
    return heads


def verify(dbsession, keyring: AuditKeyring, checkpoint_paths=(), batch: int = 1000) -> Report:
    report = Report()
    heads = load_checkpoints(keyring, checkpoint_paths, report)
    walk = _Walk(keyring, heads, report)
    last_id = 0
    while True:
        rows = dbsession.execute(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for event in rows:
            walk.row(event)
            last_id = report.head_id = event.id
        dbsession.expunge_all()
    walk.finish()
    return report


def summary(report: Report, checkpoint_paths) -> list[str]:
    """What `portal-audit-verify` prints."""
    lines = [f"audit log: {report.rows} rows, chain positions 1-{report.chain_length}, key ids "
             f"{', '.join(sorted(k for k in report.key_ids)) or '-'}"]
    if report.newest is not None:
        after = max(report.chain_length - report.newest.count, 0)
        lines.append(f"checkpoints: {report.checkpoints} signed in {', '.join(checkpoint_paths)}; newest "
                     f"{report.newest.at} ({report.newest.count} events, head event {report.newest.head_id}); "
                     f"{after} event(s) written after it are not anchored yet")
    elif not checkpoint_paths:
        lines.append("WARNING: no checkpoint file given (portal.audit.checkpoint_file or --checkpoints): "
                     "rows deleted from the end of the log cannot be detected")
    else:
        lines.append(f"WARNING: no signed checkpoint in {', '.join(checkpoint_paths)}")
    if report.ok:
        lines.append(f"OK: {report.rows} audit events, every one sealed with the audit key and linked in order, "
                     f"consistent with {report.checkpoints} checkpoint(s)")
        return lines
    lines.append(f"FOUND {len(report.findings)} problem(s):")
    lines.extend("  " + finding.line() for finding in report.findings)
    if report.rows and not report.sealed_rows:
        lines.append("No event at all is sealed with the configured key: is portal.audit_key (or $PORTAL_AUDIT_KEY) "
                     "the key the log was written with?")
    return lines
