"""The pre-rendered notice pages and their stamps leave: the caching proxy with tag purges keeps the
public pages now (core/caching.py, outbox/purges.py). Downgrading makes the tables again, empty (the
code of that time renders their pages on first view).

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table("notice_page_stamps")
    op.drop_table("notice_pages")


def downgrade():
    op.create_table(
        "notice_pages",
        sa.Column("notice_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("variant", sa.String(length=24), nullable=False),
        sa.Column("code_version", sa.String(length=16), nullable=False),
        sa.Column("stamp", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("etag", sa.String(length=32), nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_notice_pages_notice_id_notices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("notice_id", "variant", name=op.f("pk_notice_pages")),
    )
    op.create_table(
        "notice_page_stamps",
        sa.Column("notice_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stamp", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_notice_page_stamps_notice_id_notices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_notice_page_stamps")),
    )
