"""The staff tip queue: the tips of the officer's unit and the units below it, newest first, one
keyset page at a time, with counts per state.

Fast at a million tips (bench/tips_queue.py): a scope is a handful of units, so a page is read as
one short index range per unit (ix_tips_queue, or ix_tips_state_queue with a state filter), each
stopped after a page of rows, and the few rows merged: the cost is units x page size, whatever the
table's size, the date range or the depth of the page. A scope of more than MERGE_LIMIT units (or
"assigned to me", which ix_tips_assigned answers) is one ordinary query. Counts stop at COUNT_CAP
per state so that a unit with years of closed tips does not read them all on every page."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.orm import selectinload

from portal.core.pagination import decode_cursor, encode_cursor
from portal.tips.models import TIP_STATES, Tip
from portal.units.models import Unit
from portal.units.scope import in_scope_clause

PAGE_SIZE = 50
MERGE_LIMIT = 64  # units in scope read one range each; more than this: one query over all of them
COUNT_CAP = 10_000  # a state with more tips than this shows "10,000+"
OPEN_STATES = ("received", "triaged", "assigned", "in_progress")


@dataclass(frozen=True)
class QueueFilters:
    category_id: int | None = None
    state: str | None = None
    since: datetime | None = None  # inclusive, aware
    until: datetime | None = None  # exclusive, aware
    flagged: bool = False
    danger: bool = False
    mine: bool = False  # assigned to the officer looking

    def __post_init__(self):
        if self.state is not None and self.state not in TIP_STATES:
            raise ValueError(f"unknown tip state {self.state!r}")


@dataclass(frozen=True)
class Scope:
    """The units an officer sees: their ids, and whether that is every unit (no filter needed)."""

    unit_ids: tuple[int, ...]
    everything: bool


def scope_of(dbsession, officer) -> Scope:
    ids = tuple(dbsession.execute(select(Unit.id).where(in_scope_clause(officer)).order_by(Unit.id)).scalars())
    everything = officer.unit.parent_id is None and len(ids) == dbsession.execute(
        select(func.count(Unit.id))).scalar_one()
    return Scope(ids, everything)


def _conditions(filters: QueueFilters, officer, *, state=True) -> list:
    conditions = []
    if state and filters.state is not None:
        conditions.append(Tip.state == filters.state)
    if filters.category_id is not None:
        conditions.append(Tip.category_id == filters.category_id)
    if filters.since is not None:
        conditions.append(Tip.created_at >= filters.since)
    if filters.until is not None:
        conditions.append(Tip.created_at < filters.until)
    if filters.flagged:
        conditions.append(Tip.flagged.is_(True))
    if filters.danger:
        conditions.append(Tip.danger.is_(True))
    if filters.mine:
        conditions.append(Tip.assigned_to_id == officer.id)
    return conditions


def _older_than(cursor: str) -> list:
    """Rows after the cursor in newest-first order. `created_at <= at` is the index range on both
    databases; the OR only drops the few rows sharing that instant."""
    at, last_id = decode_cursor(cursor)
    return [Tip.created_at <= at, or_(Tip.created_at < at, Tip.id < last_id)]


def _newest_first(query, columns=Tip):
    return query.order_by(columns.created_at.desc(), columns.id.desc())


def _page_ids(scope: Scope, conditions: list, limit: int, merge: bool):
    if not scope.unit_ids:
        return None
    if merge and len(scope.unit_ids) == 1:
        return _newest_first(select(Tip.id).where(Tip.unit_id == scope.unit_ids[0], *conditions)).limit(limit)
    if merge and len(scope.unit_ids) <= MERGE_LIMIT:
        ranges = [_newest_first(select(Tip.id, Tip.created_at).where(Tip.unit_id == unit_id, *conditions))
                  .limit(limit).subquery() for unit_id in scope.unit_ids]
        merged = union_all(*[select(r.c.id, r.c.created_at) for r in ranges]).subquery()
        return _newest_first(select(merged.c.id), merged.c).limit(limit)
    query = select(Tip.id).where(*conditions)
    if not scope.everything:
        query = query.where(Tip.unit_id.in_(scope.unit_ids))
    return _newest_first(query).limit(limit)


def page(dbsession, officer, filters: QueueFilters = QueueFilters(), *, cursor: str | None = None,
         size: int = PAGE_SIZE, scope: Scope | None = None) -> tuple[list[Tip], str | None]:
    """One page of the queue and the cursor of the next (None on the last). BadCursor for a
    cursor this code did not make."""
    scope = scope if scope is not None else scope_of(dbsession, officer)
    conditions = _conditions(filters, officer) + (_older_than(cursor) if cursor else [])
    query = _page_ids(scope, conditions, size + 1, merge=not filters.mine)
    if query is None:
        return [], None
    ids = list(dbsession.execute(query).scalars())
    more = len(ids) > size
    ids = ids[:size]
    rows = {tip.id: tip for tip in dbsession.execute(
        select(Tip).where(Tip.id.in_(ids)).options(
            selectinload(Tip.category), selectinload(Tip.unit), selectinload(Tip.assigned_to))
    ).scalars()} if ids else {}
    tips = [rows[i] for i in ids]
    return tips, (encode_cursor(tips[-1].created_at, tips[-1].id) if more else None)


def counts(dbsession, officer, filters: QueueFilters = QueueFilters(), *,
           scope: Scope | None = None) -> dict[str, int]:
    """Tips per state under the other filters (every state, zeros too), each counted up to
    COUNT_CAP + 1: above the cap the caller shows "COUNT_CAP+". One statement; every count is a
    range of ix_tips_state_queue per unit."""
    scope = scope if scope is not None else scope_of(dbsession, officer)
    if not scope.unit_ids:
        return dict.fromkeys(TIP_STATES, 0)
    conditions = _conditions(filters, officer, state=False)
    if len(scope.unit_ids) <= MERGE_LIMIT or not scope.everything:
        conditions.append(Tip.unit_id.in_(scope.unit_ids))

    def capped(state):
        matching = select(literal(1)).where(Tip.state == state, *conditions).limit(COUNT_CAP + 1).subquery()
        return select(func.count()).select_from(matching).scalar_subquery().label(state)

    row = dbsession.execute(select(*[capped(state) for state in TIP_STATES])).one()
    return dict(zip(TIP_STATES, row, strict=True))


def waiting_count(dbsession, officer) -> int:
    """Tips that arrived in the officer's units and nobody has triaged yet (the dashboard)."""
    return counts(dbsession, officer, QueueFilters())["received"]


def assigned_count(dbsession, officer) -> int:
    """Tips assigned to the officer that are not closed (the dashboard; ix_tips_assigned)."""
    return dbsession.execute(
        select(func.count(Tip.id)).where(Tip.assigned_to_id == officer.id, Tip.state.in_(("assigned", "in_progress")))
    ).scalar_one()
