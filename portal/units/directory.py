"""Every unit's code, place in the tree and names, kept per process: the list page's region filter
and the notice cards' badges show them on every page, and they change only with the units.

Rebuilt when the units' fingerprint moves (units/fingerprint.py: read at most every MAX_AGE seconds
per process, at once after a change in this process). Pages showing them carry the `unit-list` or
`unit-<code>` tags, which a change purges after its commit and again seconds later, so a page
rendered from a copy a moment old is not kept by the proxies."""
import threading
from dataclasses import dataclass

from sqlalchemy import select

from portal.units import fingerprint as units_fingerprint
from portal.units.models import Unit


@dataclass(frozen=True)
class UnitName:
    """What a public page shows of a unit; `name()` and `ancestor_codes` as on Unit."""

    id: int
    code: str
    path: str
    name_zh: str
    name_en: str
    name_ug: str

    name = Unit.name
    ancestor_codes = Unit.ancestor_codes


@dataclass(frozen=True)
class Directory:
    in_tree_order: tuple[UnitName, ...]  # by path: each unit right after the one above it
    by_id: dict


_lock = threading.Lock()
_cache: dict = {}  # engine URL -> (fingerprint, Directory)


def directory(dbsession) -> Directory:
    key = units_fingerprint.engine_key(dbsession)
    fingerprint = units_fingerprint.current(dbsession)
    entry = _cache.get(key)
    if entry is not None and entry[0] == fingerprint:
        return entry[1]
    rows = dbsession.execute(select(Unit.id, Unit.code, Unit.path, Unit.name_zh, Unit.name_en, Unit.name_ug)
                             .order_by(Unit.path)).all()
    units = tuple(UnitName(*row) for row in rows)
    built = Directory(units, {unit.id: unit for unit in units})
    with _lock:
        _cache[key] = (fingerprint, built)
    return built
