"""A dispatcher's invitation to share ("instant on scene"): during a phone call the dispatcher sends
the caller an SMS with a one-time link; opening it asks for consent, then shares as invited (the
position; the position and live video; or the position and photos). It lands in the console as an
alarm of the inviting dispatcher's command center, tied to the dispatcher.

Only the SHA-256 of the link's token is stored (privacy/links.py), and the phone number is a
protected field (sealed, shown only with an audited reason). The link is usable by one phone: the
first browser that opens it (or consents) is bound by the hash of a random cookie it was given."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Officer
from portal.alarms.models import Alarm
from portal.core.meta import Base, UTCDateTime, one_of, utcnow
from portal.units.models import Unit

# location: the position only; video: the position and live video (a video alarm); upload: the
# position and photos taken on the phone (through the alarm page's photo form).
INVITATION_MODES = ("location", "video", "upload")
INVITATION_STATES = ("sent", "opened", "used", "expired", "revoked")
PHONE_LABEL = "call_invitation.phone"  # the protected field's label (privacy/protected.py)


class CallInvitation(Base):
    __tablename__ = "call_invitations"
    __table_args__ = (
        CheckConstraint(one_of("mode", INVITATION_MODES), name="mode"),
        CheckConstraint(one_of("state", INVITATION_STATES), name="state"),
        # The console's list: a center's recent invitations, newest first.
        Index("ix_call_invitations_unit", "unit_id", "created_at"),
        # The worker: invitations still waiting past their expiry.
        Index("ix_call_invitations_due", "state", "expires_at"),
        # One invitation, one alarm (several NULLs are allowed on both databases).
        Index("uq_call_invitations_alarm", "alarm_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the link's token
    # The inviting dispatcher's command center: the alarm goes there, whatever the position.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))  # who invited
    mode: Mapped[str] = mapped_column(String(12))
    # Protected (sealed under PHONE_LABEL): the mobile number the SMS went to.
    phone: Mapped[str | None] = mapped_column(Text, info={"sealed": PHONE_LABEL})
    state: Mapped[str] = mapped_column(String(12), default="sent")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # sha256 of the random cookie given to the one browser that may use the link.
    device_hash: Mapped[str | None] = mapped_column(String(64))
    # The alarm the person's consent raised.
    alarm_id: Mapped[int | None] = mapped_column(ForeignKey("alarms.id", ondelete="SET NULL"))

    unit: Mapped[Unit] = relationship()
    officer: Mapped[Officer] = relationship()
    alarm: Mapped[Alarm | None] = relationship()
