"""Verified phones (issue 15 item 4): codes sent by SMS to prove a number, kept as keyed hashes only.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "phone_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number_hash", sa.String(64), nullable=False),
        sa.Column("owner_hash", sa.String(64), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_verifications")),
    )
    op.create_index("ix_phone_verifications_owner", "phone_verifications", ["owner_hash", "number_hash", "created_at"])
    op.create_index("ix_phone_verifications_created", "phone_verifications", ["created_at"])


def downgrade():
    op.drop_index("ix_phone_verifications_created", table_name="phone_verifications")
    op.drop_index("ix_phone_verifications_owner", table_name="phone_verifications")
    op.drop_table("phone_verifications")
