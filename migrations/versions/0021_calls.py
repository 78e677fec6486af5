"""Video, silent video and voice alarms: alarms.kind takes the call kinds (and grows to 16
characters); a call and its WebRTC signals are rows of their own.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

KINDS = "kind IN ('text', 'silent', 'video', 'silent_video', 'voice')"
KINDS_BEFORE = "kind IN ('text', 'silent')"


def upgrade():
    with op.batch_alter_table("alarms") as batch:
        batch.drop_constraint(batch.f("ck_alarms_kind"), type_="check")
        batch.alter_column("kind", type_=sa.String(16), existing_type=sa.String(8), existing_nullable=False)
        batch.create_check_constraint(batch.f("ck_alarms_kind"), KINDS)
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alarm_id", sa.Integer(), sa.ForeignKey("alarms.id", name=op.f("fk_calls_alarm_id_alarms"),
                                                          ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("officers.id", name=op.f("fk_calls_officer_id_officers")),
                  nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
        sa.Column("caller_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatcher_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('video', 'silent_video', 'voice')", name=op.f("ck_calls_kind")),
        sa.CheckConstraint("state IN ('ringing', 'connected', 'held', 'ended')", name=op.f("ck_calls_state")),
        sa.CheckConstraint("end_reason IS NULL OR end_reason IN ('caller', 'dispatcher', 'unanswered', 'failed', "
                           "'alarm_ended')", name=op.f("ck_calls_end_reason")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    op.create_index("ix_calls_alarm", "calls", ["alarm_id", "id"])
    op.create_index("ix_calls_open", "calls", ["state", "created_at"])
    op.create_table(
        "call_signals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("calls.id", name=op.f("fk_call_signals_call_id_calls"),
                                                         ondelete="CASCADE"), nullable=False),
        sa.Column("side", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("side IN ('caller', 'dispatcher')", name=op.f("ck_call_signals_side")),
        sa.CheckConstraint("kind IN ('offer', 'answer', 'candidate', 'bye')", name=op.f("ck_call_signals_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_signals")),
    )
    op.create_index("ix_call_signals_call", "call_signals", ["call_id", "side", "id"])


def downgrade():
    op.drop_index("ix_call_signals_call", table_name="call_signals")
    op.drop_table("call_signals")
    op.drop_index("ix_calls_open", table_name="calls")
    op.drop_index("ix_calls_alarm", table_name="calls")
    op.drop_table("calls")
    # The code before knows text and silent alarms only: a call alarm stays an alarm, a silent one.
    op.execute("UPDATE alarms SET kind = 'silent' WHERE kind NOT IN ('text', 'silent')")
    with op.batch_alter_table("alarms") as batch:
        batch.drop_constraint(batch.f("ck_alarms_kind"), type_="check")
        batch.alter_column("kind", type_=sa.String(8), existing_type=sa.String(16), existing_nullable=False)
        batch.create_check_constraint(batch.f("ck_alarms_kind"), KINDS_BEFORE)
