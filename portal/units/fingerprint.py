"""The units' fingerprint: a value that moves whenever a unit is added, removed or changed, so each
process can keep what it derives from the units (routing polygons, the base map, the maps' settings)
and rebuild it only when the units move.

It is one statement: the shared public generation, which every change through units/services.py bumps
(core/generation.py) and so reaches every application server, plus a few aggregates of the units table,
so rows written without that service (seeding, tests, an operator's SQL) are seen too.

Public pages do not read it on every request: `current()` keeps it per process for MAX_AGE seconds.
A change made in this process is seen at once (a flush touching a unit counts in the fingerprint and
forgets the copy, and so does the commit), a change made by another server within MAX_AGE (through
the generation; without units/services.py only if the aggregates move). A page rendered meanwhile with the old base
map is not kept by the caching proxies: a change to a unit purges its tags after the commit and again
`portal.proxy.purge_repeat_seconds` (10 s) later (outbox/purges.py), well after MAX_AGE. Routing an
alarm reads the exact value (`read()`)."""
import threading
import time

from sqlalchemy import case, event, func, select
from sqlalchemy.orm import Session

from portal.core.generation import PublicGeneration
from portal.units.models import Unit

MAX_AGE = 2.0  # seconds; must stay well under the purges' repeat (outbox/purges.py)

_lock = threading.Lock()
_cache: dict = {}  # engine URL -> (time.monotonic() of the read, fingerprint)
# Flushes touching a unit in this process: part of the fingerprint, so a change the aggregates
# cannot see (a unit renamed without units/services.py, as tests and seeding do) still moves it here.
_local_changes = [0]


def engine_key(dbsession) -> str:
    """The database's URL, which keys the per-process copies. The app's sessions carry it, written once
    (core/db.py: a URL's str(), and its hash, quote every part of it, several times per public page)."""
    key = dbsession.info.get("database_key")
    if key is None:  # a session of a script's or a test's own
        bind = dbsession.get_bind()
        key = str(getattr(bind, "engine", bind).url)
    return key


def read(dbsession) -> tuple:
    """The exact fingerprint, read now (one statement); it also refreshes this process's copy."""
    local = _local_changes[0]
    generation = select(func.max(PublicGeneration.generation)).scalar_subquery()
    length = func.coalesce(func.length(Unit.jurisdiction), 0)
    fingerprint = (local, *dbsession.execute(select(
        generation,
        func.count(Unit.id), func.max(Unit.id), func.sum(length), func.sum(length * Unit.id),
        func.sum(case((Unit.is_command_center, Unit.id), else_=0)),
        func.sum(func.coalesce(Unit.parent_id, 0) * Unit.id),
    )).one())
    with _lock:
        _cache[engine_key(dbsession)] = (time.monotonic(), fingerprint)
    return fingerprint


def current(dbsession) -> tuple:
    """The fingerprint as this process last read it, read again when older than MAX_AGE seconds."""
    entry = _cache.get(engine_key(dbsession))
    if entry is not None and time.monotonic() - entry[0] < MAX_AGE and entry[1][0] == _local_changes[0]:
        return entry[1]
    return read(dbsession)


def forget() -> None:
    with _lock:
        _cache.clear()


@event.listens_for(Session, "after_flush")
def _forget_on_unit_flush(session, _flush_context):
    if any(isinstance(obj, Unit) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["units_changed"] = True
        with _lock:
            _local_changes[0] += 1
        forget()  # the next read in this transaction sees the change


@event.listens_for(Session, "after_commit")
def _forget_on_unit_commit(session):
    if session.info.pop("units_changed", False):
        forget()  # and every other request of this process once it is committed


@event.listens_for(Session, "after_rollback")
def _forget_on_unit_rollback(session):
    if session.info.pop("units_changed", False):
        forget()  # a read inside the rolled-back transaction may have kept the change
