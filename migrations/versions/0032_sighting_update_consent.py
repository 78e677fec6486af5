"""Sightings keep whether the sender asked to be told of changes by message, and the language of the
form they used (the messages come in it), as tips and family requests do since 0031.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sightings") as batch:
        batch.add_column(sa.Column("notify_consent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("locale", sa.String(8), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("sightings") as batch:
        batch.drop_column("locale")
        batch.drop_column("notify_consent")
