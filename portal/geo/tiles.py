"""XYZ tiles (256 px PNG, Web Mercator) of the generated base map (geo/basemap.py), drawn with Pillow.

A tile is drawn at twice its size and scaled down, which smooths the lines Pillow draws without
anti-aliasing. Drawn tiles are kept on disk under the map's version, so a tile is drawn once per
server and units change; names of places are not drawn here but by the browser (static/js/map.js),
in a font the visitor's device has."""
import io
import math
import os
import shutil
import tempfile

from PIL import Image, ImageDraw

TILE = 256
SCALE = 2  # drawn at 512 px, scaled down to 256
MIN_ZOOM, MAX_ZOOM = 6, 14
MARGIN_DEGREES = 0.5  # tiles are served this far around the province, blank land beyond it

OUTSIDE = (232, 230, 225)
LAND = (246, 243, 236)
BUILT = {1: (230, 218, 208), 2: (233, 223, 213), 3: (236, 228, 219), 4: (238, 231, 223)}
WATER = (170, 211, 223)
HIGHWAY, HIGHWAY_CASING = (247, 200, 110), (196, 150, 80)
ROAD, ROAD_CASING = (255, 255, 255), (190, 185, 178)
STREET = (255, 255, 255)
BOUNDARY = {0: (120, 80, 140), 1: (140, 100, 160), 2: (170, 140, 185)}
TOWN_DOT = {1: (120, 90, 80), 2: (140, 110, 100), 3: (150, 125, 115), 4: (165, 145, 135)}


def lonlat_to_world(lon: float, lat: float) -> tuple[float, float]:
    """Web Mercator in tile units of zoom 0 (0..1 both ways, y down)."""
    lat = max(min(lat, 85.05112878), -85.05112878)
    x = (lon + 180.0) / 360.0
    s = math.sin(math.radians(lat))
    y = 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)
    return x, y


def tile_range(bounds, z: int):
    """(x_min, y_min, x_max, y_max) of the tiles at zoom z covering the bounds plus the margin."""
    west, south, east, north = bounds
    x0, y0 = lonlat_to_world(west - MARGIN_DEGREES, north + MARGIN_DEGREES)
    x1, y1 = lonlat_to_world(east + MARGIN_DEGREES, south - MARGIN_DEGREES)
    n = 2 ** z
    return int(x0 * n), int(y0 * n), min(int(x1 * n), n - 1), min(int(y1 * n), n - 1)


def has_tile(geo, z: int, x: int, y: int) -> bool:
    if not (MIN_ZOOM <= z <= MAX_ZOOM) or geo.bounds == (0.0, 0.0, 0.0, 0.0):
        return False
    x_min, y_min, x_max, y_max = tile_range(geo.bounds, z)
    return x_min <= x <= x_max and y_min <= y <= y_max


class _Line:
    """A line or ring in Web Mercator units of zoom 0, with its bounding box: projected once per map."""

    __slots__ = ("points", "box")

    def __init__(self, coordinates):
        self.points = [lonlat_to_world(lon, lat) for lon, lat in coordinates]
        xs, ys = [p[0] for p in self.points], [p[1] for p in self.points]
        self.box = (min(xs), min(ys), max(xs), max(ys)) if self.points else (0, 0, 0, 0)


_projected: dict = {}  # map version -> its features projected (a few maps per process at most)


def _world(geo) -> dict:
    world = _projected.get(geo.version)
    if world is None:
        if len(_projected) > 8:
            _projected.clear()
        world = {
            "land": [_Line(ring) for depth, rings in geo.boundaries if depth == 0 for ring in rings],
            "boundaries": [(depth, [_Line(ring) for ring in rings])
                           for depth, rings in sorted(geo.boundaries, key=lambda item: -item[0])],
            "lakes": [_Line(lake) for lake in geo.lakes],
            "built_up": [(rank, _Line(ring)) for rank, ring in geo.built_up],
            "rivers": [(width, _Line(river)) for width, river in geo.rivers],
            "streets": [_Line(segment) for segment in geo.streets],
            "roads": [_Line(line) for kind, line in geo.roads if kind == "road"],
            "highways": [_Line(line) for kind, line in geo.roads if kind == "highway"],
        }
        _projected[geo.version] = world
    return world


