"""Tips from the public: categories with their own questions, the tip itself with its answers,
attachments, the two-way thread with the reporter, links and rewards.

The reporter is anonymous unless they leave a contact, which is stored encrypted (read only through
services.protected, by the assigned handler, audited); their way back is the receipt code."""
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Officer
from portal.core.meta import Base, UTCDateTime, one_of, utcnow
from portal.media.models import Media
from portal.notices.models import Notice
from portal.units.models import Unit

TIP_STATES = ("received", "triaged", "assigned", "in_progress", "closed")
TIP_OUTCOMES = ("actionable", "unfounded", "duplicate", "spam")
QUESTION_KINDS = ("text", "choice", "date", "number")
MESSAGE_AUTHORS = ("reporter", "officer", "system")
LINK_KINDS = ("duplicate", "related", "notice")
REWARD_STATES = ("proposed", "approved", "paid", "refused")
_WORLD = ("lat IS NULL OR lat BETWEEN -90 AND 90", "lon IS NULL OR lon BETWEEN -180 AND 180")


class TipCategory(Base):
    """A kind of matter the public can report. Texts are per language: {"zh_CN": ..., "en": ..., "ug": ...}.
    Retired categories keep their tips but are no longer offered."""

    __tablename__ = "tip_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    names: Mapped[dict] = mapped_column(JSON, default=dict)
    descriptions: Mapped[dict] = mapped_column(JSON, default=dict)
    # Choosing this category shows the "call 110 now" panel (guns, explosives).
    danger: Mapped[bool] = mapped_column(Boolean, default=False)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    questions: Mapped[list["TipQuestion"]] = relationship(
        back_populates="category", order_by="TipQuestion.position, TipQuestion.id", cascade="all, delete-orphan"
    )

    @classmethod
    def in_order(cls, *, offered_only: bool = False):
        """The select of categories in the order the public and staff see them listed (position,
        then id); `offered_only` leaves out retired ones."""
        query = select(cls).order_by(cls.position, cls.id)
        return query.where(cls.retired.is_(False)) if offered_only else query


