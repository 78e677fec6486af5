"""The public generation counter that tells every server when to drop its cached public pages.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "public_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "generation": 0}])


def downgrade():
    op.drop_table("public_generation")
