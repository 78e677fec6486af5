"""Resumable uploads (tus 1.0): files sent in chunks before their form, claimed by the form's commit.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "resumable_uploads",
        sa.Column("id", sa.String(43), nullable=False),
        sa.Column("owner_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=True),
        sa.Column("content_type", sa.String(64), nullable=True),
        sa.Column("filename_sealed", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resumable_uploads")),
    )
    op.create_index(op.f("ix_resumable_uploads_owner_hash"), "resumable_uploads", ["owner_hash"])
    op.create_index(op.f("ix_resumable_uploads_expires_at"), "resumable_uploads", ["expires_at"])


def downgrade():
    op.drop_index(op.f("ix_resumable_uploads_expires_at"), table_name="resumable_uploads")
    op.drop_index(op.f("ix_resumable_uploads_owner_hash"), table_name="resumable_uploads")
    op.drop_table("resumable_uploads")
