"""When a notice left the public site (resolved, expired, retracted): its CAP Cancel stays in the CAP
feed for `portal.cap.cancel_days` after that time.

Existing rows that were public get the best time they kept: the time an appeal was resolved, the
expiry time of an expired notice, the last change of a retracted one. A notice retracted before it
was ever published (a rejected missing-person request) keeps none: it never had an alert to cancel.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

BACKFILL = (
    "UPDATE notices SET ended_at = COALESCE(resolved_at, updated_at) "
    "WHERE state = 'resolved' AND published_at IS NOT NULL",
    "UPDATE notices SET ended_at = COALESCE(expires_at, updated_at) "
    "WHERE state = 'expired' AND published_at IS NOT NULL",
    "UPDATE notices SET ended_at = updated_at WHERE state = 'retracted' AND published_at IS NOT NULL",
)


def upgrade():
    # Plain ALTERs, no batch: on SQLite a batch copies the table, and dropping the old notices table
    # fails while rows of other tables refer to it.
    op.add_column("notices", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_notices_ended_at"), "notices", ["ended_at"], unique=False)
    for statement in BACKFILL:
        op.execute(statement)


def downgrade():
    op.drop_index(op.f("ix_notices_ended_at"), table_name="notices")
    op.drop_column("notices", "ended_at")  # SQLite 3.35 and later drop a column in place
