"""Trip guardian: a traveller shares a trip with chosen guardians. The police see nothing of it
unless an alarm is raised; its track and photos are deleted after the retention period."""
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.meta import Base, UTCDateTime, one_of, utcnow
from portal.media.models import Media

TRIP_STATES = ("active", "arrived", "alarm_raised", "expired")


class Trip(Base):
    __tablename__ = "trips"
    __table_args__ = (
        CheckConstraint(one_of("state", TRIP_STATES), name="state"),
        # The worker's deadlines: active trips by expected arrival.
        Index("ix_trips_deadline", "state", "expected_arrival_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the traveller's own link
    state: Mapped[str] = mapped_column(String(16), default="active")
    # Moved by every workflow step (portal/workflow.py compares and sets it with the state).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    destination: Mapped[str] = mapped_column(String(255))
    expected_arrival_at: Mapped[datetime] = mapped_column(UTCDateTime())
    vehicle_plate: Mapped[str] = mapped_column(String(20), default="")
    # Protected (encrypted JSON: name, phone) of the traveller, optional.
    owner_contact: Mapped[str | None] = mapped_column(Text, info={"sealed": "trip.owner_contact"})
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when the arrival time was missed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the track and photos were deleted by the retention job (the row stays, emptied).
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    guardians: Mapped[list["TripGuardian"]] = relationship(
        back_populates="trip", order_by="TripGuardian.id", cascade="all, delete-orphan")
    points: Mapped[list["TripPoint"]] = relationship(
        back_populates="trip", order_by="TripPoint.id", cascade="all, delete-orphan")
    photos: Mapped[list["TripPhoto"]] = relationship(
        back_populates="trip", order_by="TripPhoto.id", cascade="all, delete-orphan")


class TripGuardian(Base):
    __tablename__ = "trip_guardians"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("trips.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the guardian's own link
    label: Mapped[str] = mapped_column(String(60), default="")  # how the traveller names them
    # Protected (encrypted JSON: phone or e-mail) for overdue notices through the outbox; optional.
    contact: Mapped[str | None] = mapped_column(Text, info={"sealed": "trip.guardian_contact"})
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # last opened the page
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # said "I am on it" when overdue

    trip: Mapped[Trip] = relationship(back_populates="guardians")


class TripPoint(Base):
    __tablename__ = "trip_points"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat"),
        CheckConstraint("lon BETWEEN -180 AND 180", name="lon"),
        Index("ix_trip_points_trip", "trip_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("trips.id", ondelete="CASCADE"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    located_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    trip: Mapped[Trip] = relationship(back_populates="points")


class TripPhoto(Base):
    """A photo the traveller shared with their guardians (a taxi's plate, say)."""

    __tablename__ = "trip_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("trips.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id"))
    caption: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    trip: Mapped[Trip] = relationship(back_populates="photos")
    media: Mapped[Media] = relationship()
