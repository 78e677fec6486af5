"""The units' jurisdictions as a small public GeoJSON document, for the schematic map of the
location picker: code, level, parent, localized name and a simplified polygon, nothing else."""
import json

from shapely.geometry import mapping, shape
from sqlalchemy import select

from portal.units.models import Unit

# About 100 m: plenty for a schematic map, and real boundaries shrink from thousands of points.
SIMPLIFY_DEGREES = 0.001
DECIMALS = 4


def _rounded(coordinates):
    if isinstance(coordinates, (int, float)):
        return round(coordinates, DECIMALS)
    return [_rounded(c) for c in coordinates]


def _geometry(text: str) -> dict | None:
    try:
        geometry = shape(json.loads(text)).simplify(SIMPLIFY_DEGREES, preserve_topology=True)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None  # units.parse_jurisdiction keeps bad data out; an old row must not break the map
    if geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
        return None
    data = mapping(geometry)
    return {"type": data["type"], "coordinates": _rounded(data["coordinates"])}


def feature_collection(dbsession, locale: str) -> dict:
    """Every unit with a jurisdiction, parents before children (the map draws them in this order)."""
    units = dbsession.execute(
        select(Unit).where(Unit.jurisdiction.is_not(None)).order_by(Unit.path)
    ).scalars().all()
    codes = {unit.id: unit.code for unit in units}
    features = []
    for unit in units:
        geometry = _geometry(unit.jurisdiction)
        if geometry is None:
            continue
        features.append({
            "type": "Feature",
            "id": unit.code,
            "geometry": geometry,
            "properties": {"code": unit.code, "name": unit.name(locale), "level": unit.level,
                           "parent": codes.get(unit.parent_id)},
        })
    return {"type": "FeatureCollection", "features": features}
