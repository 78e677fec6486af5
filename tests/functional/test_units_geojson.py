"""/units.geojson: the public outline of each unit's area for the location picker's map, and the
picker's markup on a form (the plain fields work without JavaScript)."""
import json

import colander
import deform
import pytest

from portal.core.forms import make_form
from portal.geo.forms import location_node
from tests.factories import make_units

SQUARE = '{"type":"Polygon","coordinates":[[[115,38],[116,38],[116,39],[115,39],[115,38]]]}'
# 2,000 points along the edges of the same square: the map gets a simplified copy.
DENSE = json.dumps({"type": "Polygon", "coordinates": [
    [[115 + i / 1000, 38] for i in range(1000)] + [[116, 38 + i / 1000] for i in range(1000)]
    + [[116, 39], [115, 39], [115, 38]]]})
PUBLIC_PROPERTIES = {"code", "name", "level", "parent"}


@pytest.fixture
def units(dbsession):
    units = make_units(dbsession)
    units["province"].jurisdiction = ('{"type":"Polygon","coordinates":[[[114,37],[118,37],[118,40],[114,40],'
                                      '[114,37]]]}')
    units["city_a"].jurisdiction = DENSE
    units["county_a"].jurisdiction = SQUARE
    units["county_a"].name_en = "County A1 (en)"
    units["county_a"].sms_suffix = "11"
    units["county_a"].phone_110 = "0399-SECRET-LINE"
    dbsession.flush()
    return units


def features_of(testapp, **kw):
    response = testapp.get("/units.geojson", **kw)
    assert response.content_type == "application/geo+json"
    return response, {f["properties"]["code"]: f for f in response.json["features"]}


def test_lists_units_with_an_area_and_only_public_fields(testapp, units):
    response, features = features_of(testapp)
    assert response.json["type"] == "FeatureCollection"
    # Units without a jurisdiction are left out; parents come before their children.
    assert list(features) == ["990000", "990100", "990101"]
    county = features["990101"]
    assert county["type"] == "Feature" and county["id"] == "990101"
    assert county["geometry"] == json.loads(SQUARE)
    assert county["properties"] == {"code": "990101", "name": "County A1 (en)", "level": "county",
                                    "parent": "990100"}
    assert features["990000"]["properties"]["parent"] is None
    for feature in features.values():
        assert set(feature) == {"type", "id", "geometry", "properties"}
        assert set(feature["properties"]) == PUBLIC_PROPERTIES
    assert "SECRET" not in response.text and "sms" not in response.text and "phone" not in response.text


def test_real_boundaries_are_simplified_for_the_sketch(testapp, units):
    _, features = features_of(testapp)
    ring = features["990100"]["geometry"]["coordinates"][0]
    assert len(ring) < 10  # the straight edges of 2,000 points collapse to the corners
    assert {tuple(p) for p in ring} >= {(115, 38), (116, 38), (116, 39), (115, 39)}


def test_names_follow_the_visitors_language_and_caches_are_told(testapp, units):
    response, features = features_of(testapp, headers={"Accept-Language": "zh-CN"})
    assert features["990101"]["properties"]["name"] == units["county_a"].name_zh
    assert "max-age=300" in response.headers["Cache-Control"] and "public" in response.headers["Cache-Control"]
    assert "Accept-Language" in response.headers["Vary"] and "Cookie" in response.headers["Vary"]
    again = testapp.get("/units.geojson", headers={"Accept-Language": "zh-CN",
                                                   "If-None-Match": response.headers["ETag"]}, status=304)
    assert again.body == b""


def test_a_broken_stored_polygon_does_not_break_the_map(testapp, units, dbsession):
    units["city_b"].jurisdiction = "not json"
    dbsession.flush()
    _, features = features_of(testapp)
    assert "990200" not in features and "990101" in features


def location_form(request):
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(location_node("where", title="Where?", description="Say where."))
    return make_form(request, schema)


def test_picker_markup_carries_the_script_its_words_and_plain_fields(dummy_request):
    dummy_request.locale_name = "en"
    html = location_form(dummy_request).render()
    assert 'data-location-picker="' in html
    assert 'data-units-url="/units.geojson"' in html
    assert 'src="/static/js/location-picker.js?v=' in html and "defer" in html
    assert 'data-msg-denied="Location was not shared. Type the place, or pick it on the map."' in html
    assert 'data-msg-area="This is in the area of {unit}."' in html
    assert 'data-msg-found="Location found, within about {distance}."' in html
    # The tools wait for the script; the coordinates stay reachable without it.
    assert '<div class="location-tools" hidden>' in html
    for name in ("place", "lat", "lon", "accuracy_m"):
        assert f'name="{name}"' in html
    assert "<details class=\"location-coordinates\">" in html
    assert html.count("Say where.") == 1


@pytest.mark.parametrize("lat, lon, message", [("95", "116", "Latitude is between -90 and 90."),
                                                ("38.5", "", "Give both latitude and longitude, or neither.")])
def test_a_wrong_coordinate_comes_back_with_the_coordinates_open(dummy_request, lat, lon, message):
    dummy_request.locale_name = "en"
    form = location_form(dummy_request)
    controls = [("__start__", "where:mapping"), ("place", "park"), ("lat", lat), ("lon", lon),
                ("accuracy_m", ""), ("__end__", "where:mapping")]
    with pytest.raises(deform.ValidationFailure) as failure:
        form.validate(controls)
    html = failure.value.render()
    assert '<details class="location-coordinates" open="open">' in html
    assert message in html
    assert f'value="{lat}"' in html and 'value="park"' in html


def test_a_wrong_place_alone_leaves_the_coordinates_closed(dummy_request):
    form = location_form(dummy_request)
    controls = [("__start__", "where:mapping"), ("place", "x" * 300), ("lat", ""), ("lon", ""),
                ("accuracy_m", ""), ("__end__", "where:mapping")]
    with pytest.raises(deform.ValidationFailure) as failure:
        form.validate(controls)
    assert '<details class="location-coordinates">' in failure.value.render()


def render_point_map(request, *args):
    from pyramid_jinja2 import IJinja2Environment

    env = request.registry.getUtility(IJinja2Environment, name=".html")
    template = env.from_string('{% from "_point_map.html" import point_map %}'
                               '{{ point_map(request.point_map_html, *args) }}')
    return template.render(request=request, args=args)


def test_the_read_only_point_map_snippet_for_staff_pages(dummy_request):
    dummy_request.locale_name = "en"
    html = render_point_map(dummy_request, 38.123456, 114.5, 35.4)
    assert 'data-point-map data-lat="38.123456" data-lon="114.5"' in html
    assert 'data-accuracy="35.4"' in html and 'data-units-url="/units.geojson"' in html
    assert "38.12346, 114.50000 (± 35 m)" in html  # written out for people without the sketch
    assert 'src="/static/js/location-picker.js?v=' in html
    assert "Sketch map of the police areas" in html
    assert render_point_map(dummy_request, None, None).strip() == ""  # no point, nothing at all
