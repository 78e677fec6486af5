"""The public cards (notices/card_reading.py) read with Core show what the ORM page shows: the same
notices in the same order and pages, each with its first photo and its unit, for the plain list, one
kind and any filter, newest first and last seen first."""
import pytest

from portal.core.meta import utcnow
from portal.notices import card_reading
from portal.notices import reading as notices
from tests.factories import make_notice, make_photo


@pytest.fixture
def shelf(dbsession, units, registry):
    made = []
    for n in range(7):
        kind = "missing_person" if n % 2 == 0 else "wanted"
        notice = make_notice(dbsession, units["city_a"] if n % 3 else units["province"], kind=kind, minutes_ago=n,
                             verified_by_unit_id=units["city_a"].id if n % 2 else None,
                             verified_at=utcnow() if n % 2 else None)
        if notice.missing_person is not None:
            notice.missing_person.last_seen_at = utcnow().replace(microsecond=0) if n == 4 else None
        made.append(notice)
    for notice in made[1:5]:
        second, first = make_photo(dbsession, registry["media_store"], notice), \
            make_photo(dbsession, registry["media_store"], notice)
        second.position, first.position = 2, 1  # the main photo is the first by position, not by id
    make_notice(dbsession, units["city_a"], state="draft")
    dbsession.flush()
    return made


def _pages(read, **kw):
    cursor, pages = None, []
    while True:
        rows, cursor = read(cursor=cursor, size=3, **kw)
        pages.append([(n.id, n.kind, n.title, n.published_at, n.verified_by_unit_id, n.verified_at, n.unit.code,
                       n.media[0].id if n.media else None) for n in rows])
        if cursor is None:
            return pages


@pytest.mark.parametrize("filters", [None, {"kind": "missing_person"}, {"kind": "wanted"}, {"sex": "female"},
                                     {"kind": None, "region": None, "q": None}])
@pytest.mark.parametrize("sort", ["newest", "last_seen"])
def test_cards_match_the_orm_page(dbsession, shelf, filters, sort):
    orm = _pages(lambda **kw: notices.published_page(dbsession, **kw), filters=filters, sort=sort)
    cards = _pages(lambda **kw: card_reading.published_cards(dbsession, **kw), filters=filters, sort=sort)
    assert cards == orm and sum(map(len, cards)) >= 3
    assert any(photo is not None for page in cards for *_, photo in page)
    assert card_reading.published_count(dbsession, filters=filters, sort=sort) == \
        notices.published_count(dbsession, filters=filters, sort=sort) == sum(map(len, cards))


@pytest.mark.parametrize("filters", [None, {"kind": "missing_person"}, {"kind": "wanted"}, {"sex": "female"}])
@pytest.mark.parametrize("sort", ["newest", "last_seen"])
def test_the_list_page_reads_the_same_cards_and_count(dbsession, shelf, filters, sort, statements):
    """list_page: the plain list's cards and count in one statement, the same as asked apart."""
    card_reading.published_cards(dbsession)  # the units' directory, kept per process, read once
    cursor, pages = None, 0
    while True:
        statements.clear()
        cards, next_cursor, total = card_reading.list_page(dbsession, filters=filters, cursor=cursor, size=2,
                                                           sort=sort)
        sent = len(statements)
        assert (cards, next_cursor) == card_reading.published_cards(dbsession, filters=filters, cursor=cursor,
                                                                    size=2, sort=sort)
        assert total == card_reading.published_count(dbsession, filters=filters, sort=sort) >= 3
        assert sent == (1 if not filters or set(filters) == {"kind"} else 2)
        pages += 1
        cursor = next_cursor
        if cursor is None:
            break
    assert pages >= 2
    past_the_end = card_reading.list_page(dbsession, filters=filters, cursor="1_1", size=2, sort=sort)
    assert past_the_end[:2] == ([], None) and past_the_end[2] == total


def test_the_plain_lists_statements_are_built_once(dbsession, shelf):
    card_reading.published_cards(dbsession, filters={"kind": "wanted"})
    built = card_reading._plain_page_statement.cache_info().currsize
    for _ in range(3):
        card_reading.published_cards(dbsession, filters={"kind": "wanted"})
        card_reading.published_count(dbsession, filters={"kind": "wanted"})
    assert card_reading._plain_page_statement.cache_info().currsize == built
    assert card_reading._plain_page_statement.cache_info().hits >= 3


@pytest.mark.parametrize("filters", [{}, {"kind": "wanted"}])  # the statements kept per process
def test_an_expired_notice_is_neither_a_card_nor_counted(dbsession, shelf, filters):
    from datetime import timedelta

    shown = [card.id for card in card_reading.published_cards(dbsession, filters=filters, size=50)[0]]
    counted = card_reading.published_count(dbsession, filters=filters)
    wanted = next(notice for notice in shelf if notice.kind == "wanted")
    wanted.expires_at = utcnow() - timedelta(minutes=1)
    dbsession.flush()
    cards = card_reading.published_cards(dbsession, filters=filters, size=50)[0]
    assert [card.id for card in cards] == [i for i in shown if i != wanted.id] and wanted.id in shown
    assert card_reading.published_count(dbsession, filters=filters) == counted - 1
