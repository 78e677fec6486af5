"""The province's own base map (geo/basemap.py) and its tiles (geo/tiles.py), drawn from the demo's
units: towns where the units are, tiles only where the province is, a disk cache that is used."""
import io
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from portal.demo import data
from portal.geo import basemap, tiles


def demo_units():
    province = data.PROVINCE[0]
    units = [{"code": province, "parent": None, "name_zh": data.PROVINCE[1],
              "geometry": json.loads(data.rectangle(data.WEST, data.SOUTH, data.EAST, data.NORTH))}]
    for i, city in enumerate(data.CITIES):
        units.append({"code": city[0], "parent": province, "name_zh": city[1],
                      "geometry": json.loads(data.rectangle(*data.city_bounds(i)))})
        for j, county in enumerate(data.COUNTIES[city[0]]):
            units.append({"code": county[0], "parent": city[0], "name_zh": county[1],
                          "geometry": json.loads(data.rectangle(*data.county_bounds(i, j)))})
    return units


@pytest.fixture(scope="module")
def geo():
    return basemap.build(demo_units())


def tile_of(lon, lat, z):
    x, y = tiles.lonlat_to_world(lon, lat)
    return int(x * 2 ** z), int(y * 2 ** z)


def pixels(png):
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (256, 256)
    return image


def test_towns_are_named_after_their_units_and_lie_in_them(geo):
    names = {p.name: p for p in geo.places}
    assert {"东川市", "南湖市", "西岭市", "河口区", "青山县", "湖滨区", "柳林县", "石门区", "云台县"} <= set(names)
    hekou = names["河口区"]  # Dongchuan's southern county: lon 114-115.33, lat 37-38.5
    assert hekou.rank == 2 and 114 < hekou.lon < 115.34 and 37 < hekou.lat < 38.5
    villages = [p for p in geo.places if p.rank >= 3 and p.unit_code]
    assert len(villages) == 6 * basemap.VILLAGES_PER_COUNTY
    assert all(data.WEST <= p.lon <= data.EAST and data.SOUTH <= p.lat <= data.NORTH for p in geo.places)
    assert geo.roads and geo.rivers and geo.lakes and geo.boundaries


def test_the_same_units_give_the_same_map_and_other_units_another_version(geo):
    again = basemap.build(demo_units())
    assert again.version == geo.version and again.places == geo.places and again.roads == geo.roads
    changed = demo_units()
    changed[1]["name_zh"] = "北山市公安局"
    assert basemap.build(changed).version != geo.version


def test_short_names_drop_the_bureau_and_the_city():
    assert basemap.short_name("东川市公安局") == "东川市"
    assert basemap.short_name("东川市河口区公安分局", "东川市") == "河口区"
    assert basemap.short_name("示范省公安厅") == "示范省"


@pytest.mark.parametrize("z", [6, 9, 12, 14])
def test_the_tile_of_a_known_town_shows_it(geo, z):
    town = next(p for p in geo.places if p.name == "南湖市")
    image = pixels(tiles.render(geo, z, *tile_of(town.lon, town.lat, z)))
    colours = {colour for _count, colour in image.getcolors(256 * 256)}
    assert len(colours) > 3  # land, the town, its roads (and streets, boundaries): not a blank square
    # The pixel of the town itself is not the bare land colour (a dot, a built-up area or a road).
    x, y = tiles.lonlat_to_world(town.lon, town.lat)
    n = 2 ** z
    px, py = int((x * n % 1) * 256), int((y * n % 1) * 256)
    assert image.getpixel((px, py)) != tiles.LAND


def test_a_tile_outside_the_province_is_blank_land_of_another_colour(geo):
    x_min, y_min, _x_max, _y_max = tiles.tile_range(geo.bounds, 10)
    image = pixels(tiles.render(geo, 10, x_min, y_min))  # the margin's corner: nothing there
    assert len(image.getcolors(256 * 256)) <= 2


@pytest.mark.parametrize("z, x, y", [(5, 26, 12), (15, 26820, 12580), (6, 0, 0), (6, 63, 63), (14, 0, 0)])
def test_tiles_only_in_the_zoom_range_and_around_the_province(geo, z, x, y):
    assert not tiles.has_tile(geo, z, x, y)


def test_every_zoom_has_tiles_over_the_whole_province(geo):
    for z in range(tiles.MIN_ZOOM, tiles.MAX_ZOOM + 1):
        x_min, y_min, x_max, y_max = tiles.tile_range(geo.bounds, z)
        for lon, lat in ((data.WEST, data.NORTH), (data.EAST, data.SOUTH)):
            x, y = tile_of(lon, lat, z)
            assert x_min <= x <= x_max and y_min <= y <= y_max and tiles.has_tile(geo, z, x, y)


def test_no_units_no_map():
    empty = basemap.build([])
    assert empty.places == [] and not tiles.has_tile(empty, 8, 209, 98)


def test_the_disk_cache_keeps_a_drawn_tile_under_the_map_version(geo, tmp_path, monkeypatch):
    z, (x, y) = 9, tile_of(115.0, 38.0, 9)
    first = tiles.cached_tile(str(tmp_path), geo, z, x, y)
    path = tmp_path / geo.version / str(z) / str(x) / f"{y}.png"
    assert path.read_bytes() == first and first.startswith(b"\x89PNG")
    assert [name for name in os.listdir(path.parent) if name.endswith(".part")] == []
    monkeypatch.setattr(tiles, "render", lambda *args: pytest.fail("drawn again"))
    assert tiles.cached_tile(str(tmp_path), geo, z, x, y) == first


def test_a_new_map_version_clears_the_tiles_of_the_old_one(geo, tmp_path):
    z, (x, y) = 9, tile_of(115.0, 38.0, 9)
    tiles.cached_tile(str(tmp_path), geo, z, x, y)
    changed = demo_units()
    changed[1]["name_zh"] = "北山市公安局"
    newer = basemap.build(changed)
    tiles.cached_tile(str(tmp_path), newer, z, x, y)
    assert sorted(os.listdir(tmp_path)) == [newer.version]


@settings(max_examples=80, deadline=None)
@given(z=st.integers(-5, 30), x=st.integers(-(2 ** 31), 2 ** 31), y=st.integers(-(2 ** 31), 2 ** 31))
def test_any_tile_address_is_a_tile_or_nothing(z, x, y):
    geo = _GEO
    if not tiles.has_tile(geo, z, x, y):
        return  # the view answers 404
    assert tiles.MIN_ZOOM <= z <= tiles.MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z
    assert pixels(tiles.render(geo, z, x, y)).size == (256, 256)


@settings(max_examples=40, deadline=None)
@given(z=st.integers(tiles.MIN_ZOOM, tiles.MAX_ZOOM), fx=st.floats(0, 1), fy=st.floats(0, 1))
def test_every_tile_over_the_province_is_served(z, fx, fy):
    x_min, y_min, x_max, y_max = tiles.tile_range(_GEO.bounds, z)
    x, y = x_min + round(fx * (x_max - x_min)), y_min + round(fy * (y_max - y_min))
    assert tiles.has_tile(_GEO, z, x, y)
    assert pixels(tiles.render(_GEO, z, x, y)).size == (256, 256)


_GEO = basemap.build(demo_units())
