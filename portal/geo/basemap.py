"""The province's own base map, generated from the units' areas: where no tile service is configured
(the demo, a laptop, a network without internet) the portal draws its map from this.

Everything is derived deterministically from the units table (codes, Chinese names, jurisdictions):
a seat town for every city and county unit, a handful of villages in every county, roads between
them, two rivers and a lake across the province, the unit boundaries. The same units give the same
map on every server, and its `version` (a hash of what it was made from) names the tile cache."""
import hashlib
import json
import math
import random
import threading
from dataclasses import dataclass, field

from shapely.geometry import Point, shape
from sqlalchemy import select

from portal.units import fingerprint as units_fingerprint
from portal.units.models import Unit

SUFFIXES = ("公安厅", "公安分局", "公安局")
VILLAGE_FIRST = "王李张刘陈杨赵周吴徐孙马朱胡郭何高林"
VILLAGE_NATURE = ("柳树", "石桥", "杨庄", "枣林", "黄土", "白沙", "红旗", "新华", "三里", "十里", "桃园", "北关",
                  "南屯", "东营", "西坡", "马头", "龙泉", "青石")
VILLAGE_ENDS = ("家庄", "家村", "家营", "家屯", "家洼")
TOWN_ENDS = ("镇", "铺", "店")
VILLAGES_PER_COUNTY = 40
# Ranks of places: 1 city seat, 2 county seat, 3 market town, 4 village (labels appear by zoom).
RADIUS_DEGREES = {1: 0.045, 2: 0.022, 3: 0.007, 4: 0.0035}


@dataclass(frozen=True)
class Place:
    name: str
    lon: float
    lat: float
    rank: int
    unit_code: str


@dataclass
class Geography:
    version: str
    bounds: tuple[float, float, float, float]  # west, south, east, north of the province
    boundaries: list = field(default_factory=list)  # (depth, [rings of (lon, lat)])
    places: list = field(default_factory=list)
    roads: list = field(default_factory=list)  # (kind, [(lon, lat)]) kind: "highway" or "road"
    rivers: list = field(default_factory=list)  # (width class 1..2, [(lon, lat)])
    lakes: list = field(default_factory=list)  # [(lon, lat)] rings
    built_up: list = field(default_factory=list)  # (rank, [(lon, lat)] ring)
    streets: list = field(default_factory=list)  # [(lon, lat), (lon, lat)] segments inside towns

    def places_json(self) -> list[dict]:
        return [{"name": p.name, "lat": round(p.lat, 5), "lon": round(p.lon, 5), "rank": p.rank}
                for p in self.places]


def short_name(name_zh: str, parent_short: str = "") -> str:
    """"东川市河口区公安分局" under "东川市" -> "河口区": the place a unit is named after."""
    for suffix in SUFFIXES:
        if name_zh.endswith(suffix):
            name_zh = name_zh[: -len(suffix)]
            break
    if parent_short and name_zh.startswith(parent_short) and len(name_zh) > len(parent_short):
        name_zh = name_zh[len(parent_short):]
    return name_zh


def _wiggle(start, end, rng, amplitude=0.12, steps=12):
    """A line from start to end that bends like a road or river, not a ruler."""
    (x0, y0), (x1, y1) = start, end
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length  # unit normal
    phase, turns = rng.uniform(0, math.tau), rng.uniform(1.0, 2.5)
    points = []
    for i in range(steps + 1):
        t = i / steps
        offset = amplitude * length * math.sin(math.pi * t) * math.sin(turns * math.pi * t + phase) * 0.5
        points.append((x0 + (x1 - x0) * t + nx * offset, y0 + (y1 - y0) * t + ny * offset))
    return points


def _blob(lon, lat, radius, rng, corners=14):
    """An irregular round outline: the built-up area of a town."""
    squeeze = math.cos(math.radians(lat))
    ring = []
    for i in range(corners):
        angle = math.tau * i / corners
        r = radius * rng.uniform(0.7, 1.15)
        ring.append((lon + r * math.cos(angle) / squeeze, lat + r * math.sin(angle)))
    ring.append(ring[0])
    return ring


