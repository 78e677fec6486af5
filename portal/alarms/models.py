"""Alarms from people in danger, routed to a command center, with their live thread and track.

The sender holds a secret link (/alarm/{token}); only a hash of the token is stored, so the link
cannot be rebuilt from the database."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Officer
from portal.core.meta import Base, UTCDateTime, one_of, utcnow
from portal.media.models import Media
from portal.units.models import Unit

# A call alarm (video, silent video: video and text with no sound from the phone, voice) is also a text
# alarm: its thread, track and steps work the same; the call itself lives in portal/calls.
CALL_KINDS = ("video", "silent_video", "voice")
ALARM_KINDS = ("text", "silent") + CALL_KINDS
ALARM_STATES = ("new", "acknowledged", "dispatched", "closed", "cancelled")
MESSAGE_SENDERS = ("public", "dispatcher", "system", "guardian")  # guardian: of the trip that raised it
_WORLD = ("lat IS NULL OR lat BETWEEN -90 AND 90", "lon IS NULL OR lon BETWEEN -180 AND 180")


class Alarm(Base):
    __tablename__ = "alarms"
    __table_args__ = (
        CheckConstraint(one_of("kind", ALARM_KINDS), name="kind"),
        CheckConstraint(one_of("state", ALARM_STATES), name="state"),
        CheckConstraint(_WORLD[0], name="lat"),
        CheckConstraint(_WORLD[1], name="lon"),
        # The dispatcher console: open alarms of the centers in scope, newest first.
        Index("ix_alarms_console", "unit_id", "state", "created_at", "id"),
        # The statistics: each center's alarms received in a date range, whatever their state (alarms/stats.py).
        Index("ix_alarms_stats", "unit_id", "created_at"),
        # One trip, one alarm: two guardians pressing at once (or a guardian and the worker) cannot
        # make two (several NULLs are allowed on both databases).
        Index("uq_alarms_trip_id", "trip_id", unique=True),


        # The worker's retention job: ended alarms not yet purged (alarms/jobs.py).
        Index("ix_alarms_retention", "purged_at", "ended_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the sender's link token
    kind: Mapped[str] = mapped_column(String(16), default="silent")
    state: Mapped[str] = mapped_column(String(16), default="new")
    # The command center it was routed to (by the jurisdiction polygon holding the point).
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # The first position (later ones are in alarm_locations); place is what the person typed.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    located_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(String(255), default="")
    # Protected (encrypted JSON: name, phone), optional; shown to dispatchers with a reason, audited.
    sender_contact: Mapped[str | None] = mapped_column(Text, info={"sealed": "alarm.sender_contact"})
    # Never refused for rate reasons: a flood from one address is marked for the dispatcher instead.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str] = mapped_column(String(255), default="")
    trip_id: Mapped[int | None] = mapped_column(ForeignKey("trips.id"))
    # Moved by every workflow step (portal/workflow.py compares and sets it with the state).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    dispatch_note: Mapped[str] = mapped_column(Text, default="")  # who was sent
    outcome: Mapped[str] = mapped_column(Text, default="")  # how it ended (closed or cancelled)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the retention job removed the thread, track, photos, place and contact (alarms/jobs.py);
    # the row keeps unit, kind, state and times for statistics.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship()
    trip: Mapped["Trip | None"] = relationship()  # noqa: F821 - the trip whose guardian raised it
    locations: Mapped[list["AlarmLocation"]] = relationship(
        back_populates="alarm", order_by="AlarmLocation.id", cascade="all, delete-orphan")
    messages: Mapped[list["AlarmMessage"]] = relationship(
        back_populates="alarm", order_by="AlarmMessage.id", cascade="all, delete-orphan")


class AlarmLocation(Base):
    """A later position of the sender, as they move."""

    __tablename__ = "alarm_locations"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat"),
        CheckConstraint("lon BETWEEN -180 AND 180", name="lon"),
        Index("ix_alarm_locations_alarm", "alarm_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    located_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the device's time of the fix
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    alarm: Mapped[Alarm] = relationship(back_populates="locations")


class AlarmMessage(Base):
    """One line of the live thread between the sender and the dispatcher (or a system note)."""

    __tablename__ = "alarm_messages"
    __table_args__ = (
        CheckConstraint(one_of("sender", MESSAGE_SENDERS), name="sender"),
        # Both sides poll "messages after id N".
        Index("ix_alarm_messages_alarm", "alarm_id", "id"),
        # A line sent again (its answer was lost on the way back) is stored once.
        Index("uq_alarm_messages_nonce", "alarm_id", "client_nonce", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"))
    sender: Mapped[str] = mapped_column(String(12))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    # A system line's parameters (its text is the msgid, translated when shown); a value may itself be
    # {"msgid": ..., "mapping": ...}. Personal values (a trip's destination) are blanked by retention.
    params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    client_nonce: Mapped[str | None] = mapped_column(String(64))  # the sender's page names each line it sends

    alarm: Mapped[Alarm] = relationship(back_populates="messages")
    officer: Mapped[Officer | None] = relationship()
    media: Mapped[Media | None] = relationship()
