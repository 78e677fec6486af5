"""The outbox's worker jobs: sending (services.send_due) and retention. A message sent more than
`portal.retention.outbox_days` ago, or given up after its last attempt that long ago, is deleted:
its sealed recipient and text are of no further use. The audit trail keeps that it was sent (its
subject), never the content."""
from sqlalchemy import delete, or_, select

from portal.outbox.models import OutboxMessage
from portal.outbox.services import DEFAULT_MAX_ATTEMPTS
from portal.privacy import retention

SETTING = "portal.retention.outbox_days"


def purge_sent(request, now=None) -> int:
    """Delete one batch of sent (or abandoned) messages past the retention period; one audit event."""
    run = retention.start(request, "outbox_message", SETTING, now)
    max_attempts = int(request.registry.settings.get("portal.outbox.max_attempts", DEFAULT_MAX_ATTEMPTS))
    given_up = (OutboxMessage.sent_at.is_(None) & (OutboxMessage.attempts >= max_attempts)
                & (OutboxMessage.send_after <= run.before))
    due = run.due(select(OutboxMessage.id).where(or_(OutboxMessage.sent_at <= run.before, given_up))
                  .order_by(OutboxMessage.id))
    if due:
        request.dbsession.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(due))
                                  .execution_options(synchronize_session=False))
        run.rows = len(due)
        run.add("deleted", len(due))
    return run.report()
