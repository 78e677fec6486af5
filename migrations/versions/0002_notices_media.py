"""Notices, missing-person details, media.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('missing_person', 'wanted', 'lost_found', 'case_appeal', 'vehicle', 'reward_task')",
            name=op.f("ck_notices_kind"),
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'in_review', 'published', 'resolved', 'expired', 'retracted')",
            name=op.f("ck_notices_state"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["officers.id"], name=op.f("fk_notices_author_id_officers")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_notices_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notices_kind_public_order",
            ["kind", "state", "published_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_notices_public_order", ["state", "published_at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notices_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("original_key", sa.String(length=255), nullable=False),
        sa.Column("public_key", sa.String(length=255), nullable=True),
        sa.Column("thumb_key", sa.String(length=255), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("alt_text", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_media_notice_id_notices"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_media_notice_id"), ["notice_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_media_sha256"), ["sha256"], unique=False)

    op.create_table(
        "missing_person_details",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("height_min_cm", sa.Integer(), nullable=True),
        sa.Column("height_max_cm", sa.Integer(), nullable=True),
        sa.Column("build", sa.String(length=120), nullable=False),
        sa.Column("hair", sa.String(length=120), nullable=False),
        sa.Column("eyes", sa.String(length=120), nullable=False),
        sa.Column("clothing", sa.Text(), nullable=False),
        sa.Column("distinguishing_marks", sa.Text(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_place", sa.String(length=255), nullable=False),
        sa.Column("last_seen_lat", sa.Float(), nullable=True),
        sa.Column("last_seen_lon", sa.Float(), nullable=True),
        sa.Column("circumstances", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "sex IN ('female', 'male', 'unknown')",
            name=op.f("ck_missing_person_details_sex"),
        ),
        sa.CheckConstraint(
            "age IS NULL OR age BETWEEN 0 AND 130",
            name=op.f("ck_missing_person_details_age"),
        ),
        sa.CheckConstraint(
            "height_max_cm IS NULL OR height_max_cm BETWEEN 30 AND 260",
            name=op.f("ck_missing_person_details_height_max"),
        ),
        sa.CheckConstraint(
            "height_min_cm IS NULL OR height_min_cm BETWEEN 30 AND 260",
            name=op.f("ck_missing_person_details_height_min"),
        ),
        sa.CheckConstraint(
            "last_seen_lat IS NULL OR last_seen_lat BETWEEN -90 AND 90",
            name=op.f("ck_missing_person_details_lat"),
        ),
        sa.CheckConstraint(
            "last_seen_lon IS NULL OR last_seen_lon BETWEEN -180 AND 180",
            name=op.f("ck_missing_person_details_lon"),
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_missing_person_details_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_missing_person_details")),
    )


def downgrade():
    op.drop_table("missing_person_details")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_sha256"))
        batch_op.drop_index(batch_op.f("ix_media_notice_id"))

    op.drop_table("media")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_unit_id"))
        batch_op.drop_index("ix_notices_public_order")
        batch_op.drop_index("ix_notices_kind_public_order")

    op.drop_table("notices")
