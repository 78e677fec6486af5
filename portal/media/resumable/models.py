"""A file being sent in chunks (tus 1.0): its declared length, how far it got, what its first bytes
said it is, whose page it belongs to and when it expires. The bytes are on disk (resumable/files.py);
the row says they may be claimed, by the form of the session that created them, until expires_at."""
from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.meta import Base, UTCDateTime, utcnow


class Upload(Base):
    __tablename__ = "resumable_uploads"

    # secrets.token_urlsafe(32): unguessable, and the name of its file under <media_dir>/.resumable/.
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    # sha256 of the CSRF token of the session that created it: only that session may send to it,
    # ask about it, delete it or attach it to a form (a leaked id alone is useless).
    owner_hash: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # resumable/purposes.py: which limits apply
    length: Mapped[int] = mapped_column(BigInteger)  # Upload-Length, as declared at creation
    offset: Mapped[int] = mapped_column(BigInteger, default=0)  # bytes received so far
    # From the first bytes (media/sniff.py), once they have arrived; never from the name or the browser.
    kind: Mapped[str | None] = mapped_column(String(8))  # image, video, audio
    content_type: Mapped[str | None] = mapped_column(String(64))
    # The file's name on the sender's device (Upload-Metadata "filename") is a protected field:
    # sealed like Media.original_name_sealed (media/models.py ORIGINAL_NAME_LABEL).
    filename_sealed: Mapped[str | None] = mapped_column(Text, info={"sealed": "media.original_name"})
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the whole file, once complete
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def complete(self) -> bool:
        return self.offset == self.length

    def __repr__(self):  # no id (it is the capability) and no name in logs
        return f"<Upload {self.purpose} {self.offset}/{self.length}>"
