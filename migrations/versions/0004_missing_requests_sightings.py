"""Missing-person requests (the family's side of an appeal) and sightings on notices.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("missing_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("accepting_unit_id", sa.Integer(), nullable=False),
        sa.Column("accepting_unit_phone", sa.String(length=40), nullable=False),
        sa.Column("acceptance_receipt_no", sa.String(length=60), nullable=False),
        sa.Column("command_unit_id", sa.Integer(), nullable=False),
        sa.Column("family_contact", sa.Text(), nullable=False),
        sa.Column("family_confirmed", sa.Boolean(), nullable=False),
        sa.Column("unit_confirmed", sa.Boolean(), nullable=False),
        sa.Column("verification_how", sa.Text(), nullable=False),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
        "state IN ('submitted', 'verifying', 'published', 'resolved', 'withdrawn', 'rejected')", name=op.f("ck_missing_requests_state")),
        sa.ForeignKeyConstraint(["accepting_unit_id"], ["units.id"], name=op.f("fk_missing_requests_accepting_unit_id_units")),
        sa.ForeignKeyConstraint(["command_unit_id"], ["units.id"], name=op.f("fk_missing_requests_command_unit_id_units")),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_missing_requests_notice_id_notices")),
        sa.ForeignKeyConstraint(["verified_by_id"], ["officers.id"], name=op.f("fk_missing_requests_verified_by_id_officers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_requests")),
        sa.UniqueConstraint("notice_id", name=op.f("uq_missing_requests_notice_id"))
    )
    with op.batch_alter_table("missing_requests", schema=None) as batch_op:
        batch_op.create_index("ix_missing_requests_queue", ["command_unit_id", "state", "created_at", "id"], unique=False)

    op.create_table("sightings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("place", sa.String(length=255), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('received', 'reviewed', 'forwarded', 'closed')", name=op.f("ck_sightings_state")),
        sa.CheckConstraint("lat IS NULL OR lat BETWEEN -90 AND 90", name=op.f("ck_sightings_lat")),
        sa.CheckConstraint("lon IS NULL OR lon BETWEEN -180 AND 180", name=op.f("ck_sightings_lon")),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], name=op.f("fk_sightings_media_id_media")),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_sightings_notice_id_notices")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_sightings_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sightings"))
    )
    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sightings_notice_id"), ["notice_id"], unique=False)
        batch_op.create_index("ix_sightings_queue", ["unit_id", "state", "created_at", "id"], unique=False)



def downgrade():
    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.drop_index("ix_sightings_queue")
        batch_op.drop_index(batch_op.f("ix_sightings_notice_id"))

    op.drop_table("sightings")
    with op.batch_alter_table("missing_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_missing_requests_queue")

    op.drop_table("missing_requests")
