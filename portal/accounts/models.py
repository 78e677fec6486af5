"""Police officers who sign in to the staff side."""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.meta import Base, UTCDateTime, utcnow
from portal.units.models import Unit


class Officer(Base):
    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    # Encrypted with the field cipher; the shared secret must not sit in the database in clear.
    totp_secret: Mapped[str | None] = mapped_column(String(255), info={"sealed": "officer.totp"})
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Last accepted TOTP time step, so a code cannot be replayed.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Sessions carry the generation they were signed in under; signing out, a new password or
    # deactivation counts it up, so every older session (a copied cookie too) stops working.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
    role_rows: Mapped[list["OfficerRole"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OfficerRole.role"
    )

    @property
    def roles(self) -> set[str]:
        return {r.role for r in self.role_rows}

    def set_roles(self, roles) -> None:
        wanted = set(roles)
        self.role_rows = [r for r in self.role_rows if r.role in wanted] + [
            OfficerRole(role=r) for r in sorted(wanted - self.roles)
        ]

    def end_all_sessions(self) -> None:
        self.session_generation = (self.session_generation or 0) + 1

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())


class OfficerRole(Base):
    __tablename__ = "officer_roles"
    __table_args__ = (UniqueConstraint("officer_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
