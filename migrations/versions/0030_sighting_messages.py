"""Sightings get receipts and a thread: the police's questions to the person who sent a sighting and
their answers through /status (the receipt rows live in `receipts`, subject type "sighting").

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sighting_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sighting_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=8), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_nonce", sa.String(length=64), nullable=True),
        sa.CheckConstraint("author IN ('police', 'sender')", name=op.f("ck_sighting_messages_author")),
        sa.ForeignKeyConstraint(["officer_id"], ["officers.id"], name=op.f("fk_sighting_messages_officer_id_officers")),
        sa.ForeignKeyConstraint(["sighting_id"], ["sightings.id"], name=op.f("fk_sighting_messages_sighting_id_sightings"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sighting_messages")),
    )
    op.create_index("ix_sighting_messages_thread", "sighting_messages", ["sighting_id", "created_at", "id"])
    op.create_index("uq_sighting_messages_nonce", "sighting_messages", ["sighting_id", "client_nonce"], unique=True)


def downgrade():
    op.drop_index("uq_sighting_messages_nonce", table_name="sighting_messages")
    op.drop_index("ix_sighting_messages_thread", table_name="sighting_messages")
    op.drop_table("sighting_messages")
