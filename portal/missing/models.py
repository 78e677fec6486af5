"""A family's request to publish a missing-person appeal, and its verification by the command center.

The person's public description lives on the request's notice (kind missing_person, state draft until
published) so it is stored once; what is only for the police lives here."""
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Officer
from portal.core.meta import Base, UTCDateTime, one_of, utcnow
from portal.notices.models import Notice
from portal.units.models import Unit

MISSING_REQUEST_STATES = ("submitted", "verifying", "published", "resolved", "withdrawn", "rejected")


class MissingPersonRequest(Base):
    __tablename__ = "missing_requests"
    __table_args__ = (
        CheckConstraint(one_of("state", MISSING_REQUEST_STATES), name="state"),
        # The dispatchers' queue: their command center's requests by state, oldest first.
        Index("ix_missing_requests_queue", "command_unit_id", "state", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="submitted")
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), unique=True)
    # The unit that accepted the family's missing-person report, as the family names it.
    accepting_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    accepting_unit_phone: Mapped[str] = mapped_column(String(40))
    acceptance_receipt_no: Mapped[str] = mapped_column(String(60))
    # The command center that verifies and publishes: the accepting unit's nearest center above it.
    command_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # Protected (encrypted JSON: name, phone, relationship); read only through services.protected.
    family_contact: Mapped[str] = mapped_column(Text, info={"sealed": "missing.family_contact"})
    # The family ticked "tell me when something changes", and the language of their form: the messages
    # come in it (missing/updates.py).
    notify_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    locale: Mapped[str] = mapped_column(String(8), default="", server_default="")

    # The verification checklist; publishing needs both confirmations.
    family_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    verification_how: Mapped[str] = mapped_column(Text, default="")
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Why it was rejected or withdrawn, shown to the family on /status.
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # When the retention job removed the family's contact and the photos (missing/jobs.py).
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    notice: Mapped[Notice] = relationship()
    accepting_unit: Mapped[Unit] = relationship(foreign_keys=[accepting_unit_id])
    command_unit: Mapped[Unit] = relationship(foreign_keys=[command_unit_id])
    verified_by: Mapped[Officer | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def checklist_complete(self) -> bool:
        return bool(self.family_confirmed and self.unit_confirmed and self.verification_how.strip()
                    and self.verified_by_id and self.verified_at)
