"""Live calls from an alarm's page to its command center: video, silent video and voice.

The media goes between the two browsers (WebRTC); the portal only carries the call's state and its
signals (offer, answer, ICE candidates, hang-up), which each side polls. A call belongs to the
alarm it was started from: the alarm stays the record (thread, track, steps), the call says who
answered and when."""
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Officer
from portal.alarms.models import CALL_KINDS, Alarm
from portal.core.meta import Base, UTCDateTime, one_of, utcnow

CALL_STATES = ("ringing", "connected", "held", "ended")
SIDES = ("caller", "dispatcher")
SIGNAL_KINDS = ("offer", "answer", "candidate", "bye")
# Why a call ended, as the console and the statistics read it.
END_REASONS = ("caller", "dispatcher", "unanswered", "failed", "alarm_ended")


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint(one_of("kind", CALL_KINDS), name="kind"),
        CheckConstraint(one_of("state", CALL_STATES), name="state"),
        CheckConstraint("end_reason IS NULL OR " + one_of("end_reason", END_REASONS), name="end_reason"),
        Index("ix_calls_alarm", "alarm_id", "id"),
        # The console's ring: calls not ended, newest first (joined to the alarm for its unit).
        Index("ix_calls_open", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(12), default="ringing")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The dispatcher who answered (the others see who took it).
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # media flowing (the caller said so)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(16))
    # The last poll of each side: a side silent for long is gone (its page closed, its network lost).
    caller_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatcher_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    alarm: Mapped[Alarm] = relationship()
    officer: Mapped[Officer | None] = relationship()


class CallSignal(Base):
    """One WebRTC signal from one side to the other, read once by the other side's poll."""

    __tablename__ = "call_signals"
    __table_args__ = (
        CheckConstraint(one_of("side", SIDES), name="side"),
        CheckConstraint(one_of("kind", SIGNAL_KINDS), name="kind"),
        # Each side polls "the other side's signals after id N".
        Index("ix_call_signals_call", "call_id", "side", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(12))  # who sent it
    kind: Mapped[str] = mapped_column(String(12))
    body: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))  # an SDP or a candidate
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    call: Mapped[Call] = relationship()


RECORDING_STATES = ("open", "final")
# How a recording became final: the page said it ended (all its chunks here), the page went silent
# (the worker, calls/recording_jobs.py), or the alarm's retention removed its chunks before it was final.
RECORDING_END_REASONS = ("page", "idle", "purged")


class CallRecording(Base):
    """What the caller's camera and microphone sent, as the caller's browser recorded it
    (MediaRecorder), uploaded in chunks while the page is open: evidence kept with the alarm even when
    the call dropped or was never answered. Append-only: chunks are added, never replaced; the final
    hash is sha256 over the chunks' bytes in seq order (calls/recording.py)."""

    __tablename__ = "call_recordings"
    __table_args__ = (
        CheckConstraint(one_of("state", RECORDING_STATES), name="state"),
        CheckConstraint("end_reason IS NULL OR " + one_of("end_reason", RECORDING_END_REASONS), name="end_reason"),
        Index("ix_call_recordings_alarm", "alarm_id", "id"),
        # The worker's look for recordings whose page went silent.
        Index("ix_call_recordings_open", "state", "last_chunk_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    mime: Mapped[str] = mapped_column(String(100))  # as the browser declared it: video/webm;codecs=vp8,opus
    state: Mapped[str] = mapped_column(String(8), default="open")
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    total_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the page said at its end: how many chunks it made and how long it recorded.
    expected_chunks: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))  # of all chunks in seq order, once final
    end_reason: Mapped[str | None] = mapped_column(String(8))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_chunk_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last check of the stored bytes against every chunk hash and the final hash.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_ok: Mapped[bool | None] = mapped_column(Boolean)

    alarm: Mapped[Alarm] = relationship()
    call: Mapped[Call | None] = relationship()


class RecordingChunk(Base):
    """One piece of a recording as the browser handed it over (seq 0 carries the container's header)."""

    __tablename__ = "recording_chunks"
    __table_args__ = (
        UniqueConstraint("recording_id", "seq", name="uq_recording_chunks_recording_id_seq"),
        Index("ix_recording_chunks_storage_key", "storage_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("call_recordings.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(255))  # in the media store (content-addressed)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    recording: Mapped[CallRecording] = relationship()
