"""The staff tip queue: unit scope, filters, newest-first keyset pages that neither skip nor repeat
a tip (also among tips received at the same instant), capped counts; the per-unit merge and the
single query give the same answer."""
from datetime import timedelta

import pytest

from portal.core.meta import utcnow
from portal.core.pagination import BadCursor, encode_cursor
from portal.tips import queue as tip_queue
from portal.tips.queue import QueueFilters
from tests.factories import make_category, make_officer, make_tip


@pytest.fixture
def world(dbsession, units):
    """Tips in every unit, several sharing one instant, in each state, with and without flags."""
    fraud, guns = make_category(dbsession, slug="q-fraud"), make_category(dbsession, slug="q-guns", danger=True)
    handler = make_officer(dbsession, units["city_a"], ["handler"], username="q_handler")
    instant = utcnow() - timedelta(hours=1)
    tips = []
    for i in range(24):
        unit = ("county_a", "city_a", "county_b", "city_b", "province")[i % 5]
        state = ("received", "triaged", "assigned", "in_progress", "closed")[(i // 2) % 5]
        created = instant if i % 4 == 0 else instant - timedelta(minutes=i)
        tip = make_tip(dbsession, units[unit], guns if i % 6 == 0 else fraud, state=state, flagged=i % 7 == 0,
                       danger=i % 6 == 0, assigned_to=handler if state in ("assigned", "in_progress") else None)
        tip.created_at = created
        tips.append(tip)
    dbsession.flush()
    officers = {name: make_officer(dbsession, units[unit], ["moderator"], username=f"q_{name}")
                for name, unit in (("province", "province"), ("city_a", "city_a"), ("county_a", "county_a"),
                                   ("city_b", "city_b"))}
    officers["handler"] = handler
    return {"tips": tips, "officers": officers, "fraud": fraud, "guns": guns, "instant": instant}


def expected(world, units, officer, keep=lambda t: True):
    unit = officer.unit
    rows = [t for t in world["tips"] if unit.contains(t.unit) and keep(t)]
    return [t.id for t in sorted(rows, key=lambda t: (t.created_at, t.id), reverse=True)]


def walk(dbsession, officer, filters=QueueFilters(), size=4):
    seen, cursor = [], None
    while True:
        rows, cursor = tip_queue.page(dbsession, officer, filters, cursor=cursor, size=size)
        seen += [t.id for t in rows]
        if cursor is None:
            return seen


@pytest.mark.parametrize("merge_limit", [tip_queue.MERGE_LIMIT, 0])  # per-unit ranges merged, and one query
@pytest.mark.parametrize("who", ["province", "city_a", "county_a", "city_b"])
def test_pages_cover_the_scope_newest_first_without_gaps_or_repeats(dbsession, units, world, monkeypatch, who,
                                                                     merge_limit):
    monkeypatch.setattr(tip_queue, "MERGE_LIMIT", merge_limit)
    officer = world["officers"][who]
    assert walk(dbsession, officer) == expected(world, units, officer)
    assert walk(dbsession, officer, size=50) == expected(world, units, officer)


@pytest.mark.parametrize("merge_limit", [tip_queue.MERGE_LIMIT, 0])
def test_each_filter(dbsession, units, world, monkeypatch, merge_limit):
    monkeypatch.setattr(tip_queue, "MERGE_LIMIT", merge_limit)
    officer, handler = world["officers"]["city_a"], world["officers"]["handler"]
    since = world["instant"] - timedelta(minutes=10)
    cases = [
        (QueueFilters(state="received"), lambda t: t.state == "received"),
        (QueueFilters(state="closed"), lambda t: t.state == "closed"),
        (QueueFilters(category_id=world["guns"].id), lambda t: t.category_id == world["guns"].id),
        (QueueFilters(flagged=True), lambda t: t.flagged),
        (QueueFilters(danger=True, state="received"), lambda t: t.danger and t.state == "received"),
        (QueueFilters(since=since), lambda t: t.created_at >= since),
        (QueueFilters(until=since), lambda t: t.created_at < since),
        (QueueFilters(since=since, until=world["instant"]), lambda t: since <= t.created_at < world["instant"]),
    ]
    for filters, keep in cases:
        assert walk(dbsession, officer, filters, size=3) == expected(world, units, officer, keep), filters
    mine = walk(dbsession, handler, QueueFilters(mine=True), size=3)
    assert mine and mine == expected(world, units, handler, lambda t: t.assigned_to_id == handler.id)
    assert walk(dbsession, officer, QueueFilters(mine=True)) == []


def test_the_scope_of_each_officer(dbsession, units, world):
    province = tip_queue.scope_of(dbsession, world["officers"]["province"])
    assert province.everything and set(province.unit_ids) == {u.id for u in units.values()}
    county = tip_queue.scope_of(dbsession, world["officers"]["county_a"])
    assert (county.unit_ids, county.everything) == ((units["county_a"].id,), False)
    city = tip_queue.scope_of(dbsession, world["officers"]["city_a"])
    assert set(city.unit_ids) == {units["city_a"].id, units["county_a"].id}


@pytest.mark.parametrize("merge_limit", [tip_queue.MERGE_LIMIT, 0])
def test_counts_per_state_follow_the_other_filters_and_stop_at_the_cap(dbsession, units, world, monkeypatch,
                                                                       merge_limit):
    monkeypatch.setattr(tip_queue, "MERGE_LIMIT", merge_limit)
    officer = world["officers"]["province"]
    every = tip_queue.counts(dbsession, officer)
    assert list(every) == ["received", "triaged", "assigned", "in_progress", "closed"]
    assert every == {s: len(expected(world, units, officer, lambda t, s=s: t.state == s)) for s in every}
    guns = tip_queue.counts(dbsession, officer, QueueFilters(category_id=world["guns"].id, state="closed"))
    assert guns == {s: len(expected(world, units, officer, lambda t, s=s: t.state == s and t.danger)) for s in every}
    monkeypatch.setattr(tip_queue, "COUNT_CAP", 2)
    capped = tip_queue.counts(dbsession, officer)
    assert capped == {s: min(n, 3) for s, n in every.items()}
    assert tip_queue.waiting_count(dbsession, world["officers"]["county_a"]) == len(
        expected(world, units, world["officers"]["county_a"], lambda t: t.state == "received"))
    assert tip_queue.assigned_count(dbsession, world["officers"]["handler"]) == len(
        [t for t in world["tips"] if t.assigned_to_id == world["officers"]["handler"].id])


def test_an_officer_of_a_unit_with_no_tips_sees_an_empty_queue(dbsession, units):
    officer = make_officer(dbsession, units["county_b"], ["moderator"])
    assert tip_queue.page(dbsession, officer) == ([], None)
    assert set(tip_queue.counts(dbsession, officer).values()) == {0}


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGEgY3Vyc29y", encode_cursor(utcnow(), 1)[:-3]])
def test_a_cursor_we_did_not_make_is_refused(dbsession, units, world, cursor):
    with pytest.raises(BadCursor):
        tip_queue.page(dbsession, world["officers"]["city_a"], cursor=cursor)


def test_an_unknown_state_is_a_programming_error():
    with pytest.raises(ValueError):
        QueueFilters(state="lost")
