"""Notice review (approver, note, verification) and kind-specific public fields.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TEXT_COLUMNS = [
    ("reward_conditions", sa.Text()),
    ("vehicle_plate", sa.String(length=20)),
    ("vehicle_make", sa.String(length=60)),
    ("vehicle_model", sa.String(length=60)),
    ("vehicle_colour", sa.String(length=30)),
    ("item_description", sa.Text()),
    ("found_place", sa.String(length=255)),
    ("suspect_description", sa.Text()),
    ("caution", sa.Text()),
]


def upgrade():
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approver_id", sa.Integer(), nullable=True))
        # Existing rows get an empty text; new rows get theirs from the application.
        batch_op.add_column(sa.Column("review_note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("verified_by_unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reward_amount", sa.Integer(), nullable=True))
        for name, type_ in TEXT_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=False, server_default=""))
        batch_op.create_foreign_key(op.f("fk_notices_approver_id_officers"), "officers", ["approver_id"], ["id"])
        batch_op.create_foreign_key(
            op.f("fk_notices_verified_by_unit_id_units"), "units", ["verified_by_unit_id"], ["id"]
        )
        batch_op.create_check_constraint(op.f("ck_notices_reward_amount"), "reward_amount IS NULL OR reward_amount > 0")
    # The defaults only served the existing rows; the models have none (keeps autogenerate quiet).
    with op.batch_alter_table("notices", schema=None) as batch_op:
        for name, type_ in [("review_note", sa.Text()), *TEXT_COLUMNS]:
            batch_op.alter_column(name, existing_type=type_, server_default=None)


def downgrade():
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notices_reward_amount"), type_="check")
        batch_op.drop_constraint(op.f("fk_notices_verified_by_unit_id_units"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_notices_approver_id_officers"), type_="foreignkey")
        for name, _type in reversed(TEXT_COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_column("reward_amount")
        batch_op.drop_column("verified_at")
        batch_op.drop_column("verified_by_unit_id")
        batch_op.drop_column("review_note")
        batch_op.drop_column("approver_id")
