"""The audit domain's worker job: a signed checkpoint of the chain, outside the database."""
import logging

from sqlalchemy import select

from portal.audit import checkpoints, keys
from portal.audit.chain import GENESIS
from portal.audit.models import AuditEvent
from portal.core.meta import utcnow

log = logging.getLogger("portal.audit")

LAST_WRITTEN = "audit_checkpoint_written_at"
# The worker's rounds drift by their own duration; a round that is this close to due still writes.
SLACK_SECONDS = 1.0


def write_checkpoint(request, now=None) -> int:
    """Write a checkpoint to every sink if `portal.audit.checkpoint_seconds` have passed since this
    process last wrote one; returns how many sinks took it. A sink that fails fails the job (the
    worker logs it) after the others have written."""
    now = now or utcnow()
    registry = request.registry
    interval = float(registry.settings.get("portal.audit.checkpoint_seconds") or 60)
    last = registry.get(LAST_WRITTEN)
    if last is not None and (now - last).total_seconds() + SLACK_SECONDS < interval:
        return 0
    sinks = sorted(registry.getUtilitiesFor(checkpoints.ICheckpointSink))
    if not sinks:
        log.warning("audit: no checkpoint sink configured (portal.audit.checkpoint_file); "
                    "rows deleted from the end of the audit log would go unnoticed")
        return 0
    head = request.dbsession.execute(
        select(AuditEvent.id, AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    checkpoint = checkpoints.make(
        keys.from_settings(registry.settings),
        count=head.seq if head else 0, head_id=head.id if head else 0, head_hash=head.hash if head else GENESIS,
        at=now,
    )
    written, failed = 0, []
    for name, sink in sinks:
        try:
            sink.write(request, checkpoint.line())
            written += 1
        except Exception as exc:  # a full disk or a gone mount must not keep the other sinks from writing
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
    if failed:
        raise RuntimeError("audit checkpoint not written to " + "; ".join(failed))
    registry[LAST_WRITTEN] = now
    return written
