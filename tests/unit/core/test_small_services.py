import json
from datetime import UTC, datetime

import pytest

from portal.core.fallbacks import Fallbacks
from portal.core.pagination import BadCursor, decode_cursor, encode_cursor
from portal.core.refused import Refused
from portal.units.services import parse_jurisdiction


class UnitStub:
    sms_suffix = "01"


def test_sms_link_carries_routing_suffix_and_a_body_for_both_phone_systems():
    fallbacks = Fallbacks(police="110", traffic="122", sms="12110")
    assert fallbacks.sms_href() == "sms:12110"
    assert fallbacks.sms_number(UnitStub()) == "1211001"
    href = fallbacks.sms_href("报警 help & now", UnitStub())
    assert href.startswith("sms:1211001?&body=") and " " not in href and "&now" not in href


def test_cursor_round_trip_and_tampering():
    at = datetime(2026, 11, 24, 12, 0, 0, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(at, 42)) == (at, 42)
    for bad in ["", "!!!", "bm90LWEtY3Vyc29y", encode_cursor(at, 42)[:-3]]:
        with pytest.raises(BadCursor):
            decode_cursor(bad)


def test_jurisdiction_accepts_polygons_and_features():
    ring = [[115, 38], [116, 38], [116, 39], [115, 39], [115, 38]]
    polygon = {"type": "Polygon", "coordinates": [ring]}
    assert json.loads(parse_jurisdiction(json.dumps(polygon))) == polygon
    feature = {"type": "Feature", "properties": {}, "geometry": polygon}
    assert json.loads(parse_jurisdiction(json.dumps(feature))) == polygon
    assert parse_jurisdiction("  ") is None


@pytest.mark.parametrize("text", [
    "[1,2",
    json.dumps({"type": "LineString", "coordinates": [[1, 2], [3, 4]]}),
    json.dumps({"type": "Polygon", "coordinates": [[[1, 2]]]}),
    json.dumps({"type": "Polygon", "coordinates": "x"}),
    json.dumps({"type": "Polygon", "coordinates": [[[0, 95], [1, 95], [1, 96], [0, 95]]]}),
])
def test_jurisdiction_refuses_bad_geometry(text):
    with pytest.raises(Refused) as refused:
        parse_jurisdiction(text)
    assert (refused.value.status, refused.value.field) == (400, "jurisdiction")
