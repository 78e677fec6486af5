"""The outbox: messages that leave the system (SMS, e-mail), written in the transaction that caused
them and sent after commit by the worker. It also carries the audit checkpoints to a remote
collector when `portal.audit.checkpoint_outbox_to` is set (audit_sink.py)."""
from portal.audit.checkpoints import ICheckpointSink
from portal.outbox.audit_sink import OutboxCheckpointSink


def includeme(config):
    recipient = (config.get_settings().get("portal.audit.checkpoint_outbox_to") or "").strip()
    if recipient:
        config.registry.registerUtility(OutboxCheckpointSink(recipient), ICheckpointSink, name="outbox")
