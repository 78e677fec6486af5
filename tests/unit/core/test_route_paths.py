"""request.plain_path (core/route_paths.py) writes exactly what request.route_path writes, faster, for
plain values; anything it cannot write by formatting goes to route_path."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyramid.interfaces import IRoutesMapper

from portal.core.route_paths import _format_of

ROUTES = [("notice", {"id": 12}), ("notice_poster", {"id": 7}), ("media", {"id": 3, "variant": "thumb"}),
          ("media", {"id": 3, "variant": "public"}), ("sighting_new", {"id": 99}), ("home", {}), ("notices", {})]


@pytest.mark.parametrize(("name", "values"), ROUTES)
@pytest.mark.parametrize("script_name", ["", "/portal", "/a/b-c"])
def test_the_same_path_as_route_path(dummy_request, name, values, script_name):
    dummy_request.script_name = script_name
    assert dummy_request.plain_path(name, **values) == dummy_request.route_path(name, **values)
    assert dummy_request.plain_path(name, **values).startswith(script_name + "/")


def test_every_route_with_a_plain_pattern_formats_as_pyramid_generates(dummy_request):
    mapper = dummy_request.registry.getUtility(IRoutesMapper)
    formatted = 0
    for route in mapper.get_routes():
        names = [part.split("}")[0].split(":")[0] for part in route.pattern.split("{")[1:]]
        if not _format_of(route.pattern) or any(name.startswith("*") for name in names):
            continue
        values = {name: 41 + index for index, name in enumerate(names)}
        assert dummy_request.plain_path(route.name, **values) == dummy_request.route_path(route.name, **values)
        formatted += 1
    assert formatted > 50  # most routes take the fast way


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.integers(min_value=-10**12, max_value=10**12), st.text(max_size=20)))
def test_any_value_gives_route_paths_answer(dummy_request, value):
    """Values that need quoting (spaces, slashes, non-ASCII, %) go to route_path itself."""
    assert (dummy_request.plain_path("media", id=value, variant="thumb")
            == dummy_request.route_path("media", id=value, variant="thumb"))


def test_a_pattern_with_more_than_plain_text_is_left_to_route_path():
    assert _format_of(r"/notices/{id:\d+}") == "/notices/{id}"
    assert _format_of("notices/{id}") == "/notices/{id}"
    assert _format_of("/files/*subpath") == ""
    assert _format_of("/a b/{id}") == ""
