"""Jurisdiction routing: which unit holds a point, and which command center takes an alarm from it.

Parsing and preparing every jurisdiction polygon costs far more than a look-up, and units change
rarely, so each process keeps the prepared polygons and rebuilds them only when the units' fingerprint
(units/fingerprint.py) moves. Routing reads it exactly every time, so an admin's edit is seen by every
server on its next routing."""
import json
import threading
from dataclasses import dataclass

from shapely import prepare
from shapely.geometry import Point, shape
from sqlalchemy import select

from portal.geo.position import is_on_earth
from portal.units import fingerprint as units_fingerprint
from portal.units.models import Unit


@dataclass(frozen=True)
class _Area:
    unit_id: int
    area: float
    depth: int
    bounds: tuple[float, float, float, float]
    geometry: object  # a prepared shapely geometry


@dataclass(frozen=True)
class _Index:
    areas: tuple[_Area, ...]
    parent: dict  # unit id -> parent id
    centers: frozenset  # ids of command centers
    root_id: int | None


_lock = threading.Lock()
_cache: dict = {}  # one entry per database (engine URL): (fingerprint, _Index)


def forget() -> None:
    """Drop the prepared polygons of this process (tests; an operator's console)."""
    with _lock:
        _cache.clear()
    units_fingerprint.forget()


def _build(dbsession) -> _Index:
    rows = dbsession.execute(
        select(Unit.id, Unit.parent_id, Unit.path, Unit.code, Unit.is_command_center, Unit.jurisdiction)
    ).all()
    areas = []
    for row in rows:
        if not row.jurisdiction:
            continue
        try:
            geometry = shape(json.loads(row.jurisdiction))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            continue  # services/units.py refuses such polygons; an old bad row must not stop routing
        if geometry.is_empty:
            continue
        prepare(geometry)
        areas.append(_Area(row.id, geometry.area, row.path.count("/"), geometry.bounds, geometry))
    # Smallest first: where polygons nest (or overlap) the most specific unit wins.
    areas.sort(key=lambda a: (a.area, -a.depth, a.unit_id))
    roots = sorted((row.code, row.id) for row in rows if row.parent_id is None)
    return _Index(
        areas=tuple(areas),
        parent={row.id: row.parent_id for row in rows},
        centers=frozenset(row.id for row in rows if row.is_command_center),
        root_id=roots[0][1] if roots else None,
    )


def _index(dbsession) -> _Index:
    key = units_fingerprint.engine_key(dbsession)
    fingerprint = units_fingerprint.read(dbsession)  # exact: an alarm goes by the jurisdictions of now
    with _lock:
        entry = _cache.get(key)
        if entry is not None and entry[0] == fingerprint:
            return entry[1]
    index = _build(dbsession)
    with _lock:
        _cache[key] = (fingerprint, index)
    return index


def _unit_id_for_point(index: _Index, lat, lon) -> int | None:
    if not is_on_earth(lat, lon):
        return None
    x, y = float(lon), float(lat)  # GeoJSON order: longitude, latitude
    point = Point(x, y)
    for area in index.areas:
        minx, miny, maxx, maxy = area.bounds
        if minx <= x <= maxx and miny <= y <= maxy and area.geometry.covers(point):
            return area.unit_id
    return None


def unit_for_point(dbsession, lat, lon) -> Unit | None:
    """The smallest unit whose jurisdiction holds the point; None when none does or the point is unknown."""
    unit_id = _unit_id_for_point(_index(dbsession), lat, lon)
    return dbsession.get(Unit, unit_id) if unit_id is not None else None


def command_center_for_point(dbsession, lat, lon) -> Unit | None:
    """The nearest command center at or above the unit holding the point; the root unit (the
    province) when the point is unknown, outside every jurisdiction, or no center is above it."""
    index = _index(dbsession)
    unit_id = _unit_id_for_point(index, lat, lon)
    seen = set()
    while unit_id is not None and unit_id not in seen:
        if unit_id in index.centers:
            return dbsession.get(Unit, unit_id)
        seen.add(unit_id)
        unit_id = index.parent.get(unit_id)
    return dbsession.get(Unit, index.root_id) if index.root_id is not None else None
