"""The portal's own base map: /map/tiles/{z}/{x}/{y}.png and /map/places.json drawn from the units'
areas, their cache headers, the maps' settings on the pages that show a map, and the tile source
setting in the Content-Security-Policy."""
import io
import os

import pytest
from PIL import Image

from portal.core.headers import tile_origin
from portal.geo import basemap, tiles
from tests.factories import make_units

PROVINCE = '{"type":"Polygon","coordinates":[[[114,37],[118,37],[118,40],[114,40],[114,37]]]}'
CITY = '{"type":"Polygon","coordinates":[[[114,37],[116,37],[116,40],[114,40],[114,37]]]}'
COUNTY = '{"type":"Polygon","coordinates":[[[114,37],[116,37],[116,38.5],[114,38.5],[114,37]]]}'
TIANDITU = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
NAMES = "https://names.example.org/cva/{z}/{x}/{y}.png"


@pytest.fixture
def units(dbsession):
    units = make_units(dbsession)
    units["province"].jurisdiction, units["province"].name_zh = PROVINCE, "测试省公安厅"
    units["city_a"].jurisdiction, units["city_a"].name_zh = CITY, "甲城市公安局"
    units["county_a"].jurisdiction, units["county_a"].name_zh = COUNTY, "甲城市乙县公安局"
    dbsession.flush()
    return units


@pytest.fixture
def geo(units, dbsession):
    return basemap.geography(dbsession)


def tile_url(lon, lat, z, version=None):
    x, y = tiles.lonlat_to_world(lon, lat)
    url = f"/map/tiles/{z}/{int(x * 2 ** z)}/{int(y * 2 ** z)}.png"
    return url + (f"?v={version}" if version else "")


def test_a_town_s_tile_is_a_png_showing_it_cached_for_a_year(testapp, geo, app_settings):
    town = next(p for p in geo.places if p.name == "乙县")  # the county's seat, named after its unit
    response = testapp.get(tile_url(town.lon, town.lat, 11, geo.version))
    assert response.content_type == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    image = Image.open(io.BytesIO(response.body)).convert("RGB")
    assert image.size == (256, 256) and len(image.getcolors(65536)) > 3
    assert "Content-Security-Policy" in response.headers  # the portal's headers, as on every answer
    # Kept on disk under the map's version: the next request reads it.
    path = os.path.join(app_settings["portal.media_dir"], ".map-tiles", geo.version, "11")
    assert os.path.isdir(path) and os.listdir(path)
    again = testapp.get(tile_url(town.lon, town.lat, 11, geo.version),
                        headers={"If-None-Match": response.headers["ETag"]}, status=304)
    assert again.body == b""


def test_a_tile_without_the_current_version_is_cached_briefly(testapp, geo):
    for suffix in ("", "?v=old"):
        response = testapp.get(tile_url(115, 38, 8) + suffix)
        assert response.headers["Cache-Control"] == "public, max-age=3600"


@pytest.mark.parametrize("path", [
    "/map/tiles/5/26/12.png",  # below the zoom range
    "/map/tiles/15/26820/12580.png",  # above it
    "/map/tiles/8/0/0.png",  # the other side of the world
    "/map/tiles/14/999999/6300.png",  # beyond the world's tiles
    "/map/tiles/8/209/98.jpg",
    "/map/tiles/8/-1/98.png",
    "/map/tiles/x/209/98.png",
])
def test_tiles_outside_the_range_are_not_found(testapp, units, path):
    response = testapp.get(path, status=404)
    assert "110" in response.text  # the portal's own 404 page, with the fallbacks


def test_no_units_with_areas_no_tiles(testapp, dbsession):
    make_units(dbsession)
    testapp.get("/map/tiles/8/209/98.png", status=404)


def test_places_name_the_towns_for_the_browser(testapp, geo):
    response = testapp.get(f"/map/places.json?v={geo.version}")
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    places = {p["name"]: p for p in response.json["places"]}
    assert response.json["version"] == geo.version
    assert places["甲城市"]["rank"] == 1 and places["乙县"]["rank"] == 2
    assert 114 < places["乙县"]["lon"] < 116 and 37 < places["乙县"]["lat"] < 38.5
    assert set(places["乙县"]) == {"name", "lat", "lon", "rank"}


