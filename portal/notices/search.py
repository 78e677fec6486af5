"""Narrowing the public free-text search down with the search index (portal/models/search.py).

The index gives the published notices that hold every character pair of the query: a superset of
the matches, which the LIKE filter then checks exactly, so results are the same as LIKE alone. A
rare word, or one found nowhere, then costs an index probe instead of reading every notice."""
from sqlalchemy import text

from portal.notices.search_index import query_terms

# More candidates than this means a common word: walking the newest notices with LIKE fills a page
# sooner than reading every candidate.
CANDIDATE_LIMIT = 500
# Each term is one FTS5 token (SQLite) or one array element (PostgreSQL, GIN index).
_SQLITE = text("SELECT rowid FROM notice_search_fts WHERE notice_search_fts MATCH :match LIMIT :limit")
_POSTGRESQL = text("SELECT notice_id FROM notice_search WHERE notice_search_terms(terms) @> CAST(:terms AS text[])"
                   " LIMIT :limit")


def candidates(dbsession, query: str, limit: int | None = None) -> list[int] | None:
    """Ids of the published notices that may contain `query` (all that do, and few others), or None
    when the index cannot narrow it down: no letter or digit in the query, or a common word."""
    wanted = query_terms(query)
    if not wanted:
        return None
    limit = limit or CANDIDATE_LIMIT
    if dbsession.get_bind().dialect.name == "sqlite":
        # Quoted, no term is read as FTS5 query syntax.
        result = dbsession.execute(_SQLITE, {"match": " ".join(f'"{t}"' for t in wanted), "limit": limit})
    else:
        result = dbsession.execute(_POSTGRESQL, {"terms": wanted, "limit": limit})
    ids = result.scalars().all()
    return None if len(ids) >= limit else ids
