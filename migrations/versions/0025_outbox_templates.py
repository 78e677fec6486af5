"""Outbox messages name their template, its sealed values and their language (gateways that send only
pre-approved templates), and record when sending was given up.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("template", sa.String(64), server_default="", nullable=False))
        batch.add_column(sa.Column("params", sa.Text(), nullable=True))
        batch.add_column(sa.Column("locale", sa.String(8), server_default="", nullable=False))
        batch.add_column(sa.Column("gave_up_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("gave_up_at")
        batch.drop_column("locale")
        batch.drop_column("params")
        batch.drop_column("template")
