"""Append-only audit log; each row is sealed with the audit key and carries the seal of the one
before it (audit/chain.py)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.meta import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Position in the chain, 1 for the first event; sealed, so a removed row leaves a gap that shows.
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    # Which audit key sealed the row (keys rotate; the secrets themselves live only in the settings).
    key_id: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), index=True)
    # "officer:<username>", "public", "system" or a submitted username for failed sign-ins.
    actor: Mapped[str] = mapped_column(String(120))
    ip: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    from_state: Mapped[str] = mapped_column(String(32), default="")
    to_state: Mapped[str] = mapped_column(String(32), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    # Unique: two writers that raced for the same predecessor cannot both land (no silent fork).
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC-SHA256 under the key `key_id` (chain.sealed_message says what it covers).
    hash: Mapped[str] = mapped_column(String(64), unique=True)
