"""Tips and family requests keep whether the sender asked to be told of changes by message, and the
language of the form they used (the messages come in it); the outbox is searched by the matter a
message is about (at most one per interval).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

TABLES = ("tips", "missing_requests")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("notify_consent", sa.Boolean(), nullable=False, server_default=sa.false()))
            batch.add_column(sa.Column("locale", sa.String(8), nullable=False, server_default=""))
    op.create_index("ix_outbox_subject", "outbox", ["subject_type", "subject_id", "created_at"])


def downgrade():
    op.drop_index("ix_outbox_subject", table_name="outbox")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("locale")
            batch.drop_column("notify_consent")
