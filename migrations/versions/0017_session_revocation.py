"""Officers' session generation: signing out, a new password or deactivation ends every session of
the officer on the server side (a copied session cookie no longer signs anyone in).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("officers", sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would trip the foreign keys to it.
    op.drop_column("officers", "session_generation")
