"""Messages that leave the system (SMS, e-mail), written in the transaction that caused them and
sent by the worker after commit, so nothing is sent for work that was rolled back."""
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.meta import Base, UTCDateTime, one_of, utcnow

OUTBOX_CHANNELS = ("sms", "email")


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(one_of("channel", OUTBOX_CHANNELS), name="channel"),
        # The worker's queue: unsent messages that are due.
        Index("ix_outbox_due", "sent_at", "send_after", "id"),
        # The last message about a matter (outbox/updates.py: one per interval).
        Index("ix_outbox_subject", "subject_type", "subject_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    # Protected (encrypted): the phone number or address, and the text (it may name a person or place).
    recipient: Mapped[str] = mapped_column(Text, info={"sealed": "outbox.recipient"})
    body: Mapped[str] = mapped_column(Text, info={"sealed": "outbox.body"})
    # What caused it, for the audit trail ("trip", 12); never the content.
    subject_type: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(255), default="")
    # The message's template (outbox/templates.py) and its values, sealed like the text: gateways that
    # only send pre-approved templates (Chinese cloud SMS) get the template's id and the values;
    # "" for a free text (the audit checkpoints' e-mail).
    template: Mapped[str] = mapped_column(String(64), default="", server_default="")
    params: Mapped[str | None] = mapped_column(Text, info={"sealed": "outbox.params"})
    locale: Mapped[str] = mapped_column(String(8), default="", server_default="")
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # after the last attempt failed


class ProxyPurge(Base):
    """Tags whose cached answers the caching proxies must drop (outbox/purges.py), written in the
    transaction of the change. Sent twice: at once after commit, then once more `repeat` seconds later,
    for an answer a proxy fetched from a server that still read the old rows while the change committed."""

    __tablename__ = "proxy_purges"
    __table_args__ = (Index("ix_proxy_purges_due", "rounds_left", "send_after", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tags: Mapped[str] = mapped_column(Text)  # space-separated: "notice-12 notice-list unit-139910"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rounds_left: Mapped[int] = mapped_column(Integer, default=2)  # 0: done (or given up)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(255), default="")
