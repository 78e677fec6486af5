"""Audit checkpoints for a remote collector, through the outbox: each checkpoint line becomes an
e-mail to `portal.audit.checkpoint_outbox_to`, sent by the worker's send-outbox job in the same round
(it runs after the checkpoint job). A copy of the anchor that nobody at this site can take back."""
from zope.interface import implementer

from portal.audit.checkpoints import ICheckpointSink
from portal.outbox import services as outbox


@implementer(ICheckpointSink)
class OutboxCheckpointSink:
    def __init__(self, recipient: str):
        self.recipient = recipient

    def write(self, request, line: str) -> None:
        outbox.enqueue(request, "email", self.recipient, line, subject=("audit_checkpoint", None))
