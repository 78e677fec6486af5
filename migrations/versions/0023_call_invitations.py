"""A dispatcher's invitation to share (instant on scene): a one-time link sent by SMS, its mode, the
sealed phone number, the device it is bound to and the alarm the person's consent raised.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "call_invitations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id", name=op.f("fk_call_invitations_unit_id_units")),
                  nullable=False),
        sa.Column("officer_id", sa.Integer(),
                  sa.ForeignKey("officers.id", name=op.f("fk_call_invitations_officer_id_officers")), nullable=False),
        sa.Column("mode", sa.String(12), nullable=False),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("device_hash", sa.String(64), nullable=True),
        sa.Column("alarm_id", sa.Integer(), sa.ForeignKey("alarms.id", name=op.f("fk_call_invitations_alarm_id_alarms"),
                                                          ondelete="SET NULL"), nullable=True),
        sa.CheckConstraint("mode IN ('location', 'video', 'upload')", name=op.f("ck_call_invitations_mode")),
        sa.CheckConstraint("state IN ('sent', 'opened', 'used', 'expired', 'revoked')",
                           name=op.f("ck_call_invitations_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_call_invitations_token_hash")),
    )
    op.create_index("ix_call_invitations_unit", "call_invitations", ["unit_id", "created_at"])
    op.create_index("ix_call_invitations_due", "call_invitations", ["state", "expires_at"])
    op.create_index("uq_call_invitations_alarm", "call_invitations", ["alarm_id"], unique=True)


def downgrade():
    op.drop_index("uq_call_invitations_alarm", table_name="call_invitations")
    op.drop_index("ix_call_invitations_due", table_name="call_invitations")
    op.drop_index("ix_call_invitations_unit", table_name="call_invitations")
    op.drop_table("call_invitations")
