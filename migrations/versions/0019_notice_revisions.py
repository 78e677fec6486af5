"""Changes to published notices wait as revisions for a second officer's approval (four eyes, as for
the first publication); the public keeps the approved version meanwhile. Starts empty.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notice_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("pending_notice_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("old_values", sa.JSON(), nullable=False),
        sa.Column("new_values", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'approved', 'rejected', 'superseded')",
                           name=op.f("ck_notice_revisions_state")),
        sa.ForeignKeyConstraint(["author_id"], ["officers.id"], name=op.f("fk_notice_revisions_author_id_officers")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["officers.id"],
                                name=op.f("fk_notice_revisions_decided_by_id_officers")),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_notice_revisions_notice_id_notices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_revisions")),
        sa.UniqueConstraint("pending_notice_id", name=op.f("uq_notice_revisions_pending_notice_id")),
    )
    op.create_index(op.f("ix_notice_revisions_notice_id"), "notice_revisions", ["notice_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_notice_revisions_notice_id"), table_name="notice_revisions")
    op.drop_table("notice_revisions")
