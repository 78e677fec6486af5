"""The worker's checkpoint job: a signed line per interval in every sink, and verify accepts it."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit import chain as audit
from portal.audit import checkpoints, jobs, keys
from portal.audit.verify import verify
from portal.core.meta import utcnow
from portal.outbox.audit_sink import OutboxCheckpointSink
from portal.outbox.models import OutboxMessage
from tests.conftest import TEST_AUDIT_KEY


@pytest.fixture
def sink(registry, tmp_path):
    """The file sink, as `portal.audit.checkpoint_file` registers it, for this test only."""
    path = tmp_path / "checkpoints.jsonl"
    registry.registerUtility(checkpoints.FileCheckpointSink(str(path)), checkpoints.ICheckpointSink, name="file")
    registry.pop(jobs.LAST_WRITTEN, None)
    yield path
    registry.unregisterUtility(provided=checkpoints.ICheckpointSink, name="file")
    registry.pop(jobs.LAST_WRITTEN, None)


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_job_writes_a_signed_line_each_interval_and_verify_accepts_it(dummy_request, dbsession, sink):
    events = [audit.append(dbsession, f"a.{i}", actor="system") for i in range(3)]
    start = utcnow()
    assert jobs.write_checkpoint(dummy_request, now=start) == 1
    assert jobs.write_checkpoint(dummy_request, now=start + timedelta(seconds=30)) == 0  # not due yet
    audit.append(dbsession, "a.3", actor="system")
    assert jobs.write_checkpoint(dummy_request, now=start + timedelta(seconds=60)) == 1
    first, second = lines(sink)
    assert (first["count"], first["head_id"], first["head_hash"]) == (3, events[-1].id, events[-1].hash)
    assert second["count"] == 4 and second["key_id"] == "t1" and len(second["mac"]) == 64
    assert all(checkpoints.parse(json.dumps(line)).signed_by(keys.parse(TEST_AUDIT_KEY)) for line in (first, second))
    report = verify(dbsession, keys.parse(TEST_AUDIT_KEY), [str(sink)])
    assert report.ok and report.checkpoints == 2


def test_an_empty_log_gets_a_checkpoint_too(dummy_request, sink):
    assert jobs.write_checkpoint(dummy_request) == 1
    (line,) = lines(sink)
    assert (line["count"], line["head_id"], line["head_hash"]) == (0, 0, audit.GENESIS)


def test_the_interval_is_a_setting(dummy_request, dbsession, sink, registry, monkeypatch):
    monkeypatch.setitem(registry.settings, "portal.audit.checkpoint_seconds", "10")
    start = utcnow()
    for seconds in (0, 5, 10, 15, 20):
        jobs.write_checkpoint(dummy_request, now=start + timedelta(seconds=seconds))
    assert len(lines(sink)) == 3


def test_a_line_cut_short_by_a_crash_does_not_swallow_the_next(tmp_path):
    path = tmp_path / "cp.jsonl"
    path.write_text('{"v":1,"at":"2026')
    checkpoints.FileCheckpointSink(str(path)).write(None, '{"next":1}')
    assert path.read_text().splitlines()[-1] == '{"next":1}'


def test_the_outbox_sink_sends_each_checkpoint_to_the_remote_collector(dummy_request, dbsession, registry, sink):
    registry.registerUtility(OutboxCheckpointSink("audit@collector.example"), checkpoints.ICheckpointSink,
                             name="outbox")
    try:
        assert jobs.write_checkpoint(dummy_request) == 2
    finally:
        registry.unregisterUtility(provided=checkpoints.ICheckpointSink, name="outbox")
    message = dbsession.execute(select(OutboxMessage)).scalar_one()
    cipher = registry["field_cipher"]
    assert message.channel == "email" and message.subject_type == "audit_checkpoint"
    assert cipher.decrypt(message.recipient, "outbox.recipient") == "audit@collector.example"
    assert cipher.decrypt(message.body, "outbox.body") == sink.read_text().strip()


def test_a_failing_sink_fails_the_job_after_the_others_wrote(dummy_request, registry, sink):
    class Broken:
        def write(self, request, line):
            raise OSError("disk full")

    registry.registerUtility(Broken(), checkpoints.ICheckpointSink, name="a-broken")
    try:
        with pytest.raises(RuntimeError, match="a-broken: OSError: disk full"):
            jobs.write_checkpoint(dummy_request)
    finally:
        registry.unregisterUtility(provided=checkpoints.ICheckpointSink, name="a-broken")
    assert len(lines(sink)) == 1
    assert jobs.LAST_WRITTEN not in registry  # tried again next round
