"""Every unit's code, place in the tree, names and 110 number, kept per process: the list page's region
filter, the notice cards and the public notice pages show them on every page, and they change only
with the units.

Rebuilt when the units' fingerprint moves (units/fingerprint.py: read at most every MAX_AGE seconds
per process, at once after a change in this process). Pages showing them carry the `unit-list` or
`unit-<code>` tags, which a change purges after its commit and again seconds later, so a page
rendered from a copy a moment old is not kept by the proxies."""
import threading
from dataclasses import dataclass

from sqlalchemy import select

from portal.core.i18n import Translated
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
    phone_110: str

    name = Unit.name
    ancestor_codes = Unit.ancestor_codes


@dataclass(frozen=True)
class Directory:
    in_tree_order: tuple[UnitName, ...]  # by path: each unit right after the one above it
    by_id: Translated  # no translation strings in it: pages' template_globals need not walk it


_COLUMNS = (Unit.id, Unit.code, Unit.path, Unit.name_zh, Unit.name_en, Unit.name_ug, Unit.phone_110)
_lock = threading.Lock()
_cache: dict = {}  # engine URL -> (fingerprint, Directory)


def directory(dbsession) -> Directory:
    key = units_fingerprint.engine_key(dbsession)
    fingerprint = units_fingerprint.current(dbsession)
    entry = _cache.get(key)
    if entry is not None and entry[0] == fingerprint:
        return entry[1]
    rows = dbsession.execute(select(*_COLUMNS).order_by(Unit.path)).all()
    units = tuple(UnitName(*row) for row in rows)
    built = Directory(units, Translated({unit.id: unit for unit in units}))
    with _lock:
        _cache[key] = (fingerprint, built)
    return built


def unit_name(dbsession, units: Directory, unit_id: int) -> UnitName:
    """The unit from the directory `units`; read from the database if the copy does not know it yet
    (a unit another server added less than the fingerprint's MAX_AGE ago)."""
    found = units.by_id.get(unit_id)
    if found is None:
        found = UnitName(*dbsession.execute(select(*_COLUMNS).where(Unit.id == unit_id)).one())
    return found
