"""A trip's guardians write in its alarm's thread: alarm_messages.sender may be 'guardian' (the
guardian's name is a parameter of the line, blanked with the trip's other values when it is purged).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

SENDERS = "sender IN ('public', 'dispatcher', 'system', 'guardian')"
SENDERS_BEFORE = "sender IN ('public', 'dispatcher', 'system')"


def upgrade():
    with op.batch_alter_table("alarm_messages") as batch:
        batch.drop_constraint(batch.f("ck_alarm_messages_sender"), type_="check")
        batch.create_check_constraint(batch.f("ck_alarm_messages_sender"), SENDERS)


def downgrade():
    # The code before knows no guardian lines: they become notes of the system, their words kept.
    op.execute("UPDATE alarm_messages SET sender = 'system' WHERE sender = 'guardian'")
    with op.batch_alter_table("alarm_messages") as batch:
        batch.drop_constraint(batch.f("ck_alarm_messages_sender"), type_="check")
        batch.create_check_constraint(batch.f("ck_alarm_messages_sender"), SENDERS_BEFORE)
