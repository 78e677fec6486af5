"""cursor.description made once per shape of result (core/pg_cursor.py) equals psycopg's own, column
for column, for every kind of column, the first time and from the memo."""
import psycopg
import pytest
from sqlalchemy import text

from portal.core.db import get_engine
from portal.core.pg_cursor import DescribedOnceCursor
from tests.conftest import postgres_url, skip_or_fail_without_postgres

QUERIES = [
    "SELECT 1 AS n, 'a'::text AS t, 2.50::numeric(10,2) AS money, 'x'::varchar(20) AS short",
    "SELECT now() AS at, '2026-12-06'::date AS day, true AS yes, NULL AS nothing, '{1,2}'::int[] AS many",
    "SELECT '{\"a\": 1}'::jsonb AS doc, 'abc'::bytea AS raw, 1 AS n, 2 AS n",  # a repeated name
    "SELECT 1::bigint AS n, 'a'::varchar(5) AS t, 2.50::numeric(12,4) AS money, 'x'::char(3) AS short",
    "SELECT '北京' AS 名字",
]


def describe(cursor) -> list:
    return [(c.name, c.type_code, c.display_size, c.internal_size, c.precision, c.scale, c.null_ok, c.type_display)
            for c in cursor.description]


@pytest.fixture(scope="module")
def connection():
    skip_or_fail_without_postgres(postgres_url())
    dsn = postgres_url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as plain:
        yield plain


@pytest.mark.parametrize("query", QUERIES)
def test_the_same_description_as_psycopgs_first_and_from_the_memo(connection, query):
    expected = describe(connection.cursor().execute(query))
    for _time in range(3):
        described = DescribedOnceCursor(connection).execute(query)
        assert describe(described) == expected
        assert described.fetchone() is not None


def test_same_names_with_other_types_are_other_shapes(connection):
    """QUERIES[0] and [3] name the same columns with other types and modifiers."""
    first, other = (describe(DescribedOnceCursor(connection).execute(query)) for query in (QUERIES[0], QUERIES[3]))
    assert [c[0] for c in first] == [c[0] for c in other]
    assert first != other


def test_each_cursor_gets_its_own_list(connection):
    one = DescribedOnceCursor(connection).execute(QUERIES[0]).description
    one.clear()
    assert len(DescribedOnceCursor(connection).execute(QUERIES[0]).description) == 4


def test_a_statement_without_rows_has_no_description(connection):
    cursor = DescribedOnceCursor(connection)
    cursor.execute("CREATE TEMPORARY TABLE described (n int)")
    assert cursor.description is None
    cursor.execute("INSERT INTO described VALUES (1)")
    assert cursor.description is None
    assert DescribedOnceCursor(connection).execute("SELECT ").description == []


def test_the_portals_postgresql_engine_uses_it():
    skip_or_fail_without_postgres(postgres_url())
    engine = get_engine({"sqlalchemy.url": postgres_url()})
    try:
        with engine.connect() as connection:
            assert isinstance(connection.connection.dbapi_connection.cursor(), DescribedOnceCursor)
            assert connection.execute(text("SELECT 41 + 1 AS answer")).mappings().one() == {"answer": 42}
    finally:
        engine.dispose()
