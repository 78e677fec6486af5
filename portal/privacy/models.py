"""Receipt codes that let an anonymous reporter or family come back to their submission."""
from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.meta import Base, UTCDateTime, utcnow


class Receipt(Base):
    __tablename__ = "receipts"
    __table_args__ = (Index("ix_receipts_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Deterministic slow hash (argon2id, peppered): the code itself is never stored.
    code_hash: Mapped[str] = mapped_column(String(128), unique=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
