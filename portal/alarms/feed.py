"""The dispatcher console's live feed: a cursor of the last settled message and position and a time,
and what changed since it (new alarms, state changes, new messages and positions)."""
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.alarms.dispatch import (
    ENDED_STATES,
    LOOKBACK,
    OPEN_STATES,
    RECENT,
    console,
    counts_for,
    scope_units,
    summary,
)
from portal.alarms.models import Alarm, AlarmLocation, AlarmMessage
from portal.alarms.raising import OVERLAP
from portal.core.meta import utcnow


class BadFeedCursor(ValueError):
    """A feed cursor this server did not make."""


CATCH_UP = 1000  # rows a new console looks back over for its first cursor
FEED_ROWS = 5000  # thread lines or positions read per poll (a console back from sleep catches up in steps)


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def encode_feed_cursor(since: datetime, message_id: int, location_id: int) -> str:
    return f"v1.{_ms(since)}.{message_id}.{location_id}"


def decode_feed_cursor(cursor: str) -> tuple[datetime, int, int]:
    parts = (cursor or "").split(".")
    if len(parts) != 4 or parts[0] != "v1" or not all(p.isdigit() and len(p) <= 15 for p in parts[1:]):
        raise BadFeedCursor(cursor)
    try:
        since = datetime.fromtimestamp(int(parts[1]) / 1000, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise BadFeedCursor(cursor) from exc
    return since, int(parts[2]), int(parts[3])


def _settled_id(dbsession, model, horizon: datetime) -> int:
    """The newest id of `model` older than `horizon` (looking only at the last CATCH_UP rows, on the
    primary key): rows after it may still be committing, so the first poll reads them again."""
    at = model.received_at if model is AlarmLocation else model.created_at
    newest = dbsession.execute(select(func.max(model.id))).scalar_one() or 0
    floor = max(0, newest - CATCH_UP)
    settled = dbsession.execute(select(func.max(model.id)).where(model.id > floor, at <= horizon)).scalar_one()
    return settled if settled is not None else floor


def start_cursor(dbsession, *, now=None) -> str:
    """The cursor of a console rendered now: later polls report what changes after this."""
    horizon = (now or utcnow()) - OVERLAP
    return encode_feed_cursor(horizon, _settled_id(dbsession, AlarmMessage, horizon),
                              _settled_id(dbsession, AlarmLocation, horizon))


def _new_rows(dbsession, model, after_id: int, horizon: datetime) -> tuple[set[int], int]:
    """Alarms with rows of `model` after `after_id` (by primary key: cheap), and the next cursor.
    The cursor stays before any row newer than `horizon`, so a row that commits late (with a
    smaller id than one already read) is still read; the caller filters the alarms by scope."""
    at = model.received_at if model is AlarmLocation else model.created_at
    rows = dbsession.execute(
        select(model.id, model.alarm_id, at).where(model.id > after_id).order_by(model.id).limit(FEED_ROWS)
    ).all()
    recent = [row_id for row_id, _alarm, created in rows if created > horizon]
    if recent:
        next_id = max(after_id, min(recent) - 1)
    else:
        next_id = rows[-1][0] if rows else after_id
    return {alarm_id for _row, alarm_id, _at in rows}, next_id


def feed(request, officer, cursor: str, *, now=None) -> dict:
    """What changed in the officer's scope since `cursor`: new alarms, changed states, new thread
    lines and positions (as updated console rows), every open alarm's id, and the next cursor.
    Raises BadFeedCursor for a cursor this server did not make."""
    dbsession = request.dbsession
    now = now or utcnow()
    if not cursor:
        return snapshot(request, officer, now=now)
    since, message_id, location_id = decode_feed_cursor(cursor)
    horizon = now - OVERLAP
    scope = scope_units(officer)
    open_ids = dbsession.execute(
        select(Alarm.id).where(Alarm.unit_id.in_(scope), Alarm.state.in_(OPEN_STATES))
        .order_by(Alarm.created_at.desc(), Alarm.id.desc())
    ).scalars().all()
    changed = set(dbsession.execute(
        select(Alarm.id).where(Alarm.unit_id.in_(scope), Alarm.state.in_(OPEN_STATES), Alarm.updated_at > since)
    ).scalars())
    changed |= set(dbsession.execute(
        select(Alarm.id).where(Alarm.unit_id.in_(scope), Alarm.state.in_(ENDED_STATES),
                               Alarm.created_at >= now - LOOKBACK, Alarm.updated_at > since)
    ).scalars())
    with_messages, message_id = _new_rows(dbsession, AlarmMessage, message_id, horizon)
    with_locations, location_id = _new_rows(dbsession, AlarmLocation, location_id, horizon)
    changed |= with_messages | with_locations
    alarms = dbsession.execute(
        select(Alarm).where(Alarm.id.in_(changed), Alarm.unit_id.in_(scope)).options(selectinload(Alarm.unit))
        .order_by(Alarm.created_at.desc(), Alarm.id.desc())
    ).scalars().all() if changed else []
    # Thread lines of alarms that ended long ago do not bring them back onto the console.
    alarms = [a for a in alarms if a.state in OPEN_STATES or (a.ended_at or a.updated_at) >= now - RECENT]
    counts = counts_for(dbsession, [a.id for a in alarms])
    return {
        "cursor": encode_feed_cursor(horizon, message_id, location_id),
        "alarms": [summary(request, a, counts[a.id]) for a in alarms],
        "open_ids": list(open_ids),
        "open_count": len(open_ids),
    }


def snapshot(request, officer, *, now=None) -> dict:
    """The feed without a cursor: every row of the console now, and the cursor to go on from."""
    now = now or utcnow()
    cursor = start_cursor(request.dbsession, now=now)
    lists = console(request.dbsession, officer, now=now)
    alarms = lists["open"] + lists["ended"]
    counts = counts_for(request.dbsession, [a.id for a in alarms])
    open_ids = [a.id for a in lists["open"]]
    return {"cursor": cursor, "alarms": [summary(request, a, counts[a.id]) for a in alarms],
            "open_ids": open_ids, "open_count": len(open_ids)}
