"""The search index of published notices (portal/models/search.py): a table of each notice's
characters and character pairs, indexed by the database's own inverted index, GIN on PostgreSQL
and an FTS5 table kept in step by triggers on SQLite. Filled here from the published notices.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# FTS5 over the table's own rows (external content), no positions: only "which rows hold the terms".
# The ascii tokenizer keeps every non-ASCII character inside a term, so each stored term is one token.
SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE notice_search_fts USING fts5(terms, content='notice_search', content_rowid='notice_id',"
    " tokenize='ascii', detail='none', columnsize=0)",
    "CREATE TRIGGER notice_search_ai AFTER INSERT ON notice_search BEGIN"
    " INSERT INTO notice_search_fts(rowid, terms) VALUES (new.notice_id, new.terms); END",
    "CREATE TRIGGER notice_search_ad AFTER DELETE ON notice_search BEGIN"
    " INSERT INTO notice_search_fts(notice_search_fts, rowid, terms) VALUES ('delete', old.notice_id, old.terms); END",
    "CREATE TRIGGER notice_search_au AFTER UPDATE ON notice_search BEGIN"
    " INSERT INTO notice_search_fts(notice_search_fts, rowid, terms) VALUES ('delete', old.notice_id, old.terms);"
    " INSERT INTO notice_search_fts(rowid, terms) VALUES (new.notice_id, new.terms); END",
]
# The terms as an array, for a GIN index. Declared costly (it is, next to the planner's default), so
# the planner answers "which notices hold these terms" from the index rather than by reading the table.
# No fast-update list: each publication updates the index at once, and no search scans a pending list.
POSTGRESQL_INDEX = [
    "CREATE FUNCTION notice_search_terms(terms text) RETURNS text[] LANGUAGE plpgsql IMMUTABLE STRICT"
    " PARALLEL SAFE COST 200 AS $$ BEGIN RETURN string_to_array(terms, ' '); END $$",
    "CREATE INDEX ix_notice_search_terms ON notice_search USING gin (notice_search_terms(terms))"
    " WITH (fastupdate = off)",
]


def upgrade():
    op.create_table(
        "notice_search",
        sa.Column("notice_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_notice_search_notice_id_notices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_notice_search")),
    )
    bind = op.get_bind()
    for statement in SQLITE_INDEX if bind.dialect.name == "sqlite" else POSTGRESQL_INDEX:
        op.execute(statement)
    from portal.notices.search_index import reindex

    published = bind.execute(sa.text("SELECT id FROM notices WHERE state = 'published'")).scalars().all()
    reindex(bind, published)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in ("notice_search_ai", "notice_search_ad", "notice_search_au"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE notice_search_fts")
    op.drop_table("notice_search")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION notice_search_terms(text)")
