"""Uploaded and generated media: the original is evidence, public copies are derived."""
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.meta import Base, UTCDateTime, one_of, utcnow

# The name the file had on the sender's device ("IMG_0001.jpg", "张三-身份证.jpg") may say who they
# are: it is a protected field, sealed under this label (privacy/protected.py), never shown in clear.
ORIGINAL_NAME_LABEL = "media.original_name"
MAX_NAME_CHARS = 255


def seal_original_name(request, name: str | None) -> str | None:
    """The file's own name sealed as privacy/protected.py `seal` seals every protected field (the
    registry's field cipher, under ORIGINAL_NAME_LABEL; this layer cannot import privacy). Read it
    back only through `protected.reveal`, which audits the showing."""
    name = (name or "")[:MAX_NAME_CHARS]
    return request.registry["field_cipher"].encrypt(name, ORIGINAL_NAME_LABEL) if name else None


class Media(Base):
    __tablename__ = "media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("notices.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(8))  # image, video, audio
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(64))  # sniffed from the bytes
    # Sealed under ORIGINAL_NAME_LABEL; None: no name.
    original_name_sealed: Mapped[str | None] = mapped_column(Text, info={"sealed": ORIGINAL_NAME_LABEL})
    # Storage keys, relative to the media store; originals are never served to the public.
    original_key: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[str | None] = mapped_column(String(255))
    thumb_key: Mapped[str | None] = mapped_column(String(255))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    alt_text: Mapped[str] = mapped_column(String(255), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The day the photo was taken as the family or the officer says it (public: "photo of 2026-05"),
    # so that readers know how old the likeness is.
    taken_on: Mapped[date | None] = mapped_column(Date)
    # Where the photo says it was taken (its own EXIF/XMP GPS; media/exif.py): for the police only,
    # never on a public page or in a public copy.
    captured_lat: Mapped[float | None] = mapped_column(Float)
    captured_lon: Mapped[float | None] = mapped_column(Float)

    notice: Mapped["Notice | None"] = relationship(back_populates="media")  # noqa: F821
    # Video and sound recordings: the copy staff play, made by the worker (media/copy_jobs.py).
    staff_copy: Mapped["MediaCopy | None"] = relationship(back_populates="media", cascade="all, delete-orphan",
                                                          passive_deletes=True)


COPY_STATES = ("pending", "ready", "failed")


class MediaCopy(Base):
    """The playable staff copy of a video or sound recording (media/transcode.py): pending until the
    worker made it, then ready (its keys and facts) or failed after its last attempt (why, for the log
    and the page, which then offers the original)."""

    __tablename__ = "media_copies"
    __table_args__ = (
        CheckConstraint(one_of("state", COPY_STATES), name="state"),
        Index("ix_media_copies_due", "state", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failure: Mapped[str] = mapped_column(String(255), default="")  # the last attempt's reason, no file names
    copy_key: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(32))  # video/mp4 or audio/mp4
    poster_key: Mapped[str | None] = mapped_column(String(255))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    media: Mapped[Media] = relationship(back_populates="staff_copy")

    @property
    def duration_text(self) -> str:
        """m:ss (h:mm:ss from an hour), as players show it."""
        seconds = round((self.duration_ms or 0) / 1000)
        hours, rest = divmod(seconds, 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
