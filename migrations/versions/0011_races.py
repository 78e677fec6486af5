"""Races: a version on every workflow object that lacked one (sightings, alarms, trips), one alarm
per trip, and client nonces that make a resent alarm line or /status reply idempotent.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

VERSIONED = ("sightings", "alarms", "trips")


def upgrade():
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    # A trip that somehow has two alarms already keeps its first: later ones are detached, not deleted.
    op.execute("UPDATE alarms SET trip_id = NULL WHERE trip_id IS NOT NULL AND id > "
               "(SELECT MIN(a.id) FROM alarms a WHERE a.trip_id = alarms.trip_id)")
    op.create_index("uq_alarms_trip_id", "alarms", ["trip_id"], unique=True)
    for table, parent in (("alarm_messages", "alarm_id"), ("tip_messages", "tip_id")):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("client_nonce", sa.String(length=64), nullable=True))
        op.create_index(f"uq_{table}_nonce", table, [parent, "client_nonce"], unique=True)


def downgrade():
    for table in ("tip_messages", "alarm_messages"):
        op.drop_index(f"uq_{table}_nonce", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("client_nonce")
    op.drop_index("uq_alarms_trip_id", table_name="alarms")
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
