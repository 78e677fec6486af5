"""Retention for every kind (issue 10, finding 10): when an ended alarm, a closed tip, a sighting and a
family's request had their personal data removed (`purged_at`), and the parameters of an alarm's
system lines (`alarm_messages.params`: a trip's destination and plate, blanked when the trip is
purged). Existing rows start unpurged; the worker's purge jobs catch up in batches.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

PURGED = ("alarms", "tips", "sightings", "missing_requests")
# The worker's retention queries: unpurged rows by the time their matter ended.
INDEXES = (("alarms", "ix_alarms_retention", ["purged_at", "ended_at"]),
           ("tips", "ix_tips_retention", ["purged_at", "closed_at"]))


def upgrade():
    for table in PURGED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("alarm_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for table, name, _columns in INDEXES:
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("alarm_messages", schema=None) as batch_op:
        batch_op.drop_column("params")
    for table in PURGED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("purged_at")
