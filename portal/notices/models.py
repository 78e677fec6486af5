"""Public notices: missing persons first, and the other kinds the police publish."""
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portal.core.meta import Base, UTCDateTime, one_of, utcnow
from portal.units.models import Unit

NOTICE_KINDS = ("missing_person", "wanted", "lost_found", "case_appeal", "vehicle", "reward_task")
NOTICE_STATES = (
    "draft",
    "in_review",
    "published",
    "resolved",
    "expired",
    "retracted",
)
SEXES = ("female", "male", "unknown")
# How precisely the public page shows where a missing person was last seen; the dispatcher chooses
# (notices/places.py coarsens the point on the server, so nothing finer ever reaches the page).
PRECISIONS = ("exact", "500m", "2km", "district")


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint(one_of("kind", NOTICE_KINDS), name="kind"),
        CheckConstraint(one_of("state", NOTICE_STATES), name="state"),
        # The public list walks published notices newest first by keyset.
        Index("ix_notices_public_order", "state", "published_at", "id"),
        Index("ix_notices_kind_public_order", "kind", "state", "published_at", "id"),
        CheckConstraint("reward_amount IS NULL OR reward_amount > 0", name="reward_amount"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    slug: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When it left the public site (resolved, expired, retracted): its CAP Cancel is in the CAP feed
    # for portal.cap.cancel_days after this. Never set for a notice that was never public.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Optimistic locking: a stale second save raises StaleDataError instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    # The reason given when a reviewer sent the draft back, shown to the author.
    review_note: Mapped[str] = mapped_column(Text, default="")
    verified_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Kind-specific public fields (typed columns; empty for other kinds).
    reward_amount: Mapped[int | None] = mapped_column(Integer)  # yuan
    reward_conditions: Mapped[str] = mapped_column(Text, default="")
    vehicle_plate: Mapped[str] = mapped_column(String(20), default="")
    vehicle_make: Mapped[str] = mapped_column(String(60), default="")
    vehicle_model: Mapped[str] = mapped_column(String(60), default="")
    vehicle_colour: Mapped[str] = mapped_column(String(30), default="")
    item_description: Mapped[str] = mapped_column(Text, default="")
    found_place: Mapped[str] = mapped_column(String(255), default="")
    suspect_description: Mapped[str] = mapped_column(Text, default="")
    caution: Mapped[str] = mapped_column(Text, default="")

    # Loaded per query (see services/notices.py): the list needs photos, not personal details.
    unit: Mapped[Unit] = relationship(lazy="joined", foreign_keys=[unit_id])
    verified_by_unit: Mapped["Unit | None"] = relationship(foreign_keys=[verified_by_unit_id])
    missing_person: Mapped["MissingPersonDetails | None"] = relationship(
        back_populates="notice", uselist=False, cascade="all, delete-orphan"
    )
    media: Mapped[list["Media"]] = relationship(  # noqa: F821
        back_populates="notice", order_by="Media.position"
    )

    __mapper_args__ = {"version_id_col": version}

    @validates("state")
    def _note_the_end(self, key, state):
        # Every way off the public site (staff workflow, the expiry job, a family's request closing)
        # passes here, so none can forget the Cancel its CAP consumers need.
        if self.state == "published" and state != "published":
            self.ended_at = utcnow()
        return state

    @property
    def is_public(self) -> bool:
        # Past its expiry time a notice is gone even before the worker marks it expired.
        return self.state == "published" and (self.expires_at is None or self.expires_at > utcnow())


class MissingPersonDetails(Base):
    """Public description of a missing person; contacts of the family live with the request."""

    __tablename__ = "missing_person_details"
    __table_args__ = (
        CheckConstraint(one_of("sex", SEXES), name="sex"),
        CheckConstraint("height_min_cm IS NULL OR height_min_cm BETWEEN 30 AND 260", name="height_min"),
        CheckConstraint("height_max_cm IS NULL OR height_max_cm BETWEEN 30 AND 260", name="height_max"),
        CheckConstraint("age_min IS NULL OR age_min BETWEEN 0 AND 130", name="age_min"),
        CheckConstraint("age_max IS NULL OR age_max BETWEEN 0 AND 130", name="age_max"),
        CheckConstraint("age_min IS NULL OR age_max IS NULL OR age_min <= age_max", name="age_order"),
        CheckConstraint("weight_min_kg IS NULL OR weight_min_kg BETWEEN 1 AND 400", name="weight_min"),
        CheckConstraint("weight_max_kg IS NULL OR weight_max_kg BETWEEN 1 AND 400", name="weight_max"),
        CheckConstraint(one_of("last_seen_precision", PRECISIONS), name="last_seen_precision"),
        CheckConstraint("last_seen_lat IS NULL OR last_seen_lat BETWEEN -90 AND 90", name="lat"),
        CheckConstraint("last_seen_lon IS NULL OR last_seen_lon BETWEEN -180 AND 180", name="lon"),
    )

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True
    )
    full_name: Mapped[str] = mapped_column(String(120))
    sex: Mapped[str] = mapped_column(String(8), default="unknown")
    birth_date: Mapped[date | None] = mapped_column(Date)
    # An age range (a family or a witness rarely knows it to the year); one age is min = max.
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    height_min_cm: Mapped[int | None] = mapped_column(Integer)
    height_max_cm: Mapped[int | None] = mapped_column(Integer)
    weight_min_kg: Mapped[int | None] = mapped_column(Integer)
    weight_max_kg: Mapped[int | None] = mapped_column(Integer)
    build: Mapped[str] = mapped_column(String(120), default="")
    languages: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Protected (sealed with privacy.protected, label MEDICAL_LABEL): police-only, each showing audited,
    # unless the family agreed to publish it (medical_needs_public), then the public pages show it.
    medical_needs: Mapped[str | None] = mapped_column(Text, info={"sealed": "missing.medical_needs"})
    medical_needs_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    hair: Mapped[str] = mapped_column(String(120), default="")
    eyes: Mapped[str] = mapped_column(String(120), default="")
    clothing: Mapped[str] = mapped_column(Text, default="")
    distinguishing_marks: Mapped[str] = mapped_column(Text, default="")
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen_place: Mapped[str] = mapped_column(String(255), default="")
    last_seen_lat: Mapped[float | None] = mapped_column(Float)
    last_seen_lon: Mapped[float | None] = mapped_column(Float)
    last_seen_precision: Mapped[str] = mapped_column(String(8), default="district", server_default="district")
    circumstances: Mapped[str] = mapped_column(Text, default="")

    notice: Mapped[Notice] = relationship(back_populates="missing_person")

    @property
    def age(self) -> int | None:
        """One age where the range is one year, else the lower bound (older callers and filters)."""
        return self.age_min

    @age.setter
    def age(self, value: int | None) -> None:
        self.age_min = self.age_max = value

    @property
    def is_minor(self) -> bool:
        """Possibly under 18: the cautious reading of the range (unknown counts as a minor)."""
        return self.age_min is None or self.age_min < 18


REVISION_STATES = ("pending", "approved", "rejected", "superseded")


class NoticeRevision(Base):
    """A change to a published notice, waiting for a second officer (four eyes, as for the first
    publication): the public keeps the approved version until it is approved. Holds only the notice's
    public fields (editing.fields_for); a missing-person family's contacts live with its request."""

    __tablename__ = "notice_revisions"
    __table_args__ = (CheckConstraint(one_of("state", REVISION_STATES), name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    # The notice's id while this revision is pending, else NULL: unique, so a notice never has two
    # pending revisions, even when two officers save at the same moment.
    pending_notice_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    # The notice's version the change was made on: approving it after the notice changed is refused.
    base_version: Mapped[int] = mapped_column(Integer)
    # {field: value} of the changed public fields, before and as proposed (datetimes as ISO text).
    old_values: Mapped[dict] = mapped_column(JSON)
    new_values: Mapped[dict] = mapped_column(JSON)
    author_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    # Compare-and-set by the workflow engine: of two officers deciding at once, one wins.
    version: Mapped[int] = mapped_column(Integer, default=1)

    notice: Mapped[Notice] = relationship()
