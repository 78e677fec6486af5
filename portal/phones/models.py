"""A code sent by SMS to prove a phone number (issue 15 item 4: `portal.verified_phone`).

Nothing here can give the number or the code back: the number is kept as a keyed hash (to find the
row again when the form comes back with it), the code as a keyed hash with the row's own salt. The
row belongs to the browser session that asked for it (the hash of its CSRF token, as resumable
uploads do), so a code proves the number only to the form it was asked from."""
from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.meta import Base, UTCDateTime, utcnow


class PhoneVerification(Base):
    __tablename__ = "phone_verifications"
    __table_args__ = (
        # The form's look-up: this session's newest code for this number.
        Index("ix_phone_verifications_owner", "owner_hash", "number_hash", "created_at"),
        Index("ix_phone_verifications_created", "created_at"),  # the worker's purge
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number_hash: Mapped[str] = mapped_column(String(64))
    owner_hash: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Wrong (and right) codes typed against this row; counted by one compare-and-set UPDATE.
    tries: Mapped[int] = mapped_column(Integer, default=0)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # by the report that took the number
    # The SMS that carried the code (its sealed text is scrubbed once the code is used); no foreign
    # key: the outbox's own retention removes its rows.
    outbox_id: Mapped[int | None] = mapped_column(Integer)