class _Canvas:
    def __init__(self, z, x, y):
        self.size = TILE * SCALE
        self.factor = (2 ** z) * self.size
        self.left, self.top = x * self.size, y * self.size
        self.image = Image.new("RGB", (self.size, self.size), OUTSIDE)
        self.draw = ImageDraw.Draw(self.image)
        self.z = z

    def visible(self, line, pad=0.0):
        f, (x0, y0, x1, y1) = self.factor, line.box
        return (x1 * f - self.left >= -pad and x0 * f - self.left <= self.size + pad
                and y1 * f - self.top >= -pad and y0 * f - self.top <= self.size + pad)

    def points(self, line):
        f, left, top = self.factor, self.left, self.top
        return [(x * f - left, y * f - top) for x, y in line.points]

    def line(self, line, color, width):
        if len(line.points) > 1 and self.visible(line, width):
            self.draw.line(self.points(line), fill=color, width=max(1, round(width)), joint="curve")

    def dashed(self, line, color, width, dash=10.0):
        if len(line.points) < 2 or not self.visible(line, width):
            return
        points = self.points(line)
        on, travelled = True, 0.0
        for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
            length = math.hypot(bx - ax, by - ay)
            position = 0.0
            while position < length:
                step = min(dash - travelled, length - position)
                if on:
                    t0, t1 = position / length, (position + step) / length
                    self.draw.line([(ax + (bx - ax) * t0, ay + (by - ay) * t0),
                                    (ax + (bx - ax) * t1, ay + (by - ay) * t1)], fill=color, width=round(width))
                position += step
                travelled += step
                if travelled >= dash:
                    on, travelled = not on, 0.0

    def polygon(self, line, color):
        if len(line.points) > 2 and self.visible(line):
            self.draw.polygon(self.points(line), fill=color)


def _widths(z):
    """Line widths in drawn pixels (SCALE x screen pixels) by zoom: roads grow as one zooms in."""
    grow = max(0, z - 6)
    return {"highway": SCALE * (1.2 + grow * 0.55), "road": SCALE * (0.6 + grow * 0.4),
            "river": SCALE * (1.0 + grow * 0.45), "street": SCALE * (0.9 + max(0, z - 12) * 1.1)}


def render(geo, z: int, x: int, y: int) -> bytes:
    """The PNG of one tile (the caller checked has_tile)."""
    canvas = _Canvas(z, x, y)
    widths = _widths(z)
    world = _world(geo)
    for ring in world["land"]:
        canvas.polygon(ring, LAND)
    for lake in world["lakes"]:
        canvas.polygon(lake, WATER)
    for rank, ring in world["built_up"]:
        if z >= 9 or rank <= 2:
            canvas.polygon(ring, BUILT[rank])
    for width_class, river in world["rivers"]:
        canvas.line(river, WATER, widths["river"] * width_class)
    if z >= 12:
        for segment in world["streets"]:
            canvas.line(segment, STREET, widths["street"])
    for depth, rings in world["boundaries"]:
        color, width = BOUNDARY.get(depth, BOUNDARY[2]), SCALE * (2.5 - min(depth, 2) * 0.7)
        for ring in rings:
            if depth >= 2:
                canvas.dashed(ring, color, width, dash=SCALE * 8)
            else:
                canvas.line(ring, color, width)
    roads = world["roads"] if z >= 8 else []
    layers = (("road", roads, ROAD_CASING, ROAD), ("highway", world["highways"], HIGHWAY_CASING, HIGHWAY))
    for kind, group, casing, fill in layers:
        for line in group:
            canvas.line(line, casing, widths[kind] + SCALE * 1.5)
        for line in group:
            canvas.line(line, fill, widths[kind])
    for place in geo.places:  # a dot where a town's area is too small to see
        if place.rank in TOWN_DOT and (z <= 9 if place.rank <= 2 else 10 <= z <= 12):
            wx, wy = lonlat_to_world(place.lon, place.lat)
            px, py = wx * canvas.factor - canvas.left, wy * canvas.factor - canvas.top
            r = SCALE * {1: 4, 2: 3, 3: 3, 4: 2.5}[place.rank]
            if -r <= px <= canvas.size + r and -r <= py <= canvas.size + r:
                canvas.draw.ellipse((px - r, py - r, px + r, py + r), fill=TOWN_DOT[place.rank],
                                    outline=(255, 255, 255), width=SCALE)
    image = canvas.image.resize((TILE, TILE), Image.Resampling.BOX)  # 2x2 pixels averaged: the smoothing
    out = io.BytesIO()
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
    return out.getvalue()


def cached_tile(cache_dir: str, geo, z: int, x: int, y: int) -> bytes:
    """The tile from the disk cache, drawn and stored first if it is not there yet."""
    path = os.path.join(cache_dir, geo.version, str(z), str(x), f"{y}.png")
    try:
        with open(path, "rb") as existing:
            return existing.read()
    except FileNotFoundError:
        pass
    body = render(geo, z, x, y)
    root = os.path.join(cache_dir, geo.version)
    if not os.path.isdir(root):  # the units changed: the tiles of the maps before are never asked for again
        for entry in os.scandir(cache_dir) if os.path.isdir(cache_dir) else ():
            if entry.is_dir(follow_symlinks=False) and entry.name != geo.version:
                shutil.rmtree(entry.path, ignore_errors=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Written beside, then renamed: a reader never sees half a tile, two writers the same whole one.
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".part")
    with os.fdopen(handle, "wb") as part:
        part.write(body)
    os.replace(temporary, path)
    return body