class TipQuestion(Base):
    """One extra question of a category. Choices: [{"value": "dealing", "labels": {"zh_CN": ...}}];
    danger_values lists the choice values that signal immediate danger."""

    __tablename__ = "tip_questions"
    __table_args__ = (
        CheckConstraint(one_of("kind", QUESTION_KINDS), name="kind"),
        UniqueConstraint("category_id", "key", name="uq_tip_questions_category_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("tip_categories.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(8), default="text")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    labels: Mapped[dict] = mapped_column(JSON, default=dict)
    choices: Mapped[list] = mapped_column(JSON, default=list)
    danger_values: Mapped[list] = mapped_column(JSON, default=list)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    category: Mapped[TipCategory] = relationship(back_populates="questions")


class Tip(Base):
    __tablename__ = "tips"
    __table_args__ = (
        CheckConstraint(one_of("state", TIP_STATES), name="state"),
        CheckConstraint("outcome IS NULL OR " + one_of("outcome", TIP_OUTCOMES), name="outcome"),
        CheckConstraint(_WORLD[0], name="lat"),
        CheckConstraint(_WORLD[1], name="lon"),
        # The staff queue: a unit's tips newest first, with or without a state filter (keyset on
        # created_at, id); a whole-province view walks ix_tips_created.
        Index("ix_tips_queue", "unit_id", "created_at", "id"),
        Index("ix_tips_state_queue", "unit_id", "state", "created_at", "id"),
        Index("ix_tips_assigned", "assigned_to_id", "state", "created_at", "id"),
        Index("ix_tips_created", "created_at", "id"),
        # The worker's retention job: closed tips not yet purged (tips/jobs.py).
        Index("ix_tips_retention", "purged_at", "closed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("tip_categories.id"), index=True)
    # The receiving unit (changes on transfer); suggested_unit_id is what the point routed to.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    suggested_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    state: Mapped[str] = mapped_column(String(16), default="received")
    outcome: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    happened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(String(255), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    # Protected (encrypted JSON: name, phone), None when the reporter left none.
    contact: Mapped[str | None] = mapped_column(Text, info={"sealed": "tip.contact"})
    # When the handler last looked at the contact: the reporter is told on /status.
    contact_viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The reporter ticked "tell me when something changes" (with a phone number in the contact), and the
    # language of the form they used: the messages come in it (tips/updates.py).
    notify_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    locale: Mapped[str] = mapped_column(String(8), default="", server_default="")
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    # An answer or category that signals immediate danger; media flags (old capture, mismatched
    # type) make the tip flagged for moderators.
    danger: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # A published reward task this tip answers (the form was opened from the notice).
    task_notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    # The reason given at the last step that moved or ended the tip.
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the retention job removed the contact and the files (tips/jobs.py); counts stay.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    category: Mapped[TipCategory] = relationship()
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    suggested_unit: Mapped[Unit | None] = relationship(foreign_keys=[suggested_unit_id])
    assigned_to: Mapped[Officer | None] = relationship()
    task_notice: Mapped[Notice | None] = relationship()
    answers: Mapped[list["TipAnswer"]] = relationship(back_populates="tip", cascade="all, delete-orphan")
    attachments: Mapped[list["TipAttachment"]] = relationship(
        back_populates="tip", order_by="TipAttachment.id", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}


class TipAnswer(Base):
    """The reporter's answer to one of the category's questions, as text (dates ISO, numbers decimal)."""

    __tablename__ = "tip_answers"
    __table_args__ = (UniqueConstraint("tip_id", "question_id", name="uq_tip_answers_tip_question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"))
    # Indexed: a category's page asks whether tips answered a question (its key is then fixed).
    question_id: Mapped[int] = mapped_column(ForeignKey("tip_questions.id"), index=True)
    value: Mapped[str] = mapped_column(Text)

    tip: Mapped[Tip] = relationship(back_populates="answers")
    question: Mapped[TipQuestion] = relationship()


class TipMessage(Base):
    """The thread: the reporter (through /status), officers, and system lines. Internal notes are
    officers' only and never shown to the reporter."""

    __tablename__ = "tip_messages"
    __table_args__ = (
        CheckConstraint(one_of("author", MESSAGE_AUTHORS), name="author"),
        Index("ix_tip_messages_thread", "tip_id", "created_at", "id"),
        # A reply sent twice (a double press, or again after its answer was lost) is stored once.
        Index("uq_tip_messages_nonce", "tip_id", "client_nonce", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(8))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    client_nonce: Mapped[str | None] = mapped_column(String(64))  # from the reply form, one per form shown

    officer: Mapped[Officer | None] = relationship()


class TipAttachment(Base):
    """A file sent with a tip or a later reply. The Media row holds the evidence (original, sha256,
    sniffed type); here is what the client said about it and what moderators should look at."""

    __tablename__ = "tip_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id"), unique=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("tip_messages.id"))
    # Space-separated flags for moderators: "old-capture", "type-mismatch".
    flags: Mapped[str] = mapped_column(String(255), default="")
    client_captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    client_lat: Mapped[float | None] = mapped_column(Float)
    client_lon: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    tip: Mapped[Tip] = relationship(back_populates="attachments")
    media: Mapped[Media] = relationship()


class TipLink(Base):
    """A tip linked to another tip (duplicate, related) or to a published notice."""

    __tablename__ = "tip_links"
    __table_args__ = (
        CheckConstraint(one_of("kind", LINK_KINDS), name="kind"),
        CheckConstraint("(linked_tip_id IS NULL) <> (notice_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    linked_tip_id: Mapped[int | None] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    kind: Mapped[str] = mapped_column(String(16))
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    linked_tip: Mapped[Tip | None] = relationship(foreign_keys=[linked_tip_id])
    notice: Mapped[Notice | None] = relationship()


class TipReward(Base):
    """A reward for a tip: proposed by a handler, approved by a second officer, paid against the receipt."""

    __tablename__ = "tip_rewards"
    __table_args__ = (
        CheckConstraint(one_of("state", REWARD_STATES), name="state"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="proposed")
    amount: Mapped[int] = mapped_column(BigInteger)  # yuan
    reason: Mapped[str] = mapped_column(Text)  # why it is proposed
    decision_reason: Mapped[str] = mapped_column(Text, default="")  # approval or refusal note
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who received the money: their identity document as shown at the counter, a protected field
    # (sealed under PAYEE_LABEL, shown only with a reason, audited), and what was paid (at most `amount`).
    payee_id_sealed: Mapped[str | None] = mapped_column(Text, info={"sealed": "tip_reward.payee_id"})
    amount_paid: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)

    proposed_by: Mapped[Officer] = relationship(foreign_keys=[proposed_by_id])
    approved_by: Mapped[Officer | None] = relationship(foreign_keys=[approved_by_id])
    paid_by: Mapped[Officer | None] = relationship(foreign_keys=[paid_by_id])

    __mapper_args__ = {"version_id_col": version}
