"""The caching proxies' purge queue: tags of changed public content, written in the changing
transaction and sent after commit (outbox/purges.py).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "proxy_purges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rounds_left", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proxy_purges")),
    )
    op.create_index("ix_proxy_purges_due", "proxy_purges", ["rounds_left", "send_after", "id"])


def downgrade():
    op.drop_index("ix_proxy_purges_due", table_name="proxy_purges")
    op.drop_table("proxy_purges")
