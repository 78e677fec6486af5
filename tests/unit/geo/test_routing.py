import json

import pytest

from portal.geo import routing
from portal.units import services as unit_service
from tests.factories import make_unit, make_units


def box(x0, y0, x1, y1) -> str:
    return json.dumps({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})


@pytest.fixture
def tree(dbsession):
    """Province 110..120 E, 35..45 N; City A the west half (a center), County A1 inside it (not a center);
    City B the east half, not a center; a county of B with its own polygon."""
    routing.forget()
    units = make_units(dbsession)
    units["province"].jurisdiction = box(110, 35, 120, 45)
    units["city_a"].jurisdiction = box(110, 35, 115, 45)
    units["county_a"].jurisdiction = box(111, 36, 112, 37)
    units["city_b"].jurisdiction = box(115, 35, 120, 45)
    units["city_b"].is_command_center = False
    units["county_b"].jurisdiction = box(116, 36, 117, 37)
    dbsession.flush()
    yield units
    routing.forget()


def test_unit_for_point_is_the_smallest_polygon_holding_it(dbsession, tree):
    assert routing.unit_for_point(dbsession, 36.5, 111.5) is tree["county_a"]
    assert routing.unit_for_point(dbsession, 40, 113) is tree["city_a"]
    assert routing.unit_for_point(dbsession, 36.5, 116.5) is tree["county_b"]
    assert routing.unit_for_point(dbsession, 10, 10) is None
    assert routing.unit_for_point(dbsession, None, None) is None
    assert routing.unit_for_point(dbsession, 91, 10) is None


def test_command_center_is_the_nearest_center_at_or_above(dbsession, tree):
    # County A1 is no center: its city takes the alarm.
    assert routing.command_center_for_point(dbsession, 36.5, 111.5) is tree["city_a"]
    assert routing.command_center_for_point(dbsession, 40, 113) is tree["city_a"]
    # Neither County B1 nor City B is a center: up to the province.
    assert routing.command_center_for_point(dbsession, 36.5, 116.5) is tree["province"]


def test_unknown_or_outside_points_fall_back_to_the_root(dbsession, tree):
    assert routing.command_center_for_point(dbsession, None, None) is tree["province"]
    assert routing.command_center_for_point(dbsession, -30, 10) is tree["province"]
    assert routing.command_center_for_point(dbsession, "x", 10) is tree["province"]


def test_a_county_that_is_a_center_takes_its_own_alarms(dbsession, tree):
    tree["county_a"].is_command_center = True
    dbsession.flush()
    assert routing.command_center_for_point(dbsession, 36.5, 111.5) is tree["county_a"]


def test_a_polygon_changed_through_the_units_service_is_seen(dummy_request, dbsession, tree):
    assert routing.command_center_for_point(dbsession, 40, 118) is tree["province"]
    unit_service.update(dummy_request, tree["city_b"], is_command_center=True)
    assert routing.command_center_for_point(dbsession, 40, 118) is tree["city_b"]
    new_area = box(117.5, 39.5, 118.5, 40.5)
    county = unit_service.create(dummy_request, parent=tree["city_b"], code="990202", name_zh="新县",
                                 is_command_center=True, jurisdiction=new_area)
    assert routing.command_center_for_point(dbsession, 40, 118) is county
    unit_service.update(dummy_request, county, jurisdiction=box(100, 20, 101, 21))
    assert routing.command_center_for_point(dbsession, 40, 118) is tree["city_b"]


def test_prepared_polygons_are_reused_until_something_changes(dbsession, tree, monkeypatch):
    builds = []
    real = routing._build
    monkeypatch.setattr(routing, "_build", lambda s: builds.append(1) or real(s))
    routing.forget()
    for _ in range(5):
        routing.unit_for_point(dbsession, 36.5, 111.5)
    assert len(builds) == 1
    tree["county_b"].jurisdiction = box(116, 36, 117.5, 37)
    dbsession.flush()
    assert routing.unit_for_point(dbsession, 36.5, 117.2) is tree["county_b"]
    assert len(builds) == 2


def test_a_broken_polygon_in_the_table_does_not_stop_routing(dbsession, tree):
    make_unit(dbsession, "990103", tree["city_a"], jurisdiction="{not json")
    assert routing.command_center_for_point(dbsession, 36.5, 111.5) is tree["city_a"]