def _street_grid(lon, lat, radius, spacing):
    squeeze = math.cos(math.radians(lat))
    segments = []
    steps = int(radius / spacing)
    for i in range(1 - steps, steps):
        half = math.sqrt(max(radius ** 2 - (i * spacing) ** 2, 0)) * 0.7
        segments.append(((lon + i * spacing / squeeze, lat - half), (lon + i * spacing / squeeze, lat + half)))
        segments.append(((lon - half / squeeze, lat + i * spacing), (lon + half / squeeze, lat + i * spacing)))
    return segments


def _rings(geometry):
    polygons = [geometry] if geometry.geom_type == "Polygon" else list(getattr(geometry, "geoms", []))
    return [list(polygon.exterior.coords) for polygon in polygons]


def _villages(unit, area, rng, taken):
    west, south, east, north = area.bounds
    villages = []
    for _attempt in range(2000):
        if len(villages) >= VILLAGES_PER_COUNTY:
            break
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if not area.contains(Point(lon, lat)) or any(math.hypot(lon - a, lat - b) < 0.06 for a, b in taken):
            continue
        taken.append((lon, lat))
        if len(villages) < 6:
            name, rank = rng.choice(VILLAGE_NATURE) + rng.choice(TOWN_ENDS), 3
        else:
            name, rank = rng.choice(VILLAGE_FIRST) + rng.choice(VILLAGE_ENDS), 4
        villages.append(Place(name, lon, lat, rank, unit["code"]))
    return villages


