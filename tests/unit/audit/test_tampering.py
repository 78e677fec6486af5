"""Issue 10, finding 7: someone who can write the database but holds neither the audit key nor write
access to the checkpoint file tampers with the log in each way; verify names what was done, with the
row ids. On SQLite and PostgreSQL (the dbsession fixture)."""
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from portal.audit import chain as audit
from portal.audit import checkpoints, keys
from portal.audit.models import AuditEvent
from portal.audit.verify import summary, verify
from portal.core.meta import utcnow
from tests.conftest import TEST_AUDIT_KEY

KEYRING = keys.parse(TEST_AUDIT_KEY)


@pytest.fixture
def log(dbsession):
    """Six events, as the application writes them."""
    return [audit.append(dbsession, f"step.{i}", actor="system", object_type="tip", object_id=i, reason=f"r{i}")
            .id for i in range(6)]


def checkpoint_now(dbsession, path):
    """What the worker's job writes: a signed checkpoint of the current head, to the file."""
    head = dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    line = checkpoints.make(KEYRING, count=head.seq, head_id=head.id, head_hash=head.hash, at=utcnow()).line()
    checkpoints.FileCheckpointSink(str(path)).write(None, line)
    return str(path)


def check(dbsession, paths=()):
    dbsession.expire_all()
    return verify(dbsession, KEYRING, paths)


def ids_of(report, kind):
    return [f.event_ids for f in report.findings if f.kind == kind]


def test_an_untouched_log_passes_with_its_checkpoint(dbsession, log, tmp_path):
    path = checkpoint_now(dbsession, tmp_path / "cp.jsonl")
    report = check(dbsession, [path])
    assert report.ok and report.checkpoints == 1
    assert summary(report, [path])[-1].startswith("OK: 6 audit events")


def test_an_edited_field_is_named_edited(dbsession, log):
    dbsession.execute(update(AuditEvent).where(AuditEvent.id == log[2]).values(reason="nothing happened"))
    report = check(dbsession)
    assert report.kinds() == {"edited"} and ids_of(report, "edited") == [(log[2], log[2])]


def rehash_from(dbsession, first_id, plain):
    """Rewrite the chain from first_id on with a hash anyone can compute, as the old verifier wanted."""
    prev = dbsession.execute(select(AuditEvent.hash).where(AuditEvent.id < first_id)
                             .order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    for event in dbsession.execute(select(AuditEvent).where(AuditEvent.id >= first_id)
                                   .order_by(AuditEvent.id)).scalars().all():
        event.prev_hash = prev
        event.hash = plain(event)
        prev = event.hash
        dbsession.flush()


@pytest.mark.parametrize("plain", [audit.legacy_hash, lambda e: hashlib.sha256(audit.sealed_message(e)).hexdigest()],
                         ids=["old-sha256", "sha256-of-the-sealed-message"])
def test_an_edited_row_with_recomputed_hashes_is_named_recomputed(dbsession, log, plain):
    dbsession.execute(update(AuditEvent).where(AuditEvent.id == log[2]).values(reason="nothing happened"))
    dbsession.expire_all()
    rehash_from(dbsession, log[2], plain)
    report = check(dbsession)
    assert report.kinds() == {"recomputed"} and ids_of(report, "recomputed") == [(log[2], log[-1])]
    assert "RECOMPUTED" in "\n".join(summary(report, []))


def test_an_inserted_row_is_named_inserted(dbsession, log):
    # Make room in the ids (PostgreSQL leaves gaps anyway) and slip a row in between the third and fourth.
    moved = dbsession.execute(select(AuditEvent.id).where(AuditEvent.id > log[2]).order_by(AuditEvent.id.desc())
                              ).scalars().all()
    for event_id in moved:
        dbsession.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(id=event_id + 10))
    forged = {"id": log[2] + 1, "seq": 1000, "key_id": "t1", "at": utcnow() - timedelta(hours=1), "officer_id": None,
              "actor": "officer:someone", "ip": "", "action": "tip.closed", "object_type": "tip", "object_id": "9",
              "from_state": "assigned", "to_state": "closed", "reason": "dealt with", "prev_hash": "f" * 64}
    event = AuditEvent(**forged)
    dbsession.execute(insert(AuditEvent).values(**forged, hash=audit.legacy_hash(event)))
    report = check(dbsession)
    assert report.kinds() == {"inserted"} and ids_of(report, "inserted") == [(log[2] + 1, log[2] + 1)]


def test_a_deleted_middle_row_is_named_deleted(dbsession, log):
    dbsession.execute(delete(AuditEvent).where(AuditEvent.id == log[3]))
    report = check(dbsession)
    assert report.kinds() == {"deleted"} and ids_of(report, "deleted") == [(log[4], log[4])]
    finding = report.findings[0].detail
    assert f"between event {log[2]} and event {log[4]}" in finding and "1 event(s) (position 4" in finding


def test_newest_rows_deleted_after_a_checkpoint_are_named_truncated(dbsession, log, tmp_path):
    path = checkpoint_now(dbsession, tmp_path / "cp.jsonl")
    dbsession.execute(delete(AuditEvent).where(AuditEvent.id >= log[4]))
    report = check(dbsession, [path])
    assert report.kinds() == {"truncated"}
    assert f"up to event {log[5]}; the log now ends at event {log[3]} (chain position 4)" in report.findings[0].detail
    assert check(dbsession).ok  # without the checkpoint nothing in the database shows it


def test_newest_rows_deleted_and_the_log_written_on_are_named_truncated(dbsession, log, tmp_path):
    path = checkpoint_now(dbsession, tmp_path / "cp.jsonl")
    dbsession.execute(delete(AuditEvent).where(AuditEvent.id >= log[4]))
    dbsession.expire_all()
    for i in range(3):  # the application goes on appending after the cut: a chain that looks whole
        audit.append(dbsession, f"later.{i}", actor="system")
    report = check(dbsession, [path])
    assert report.kinds() == {"truncated"}
    assert check(dbsession).ok


def test_a_forged_checkpoint_line_is_named(dbsession, log, tmp_path):
    path = checkpoint_now(dbsession, tmp_path / "cp.jsonl")
    head = dbsession.execute(select(AuditEvent).where(AuditEvent.id == log[1])).scalar_one()
    wrong = keys.parse("t1:not-the-audit-key-0123456789abcdef0123456789")
    forged = checkpoints.make(wrong, count=head.seq, head_id=head.id, head_hash=head.hash, at=utcnow()).line()
    with open(path, "a") as sink:
        sink.write(forged + "\n{not json\n")
    report = check(dbsession, [path])
    assert [f.kind for f in report.findings] == ["bad-checkpoint", "bad-checkpoint"]
    assert "line 2 is not signed" in report.findings[0].detail and "line 3" in report.findings[1].detail


def test_a_missing_checkpoint_file_is_named(dbsession, log, tmp_path):
    report = check(dbsession, [str(tmp_path / "gone.jsonl")])
    assert report.kinds() == {"no-checkpoint"}


def test_the_wrong_key_finds_every_row_and_says_why(dbsession, log):
    dbsession.expire_all()
    report = verify(dbsession, keys.parse("t1:not-the-audit-key-0123456789abcdef0123456789"))
    assert report.kinds() == {"edited"} and ids_of(report, "edited") == [(log[0], log[-1])]
    assert "is portal.audit_key" in summary(report, [])[-1]


