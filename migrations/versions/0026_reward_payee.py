"""A paid reward records who received it (their identity document, sealed) and the amount paid.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tip_rewards") as batch:
        batch.add_column(sa.Column("payee_id_sealed", sa.Text(), nullable=True))
        batch.add_column(sa.Column("amount_paid", sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table("tip_rewards") as batch:
        batch.drop_column("amount_paid")
        batch.drop_column("payee_id_sealed")
