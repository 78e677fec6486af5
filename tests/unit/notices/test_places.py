"""The last-seen point as the public may see it: never finer than the dispatcher chose, never exact
for a minor, and the same answer for every point of a cell (so the answer says nothing finer)."""
import math
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.notices import places


def details(lat=38.04321, lon=114.51234, precision="exact", age_min=40):
    return SimpleNamespace(last_seen_lat=lat, last_seen_lon=lon, last_seen_precision=precision, age_min=age_min,
                           is_minor=age_min is None or age_min < 18)


def metres_between(a, b):
    dy = (a["lat"] - b["lat"]) * places.METRES_PER_DEGREE
    dx = (a["lon"] - b["lon"]) * places.METRES_PER_DEGREE * math.cos(math.radians(a["lat"]))
    return math.hypot(dx, dy)


def test_exact_for_an_adult_is_the_point():
    assert places.public_point(details()) == {"lat": 38.04321, "lon": 114.51234, "precision": "exact",
                                              "radius_m": None}


@pytest.mark.parametrize("age_min", [None, 0, 9, 17])
def test_a_minors_point_is_never_exact(age_min):
    point = places.public_point(details(age_min=age_min))
    assert point["precision"] == "500m" and point["radius_m"] == 500
    assert (point["lat"], point["lon"]) != (38.04321, 114.51234)


def test_district_only_or_no_point_gives_no_map():
    assert places.public_point(details(precision="district")) is None
    assert places.public_point(details(lat=None, lon=None)) is None
    assert places.public_point(None) is None


@given(lat=st.floats(-80, 80), lon=st.floats(-179, 179), precision=st.sampled_from(["500m", "2km"]),
       dlat=st.floats(-1, 1), dlon=st.floats(-1, 1))
def test_a_coarse_point_is_within_its_radius_and_hides_the_point_inside_its_cell(lat, lon, precision, dlat, dlon):
    point = places.public_point(details(lat=lat, lon=lon, precision=precision))
    assert metres_between(point, {"lat": lat, "lon": lon}) <= point["radius_m"]
    # Another point of the same cell gets the very same answer: the page cannot tell them apart.
    step = point["radius_m"] / places.METRES_PER_DEGREE
    other_lat = (math.floor(lat / step) + 0.5 + dlat * 0.49) * step
    if math.floor(other_lat / step) == math.floor(lat / step):
        same_cell = places.public_point(details(lat=other_lat, lon=lon, precision=precision))
        assert same_cell["lat"] == point["lat"]
