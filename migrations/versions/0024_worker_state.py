"""Workers' shared state: a lease per job (several workers never run one job at once) and a heartbeat
per worker (/readyz reports a silent worker).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_jobs",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("lease_owner", sa.String(96), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.String(8), nullable=True),
        sa.Column("last_count", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_jobs")),
    )
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker", sa.String(96), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_worker_heartbeats")),
    )


def downgrade():
    op.drop_table("worker_heartbeats")
    op.drop_table("worker_jobs")
