"""The search index of published notices: for each one, the characters and character pairs of the
text the public search looks in (title, body, missing person's name and last-seen place).

The public filter still decides with LIKE (services/notices.py); this index only narrows the rows
LIKE has to read, so a rare word or one found nowhere no longer reads all 100,000 notices. A notice
that contains the query contains every pair of adjacent characters of it, so the notices holding all
of the query's pairs are a superset of the matches, whatever the database (SQLite's LIKE ignores
ASCII case: ASCII letters are lowered on both sides).

Storage: `terms` holds them space-separated; the database's own inverted index answers "which
notices hold all these terms": a GIN index on PostgreSQL, an FTS5 table on SQLite (migration 0006).

Kept in step by an after-flush hook: any ORM change to a notice's state or searched text re-indexes
that notice (only published notices are indexed). Writes that bypass the ORM (bulk Core inserts)
must call `reindex` themselves."""
from itertools import chain, pairwise

from sqlalchemy import ForeignKey, Text, delete, event, insert, select
from sqlalchemy.orm import Mapped, Session, attributes, mapped_column

from portal.core.meta import Base
from portal.notices.models import MissingPersonDetails, Notice

# The columns the public search looks in, and what changes a notice's place in the index.
SEARCHED = {Notice: ("state", "title", "body"), MissingPersonDetails: ("full_name", "last_seen_place")}
_ASCII_UPPER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
BATCH = 500
# The inverted index itself, made by migration 0006 for each database, outside the models: SQLite's
# FTS5 table (and its shadow tables), PostgreSQL's GIN index.
FTS_TABLE = "notice_search_fts"
GIN_INDEX = "ix_notice_search_terms"


class NoticeSearch(Base):
    __tablename__ = "notice_search"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True,
                                           autoincrement=False)
    terms: Mapped[str] = mapped_column(Text)


def include_name(name, type_, _parent_names) -> bool:
    """For Alembic's comparisons: the inverted index's own tables and index are not models."""
    return not ((type_ == "table" and name.startswith(FTS_TABLE)) or (type_ == "index" and name == GIN_INDEX))


def fold(text: str) -> str:
    """Lower ASCII letters only: what SQLite's LIKE ignores (PostgreSQL's LIKE ignores nothing)."""
    return text.translate(_ASCII_UPPER)


def _pairs(text: str) -> set[str]:
    return {a + b for a, b in pairwise(text) if a.isalnum() and b.isalnum()}


def terms(texts) -> str:
    """Every letter or digit, and every pair of adjacent letters or digits, of the given texts."""
    found = set()
    for text in texts:
        text = fold(text or "")
        found.update(c for c in text if c.isalnum())
        found.update(_pairs(text))
    return " ".join(sorted(found))


def query_terms(query: str) -> list[str]:
    """The terms every notice containing `query` holds: its pairs, and the characters no pair covers.
    Empty when the query has no letter or digit (such a query cannot be narrowed down)."""
    text = fold(query)
    pairs = _pairs(text)
    covered = set(chain.from_iterable(pairs))
    return sorted(pairs | {c for c in text if c.isalnum() and c not in covered})


def reindex(connection, notice_ids) -> None:
    """Bring these notices' index rows up to date with the notices as stored now."""
    ids = sorted(set(notice_ids))
    details = MissingPersonDetails
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        connection.execute(delete(NoticeSearch).where(NoticeSearch.notice_id.in_(chunk)))
        rows = connection.execute(
            select(Notice.id, Notice.title, Notice.body, details.full_name, details.last_seen_place)
            .outerjoin(details, details.notice_id == Notice.id)
            .where(Notice.id.in_(chunk), Notice.state == "published")
        ).all()
        if rows:
            connection.execute(insert(NoticeSearch), [{"notice_id": r[0], "terms": terms(r[1:])} for r in rows])


def _changed_notice_ids(session) -> set[int]:
    ids = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        watched = SEARCHED.get(type(obj))
        if watched is None:
            continue
        # Both tables are keyed by the notice's id; read it without loading anything.
        notice_id = obj.__dict__.get("id" if type(obj) is Notice else "notice_id")
        if notice_id is None:
            continue
        if obj in session.new or obj in session.deleted or any(
                attributes.get_history(obj, name, attributes.PASSIVE_NO_INITIALIZE).has_changes() for name in watched):
            ids.add(notice_id)
    return ids


@event.listens_for(Session, "after_flush")
def _keep_index_in_step(session, _flush_context):
    ids = _changed_notice_ids(session)
    if ids:
        reindex(session.connection(), ids)