def test_the_picker_is_told_where_the_tiles_and_leaflet_are(testapp, geo):
    page = testapp.get("/missing/new")
    fieldset = page.html.select_one("fieldset[data-location-picker]")
    assert fieldset["data-map-tiles"] == f"/map/tiles/{{z}}/{{x}}/{{y}}.png?v={geo.version}"
    assert fieldset["data-map-leaflet-js"].split("?v=")[0] == "/static/vendor/leaflet-1.9.4/leaflet.js"
    assert fieldset["data-map-places"] == f"/map/places.json?v={geo.version}"
    assert fieldset["data-map-max-zoom"] == "14" and fieldset["data-map-min-zoom"] == "6"
    assert fieldset["data-map-view"] == "37.0000,114.0000,40.0000,118.0000"
    assert fieldset["data-map-attribution"]
    scripts = [s["src"].split("?v=")[0] for s in page.html.select("script[src]")]  # versioned: core/static.py
    assert scripts.index("/static/js/map.js") < scripts.index("/static/js/location-picker.js")
    for name in ("leaflet.js", "leaflet.css", "LICENSE", "images/marker-icon.png"):
        testapp.get(f"/static/vendor/leaflet-1.9.4/{name}")
    csp = page.headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob:;" in csp and "script-src 'self';" in csp and "unsafe-inline" not in csp


@pytest.fixture
def tianditu(app, monkeypatch):
    monkeypatch.setitem(app.registry.settings, "portal.map.tiles", TIANDITU)
    monkeypatch.setitem(app.registry.settings, "portal.map.attribution", "天地图 GS(2024)0568号")
    monkeypatch.setitem(app.registry.settings, "portal.map.subdomains", "01234567")
    monkeypatch.setitem(app.registry.settings, "portal.map.labels", NAMES)
    monkeypatch.setitem(app.registry, "map_tile_origin", tile_origin(TIANDITU) + " " + tile_origin(NAMES))


def test_a_tile_service_setting_reaches_the_page_and_the_csp(testapp, units, tianditu):
    page = testapp.get("/missing/new")
    fieldset = page.html.select_one("fieldset[data-location-picker]")
    assert fieldset["data-map-tiles"] == TIANDITU
    assert fieldset["data-map-attribution"] == "天地图 GS(2024)0568号"
    assert fieldset["data-map-subdomains"] == "01234567" and fieldset["data-map-max-zoom"] == "18"
    assert fieldset["data-map-labels"] == NAMES
    assert not fieldset.has_attr("data-map-places")  # the service's tiles carry their own names
    csp = page.headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://*.tianditu.gov.cn https://names.example.org;" in csp
    assert "connect-src 'self';" in csp and "script-src 'self';" in csp  # only images from there


@pytest.mark.parametrize("template, origin", [
    ("", ""),
    (TIANDITU, "https://*.tianditu.gov.cn"),
    ("https://tiles.example.org:8443/{z}/{x}/{y}.png", "https://tiles.example.org:8443"),
    ("http://127.0.0.1:7650/t/{z}/{x}/{y}.png", "http://127.0.0.1:7650"),
])
def test_the_tile_origin_for_the_csp(template, origin):
    assert tile_origin(template) == origin


@pytest.mark.parametrize("template", [
    "/map/{z}/{x}/{y}.png", "javascript:alert(1)", "https://user@tiles.example.org/{z}",
    "https://tiles.{s}.example.org/{z}", "https://a b/{z}", "data:image/png;base64,AAAA",
    "https://'unsafe-inline'/{z}",
])
def test_a_tile_setting_the_csp_cannot_name_stops_start_up(template):
    with pytest.raises(ValueError, match="portal.map.tiles"):
        tile_origin(template)


def test_the_app_puts_both_tile_origins_in_the_csp(app_settings, monkeypatch):
    import portal

    settings = dict(app_settings, **{"portal.map.tiles": TIANDITU, "portal.map.labels": NAMES})
    app = portal.main({}, **settings)
    assert app.registry["map_tile_origin"] == "https://*.tianditu.gov.cn https://names.example.org"
    with pytest.raises(ValueError, match="portal.map.labels"):
        portal.main({}, **dict(app_settings, **{"portal.map.labels": "javascript:alert(1)//{z}"}))