def build(units: list[dict]) -> Geography:
    """The map from unit rows: dicts with code, parent (code or None), name_zh and geometry (GeoJSON)."""
    source = json.dumps(units, sort_keys=True, ensure_ascii=False).encode("utf-8")
    version = hashlib.sha256(source).hexdigest()[:12]
    units = [dict(u, area=shape(u["geometry"])) for u in units if u.get("geometry")]
    units = [u for u in units if not u["area"].is_empty and u["area"].geom_type in ("Polygon", "MultiPolygon")]
    if not units:
        return Geography(version, (0.0, 0.0, 0.0, 0.0))
    by_code = {u["code"]: u for u in units}
    children = {u["code"]: [c for c in units if c["parent"] == u["code"]] for u in units}
    depth = {}
    for u in sorted(units, key=lambda u: u["code"]):
        d, parent = 0, u["parent"]
        while parent in by_code and d < 10:
            d, parent = d + 1, by_code[parent]["parent"]
        depth[u["code"]] = d
    west = min(u["area"].bounds[0] for u in units)
    south = min(u["area"].bounds[1] for u in units)
    east = max(u["area"].bounds[2] for u in units)
    north = max(u["area"].bounds[3] for u in units)
    geo = Geography(version, (west, south, east, north))
    geo.boundaries = [(depth[u["code"]], _rings(u["area"])) for u in units]
    rng = random.Random(version)
    shorts, seats = {}, {}
    for u in sorted(units, key=lambda u: (depth[u["code"]], u["code"])):
        parent_short = shorts.get(u["parent"], "")
        shorts[u["code"]] = short_name(u["name_zh"], parent_short)
        if depth[u["code"]] == 0:
            continue  # the province is no town
        rank = 1 if children[u["code"]] else 2
        point = u["area"].centroid if u["area"].contains(u["area"].centroid) else u["area"].representative_point()
        if rank == 2 and u["parent"] in seats:  # a county seat half-way between its middle and the city
            city = seats[u["parent"]]
            candidate = Point((point.x * 2 + city.lon) / 3, (point.y * 2 + city.lat) / 3)
            point = candidate if u["area"].contains(candidate) else point
        seats[u["code"]] = Place(shorts[u["code"]], point.x, point.y, rank, u["code"])
    geo.places.extend(seats.values())
    taken = [(p.lon, p.lat) for p in seats.values()]
    leaves = [u for u in units if not children[u["code"]] and depth[u["code"]] > 0]
    for u in sorted(leaves, key=lambda u: u["code"]):
        villages = _villages(u, u["area"], random.Random(version + u["code"]), taken)
        geo.places.extend(villages)
        # Each village's road leads to the nearest place already on the network, from the seat outwards:
        # a branching network, as roads grow, rather than a star.
        seat = seats.get(u["code"])
        connected = [seat] if seat is not None else []
        for village in sorted(villages, key=lambda v: math.hypot(v.lon - seat.lon, v.lat - seat.lat) if seat else 0):
            if connected:
                near = min(connected, key=lambda p: math.hypot(p.lon - village.lon, p.lat - village.lat))
                geo.roads.append(("road", _wiggle((near.lon, near.lat), (village.lon, village.lat), rng, 0.12)))
            connected.append(village)
    cities = sorted((p for p in seats.values() if p.rank == 1), key=lambda p: p.lon)
    for a, b in zip(cities, cities[1:], strict=False):
        geo.roads.append(("highway", _wiggle((a.lon, a.lat), (b.lon, b.lat), rng, 0.1)))
    for seat in seats.values():
        parent = seats.get(by_code[seat.unit_code]["parent"])
        if seat.rank == 2 and parent is not None:
            geo.roads.append(("highway", _wiggle((parent.lon, parent.lat), (seat.lon, seat.lat), rng, 0.15)))
    width, height = east - west, north - south
    main = _wiggle((west, south + height * 0.82), (east, south + height * 0.3), rng, 0.18, steps=60)
    branch = _wiggle((west + width * 0.4, north), main[len(main) // 2], rng, 0.3, steps=30)
    second = _wiggle((west + width * 0.85, north), main[int(len(main) * 0.8)], rng, 0.3, steps=30)
    third = _wiggle((west + width * 0.1, south), main[int(len(main) * 0.25)], rng, 0.3, steps=30)
    geo.rivers = [(2, main), (1, branch), (1, second), (1, third)]
    lake_lon, lake_lat = west + width * 0.55, south + height * 0.22
    geo.lakes = [_blob(lake_lon, lake_lat, min(width, height) * 0.05, rng, corners=24)]
    geo.places.append(Place("镜湖", lake_lon, lake_lat, 3, ""))
    for place in geo.places:
        if place.unit_code:
            geo.built_up.append((place.rank, _blob(place.lon, place.lat, RADIUS_DEGREES[place.rank], rng)))
        if place.rank in (1, 2):
            geo.streets.extend(_street_grid(place.lon, place.lat, RADIUS_DEGREES[place.rank], 0.004))
    return geo


_lock = threading.Lock()
_cache: dict = {}  # engine URL -> (units fingerprint, Geography)


def forget() -> None:
    with _lock:
        _cache.clear()
    units_fingerprint.forget()


def geography(dbsession) -> Geography:
    """The base map of the units now in the database, built once per process and units fingerprint."""
    key = units_fingerprint.engine_key(dbsession)
    fingerprint = units_fingerprint.current(dbsession)  # kept a moment per process: not a statement per page
    with _lock:
        entry = _cache.get(key)
        if entry is not None and entry[0] == fingerprint:
            return entry[1]
    codes = dict(dbsession.execute(select(Unit.id, Unit.code)).all())
    rows = dbsession.execute(select(Unit.code, Unit.parent_id, Unit.name_zh, Unit.jurisdiction)
                             .where(Unit.jurisdiction.is_not(None)).order_by(Unit.code)).all()
    units = []
    for row in rows:
        try:
            geometry = json.loads(row.jurisdiction)
            shape(geometry)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            continue  # units.services refuses such polygons; an old bad row must not stop the map
        units.append({"code": row.code, "parent": codes.get(row.parent_id), "name_zh": row.name_zh,
                      "geometry": geometry})
    result = build(units)
    with _lock:
        _cache[key] = (fingerprint, result)
    return result
