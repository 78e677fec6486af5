"""The caller's recording as evidence: a call alarm's page records what its camera and microphone
send and uploads it in chunks; each chunk is stored append-only with its hash, the recording gets a
final hash over all of them.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "call_recordings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alarm_id", sa.Integer(), sa.ForeignKey(
            "alarms.id", name=op.f("fk_call_recordings_alarm_id_alarms"), ondelete="CASCADE"), nullable=False),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey(
            "calls.id", name=op.f("fk_call_recordings_call_id_calls"), ondelete="SET NULL"), nullable=True),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("total_bytes", sa.BigInteger(), nullable=False),
        sa.Column("expected_chunks", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("end_reason", sa.String(8), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_chunk_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_ok", sa.Boolean(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'final')", name=op.f("ck_call_recordings_state")),
        sa.CheckConstraint("end_reason IS NULL OR end_reason IN ('page', 'idle', 'purged')",
                           name=op.f("ck_call_recordings_end_reason")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_recordings")),
    )
    op.create_index("ix_call_recordings_alarm", "call_recordings", ["alarm_id", "id"])
    op.create_index("ix_call_recordings_open", "call_recordings", ["state", "last_chunk_at"])
    op.create_table(
        "recording_chunks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recording_id", sa.Integer(), sa.ForeignKey(
            "call_recordings.id", name=op.f("fk_recording_chunks_recording_id_call_recordings"), ondelete="CASCADE"),
            nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_chunks")),
        sa.UniqueConstraint("recording_id", "seq", name=op.f("uq_recording_chunks_recording_id_seq")),
    )
    op.create_index("ix_recording_chunks_storage_key", "recording_chunks", ["storage_key"])


def downgrade():
    op.drop_index("ix_recording_chunks_storage_key", table_name="recording_chunks")
    op.drop_table("recording_chunks")
    op.drop_index("ix_call_recordings_open", table_name="call_recordings")
    op.drop_index("ix_call_recordings_alarm", table_name="call_recordings")
    op.drop_table("call_recordings")
