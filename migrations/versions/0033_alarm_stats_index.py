"""The alarm statistics read the alarms of the centers in scope received in a date range
(alarms/stats.py): an index on (unit_id, created_at) serves that range for each center, which the
console's (unit_id, state, created_at) cannot with no state given (bench/README.md, queue_stats.py).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06
"""
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_alarms_stats", "alarms", ["unit_id", "created_at"])


def downgrade():
    op.drop_index("ix_alarms_stats", table_name="alarms")
