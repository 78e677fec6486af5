"""Playable staff copies of video and sound recordings, made by the worker with ffmpeg: one row per
medium, pending until made, then ready or failed. Every video and sound recording already stored gets a
pending row, so the worker makes their copies too.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "media_copies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("media_id", sa.Integer(), sa.ForeignKey(
            "media.id", name=op.f("fk_media_copies_media_id_media"), ondelete="CASCADE"), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.String(255), nullable=False),
        sa.Column("copy_key", sa.String(255), nullable=True),
        sa.Column("content_type", sa.String(32), nullable=True),
        sa.Column("poster_key", sa.String(255), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'ready', 'failed')", name=op.f("ck_media_copies_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_copies")),
        sa.UniqueConstraint("media_id", name=op.f("uq_media_copies_media_id")),
    )
    op.create_index("ix_media_copies_due", "media_copies", ["state", "next_try_at"])
    media = sa.table("media", sa.column("id", sa.Integer()), sa.column("kind", sa.String()))
    copies = sa.table("media_copies", sa.column("media_id", sa.Integer()), sa.column("state", sa.String()),
                      sa.column("attempts", sa.Integer()), sa.column("failure", sa.String()),
                      sa.column("created_at", sa.DateTime(timezone=True)))
    now = datetime.now(UTC)
    op.execute(copies.insert().from_select(
        ["media_id", "state", "attempts", "failure", "created_at"],
        sa.select(media.c.id, sa.literal("pending"), sa.literal(0), sa.literal(""),
                  sa.literal(now, sa.DateTime(timezone=True))).where(media.c.kind.in_(("video", "audio")))))


def downgrade():
    op.drop_index("ix_media_copies_due", table_name="media_copies")
    op.drop_table("media_copies")
