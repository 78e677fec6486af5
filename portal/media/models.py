"""Uploaded and generated media: the original is evidence, public copies are derived."""
from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.meta import Base, UTCDateTime, utcnow

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
    original_name_sealed: Mapped[str | None] = mapped_column(Text)  # ORIGINAL_NAME_LABEL; None: no name
    # Storage keys, relative to the media store; originals are never served to the public.
    original_key: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[str | None] = mapped_column(String(255))
    thumb_key: Mapped[str | None] = mapped_column(String(255))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    alt_text: Mapped[str] = mapped_column(String(255), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where the photo says it was taken (its own EXIF/XMP GPS; media/exif.py): for the police only,
    # never on a public page or in a public copy.
    captured_lat: Mapped[float | None] = mapped_column(Float)
    captured_lon: Mapped[float | None] = mapped_column(Float)

    notice: Mapped["Notice | None"] = relationship(back_populates="media")  # noqa: F821
