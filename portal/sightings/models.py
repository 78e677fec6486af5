"""A clue from the public on a published notice, routed to the notice's unit."""
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Officer
from portal.core.meta import Base, UTCDateTime, one_of, utcnow
from portal.media.models import Media
from portal.notices.models import Notice
from portal.units.models import Unit

SIGHTING_STATES = ("received", "reviewed", "forwarded", "closed")
MESSAGE_AUTHORS = ("police", "sender")
CONTACT_LABEL = "sighting.contact"  # the sealed contact's label (privacy/protected.py)


class Sighting(Base):
    __tablename__ = "sightings"
    __table_args__ = (
        CheckConstraint(one_of("state", SIGHTING_STATES), name="state"),
        CheckConstraint("lat IS NULL OR lat BETWEEN -90 AND 90", name="lat"),
        CheckConstraint("lon IS NULL OR lon BETWEEN -180 AND 180", name="lon"),
        # The moderators' queue: their unit's sightings by state, newest first.
        Index("ix_sightings_queue", "unit_id", "state", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    state: Mapped[str] = mapped_column(String(16), default="received")
    # Moved by every workflow step (portal/workflow.py compares and sets it with the state).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(String(255), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id"))
    # Protected (encrypted JSON: name, phone); None when the person left no contact.
    contact: Mapped[str | None] = mapped_column(Text, info={"sealed": CONTACT_LABEL})
    # "Tell me when something changes" (outbox/updates.py), and the form's language for those messages.
    notify_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    locale: Mapped[str] = mapped_column(String(8), default="", server_default="")
    # The reason given at the last step (reviewed, forwarded to whom, closed why).
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # When the retention job removed what the person wrote, where, their contact and photo (sightings/jobs.py).
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    notice: Mapped[Notice] = relationship()
    unit: Mapped[Unit] = relationship()
    media: Mapped[Media | None] = relationship()


class SightingMessage(Base):
    """The thread between the police and the person who sent the sighting, read and answered on
    /status with the sighting's receipt code. No internal notes here: every line is the sender's to read."""

    __tablename__ = "sighting_messages"
    __table_args__ = (
        CheckConstraint(one_of("author", MESSAGE_AUTHORS), name="author"),
        Index("ix_sighting_messages_thread", "sighting_id", "created_at", "id"),
        # An answer sent twice (a double press, or again after its answer was lost) is stored once.
        Index("uq_sighting_messages_nonce", "sighting_id", "client_nonce", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sighting_id: Mapped[int] = mapped_column(ForeignKey("sightings.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(8))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    client_nonce: Mapped[str | None] = mapped_column(String(64))  # from the reply form, one per form shown

    officer: Mapped[Officer | None] = relationship()
