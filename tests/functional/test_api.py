"""The JSON API answers as its OpenAPI document says, for every response the tests see."""
import jsonschema
import pytest

from portal.media.models import Media
from tests.factories import make_notice, make_units


@pytest.fixture
def spec(testapp):
    return testapp.get("/api/openapi.json").json


def check(spec, response, path, status=None):
    """Validate a response body against the schema the document declares for it."""
    operation = spec["paths"][path]["get"]
    declared = operation["responses"][str(status or response.status_int)]
    schema = dict(declared["content"]["application/json"]["schema"], components=spec["components"])
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(response.json), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])
    assert response.content_type == "application/json"


@pytest.fixture
def world(dbsession, registry):
    units = make_units(dbsession)
    girl = make_notice(dbsession, units["county_a"], kind="missing_person", title="寻人启事：李秀英")
    girl.missing_person.last_seen_lat, girl.missing_person.last_seen_lon = 38.1, 115.2
    key, sha, size = registry["media_store"].put_bytes(b"\xff\xd8\xff fake", ".jpg")
    dbsession.add(Media(notice=girl, kind="image", sha256=sha, size=size, content_type="image/jpeg",
                        original_key=key, public_key=key, thumb_key=key, width=400, height=500, alt_text="photo"))
    wanted = [make_notice(dbsession, units["city_b"], kind="wanted", minutes_ago=i + 1) for i in range(5)]
    closed = make_notice(dbsession, units["city_a"], kind="missing_person", state="resolved", title="寻人：王强")
    draft = make_notice(dbsession, units["city_a"], state="draft")
    dbsession.flush()
    return {"girl": girl, "wanted": wanted, "closed": closed, "draft": draft}


def test_list_pages_follow_the_cursor_and_match_the_schema(testapp, spec, world):
    seen, url = [], "/api/v1/notices?limit=2"
    while url:
        response = testapp.get(url)
        check(spec, response, "/api/v1/notices")
        seen += [item["id"] for item in response.json["items"]]
        url = response.json["next_url"]
        if url:
            assert "limit=2" in url and "cursor=" in url
    expected = [world["girl"].id] + [n.id for n in world["wanted"]]
    assert seen == expected  # newest first, nothing closed or unpublished


def test_filters_are_those_of_the_list_page(testapp, spec, world):
    response = testapp.get("/api/v1/notices?kind=missing_person&region=990100")
    check(spec, response, "/api/v1/notices")
    assert [i["id"] for i in response.json["items"]] == [world["girl"].id]
    assert response.json["items"][0]["thumbnail_url"].endswith("/thumb")


def test_detail_of_a_missing_person(testapp, spec, world, dbsession):
    response = testapp.get(f"/api/v1/notices/{world['girl'].id}")
    check(spec, response, "/api/v1/notices/{id}")
    body = response.json
    assert body["missing_person"]["last_seen_point"] is None  # district only until the dispatcher chooses
    assert body["photos"][0]["width"] == 400 and body["unit"]["code"] == "990101"
    world["girl"].missing_person.last_seen_precision = "exact"  # an adult (the factory's age is 30)
    dbsession.flush()
    response = testapp.get(f"/api/v1/notices/{world['girl'].id}")
    check(spec, response, "/api/v1/notices/{id}")
    assert response.json["missing_person"]["last_seen_point"] == {"lat": 38.1, "lon": 115.2, "precision": "exact",
                                                                  "radius_m": None}
    world["girl"].missing_person.last_seen_precision = "2km"
    world["girl"].missing_person.age_min, world["girl"].missing_person.age_max = 28, 35
    dbsession.flush()
    body = testapp.get(f"/api/v1/notices/{world['girl'].id}").json["missing_person"]
    point = body["last_seen_point"]
    assert (point["precision"], point["radius_m"]) == ("2km", 2000) and point["lat"] != 38.1
    assert abs(point["lat"] - 38.1) < 0.02 and abs(point["lon"] - 115.2) < 0.03
    assert (body["age"], body["age_min"], body["age_max"], body["medical_needs"]) == (None, 28, 35, None)


def test_detail_carries_the_kind_fields_and_the_verification(testapp, spec, world, dbsession):
    from portal.core.meta import utcnow

    vehicle = make_notice(dbsession, world["girl"].unit, kind="vehicle", vehicle_plate="冀A·12345",
                          vehicle_colour="white", caution="ignored: not a vehicle field")
    world["girl"].verified_by_unit, world["girl"].verified_at = world["girl"].unit.parent, utcnow()
    dbsession.flush()
    body = testapp.get(f"/api/v1/notices/{vehicle.id}").json
    check(spec, testapp.get(f"/api/v1/notices/{vehicle.id}"), "/api/v1/notices/{id}")
    assert body["kind_details"] == {"vehicle_plate": "冀A·12345", "vehicle_make": "", "vehicle_model": "",
                                    "vehicle_colour": "white"}
    assert body["verified"] is None
    response = testapp.get(f"/api/v1/notices/{world['girl'].id}")
    check(spec, response, "/api/v1/notices/{id}")
    assert response.json["verified"]["unit"]["code"] == "990100" and response.json["kind_details"] == {}


def test_a_closed_appeal_says_only_that_it_is_closed(testapp, spec, world):
    response = testapp.get(f"/api/v1/notices/{world['closed'].id}")
    check(spec, response, "/api/v1/notices/{id}")
    assert response.json == {"id": world["closed"].id, "kind": "missing_person", "status": "closed"}
    assert "王强" not in response.text


@pytest.mark.parametrize("url", ["/api/v1/notices/{draft}", "/api/v1/notices/99999999", "/api/v1/nothing"])
def test_unknown_and_unpublished_get_json_404(testapp, spec, world, url):
    response = testapp.get(url.format(draft=world["draft"].id), status=404)
    assert response.json["error"]["status"] == 404
    if "{draft}" in url:
        check(spec, response, "/api/v1/notices/{id}")


@pytest.mark.parametrize("query,field", [("age_min=x", "age_min"), ("kind=weapons", "kind"), ("cursor=zzz", "cursor"),
                                         ("region=111111", "region"), ("limit=0", "limit"), ("limit=1000", "limit")])
def test_bad_filters_get_json_400(testapp, spec, world, query, field):
    response = testapp.get(f"/api/v1/notices?{query}", status=400)
    check(spec, response, "/api/v1/notices")
    assert field in response.json["error"]["fields"]


def test_the_document_describes_every_api_route(app, spec):
    from pyramid.interfaces import IRoutesMapper

    patterns = {r.pattern.replace(r"{id:\d+}", "{id}") for r in app.registry.getUtility(IRoutesMapper).get_routes()
                if r.pattern.startswith("/api/v1/")}
    assert patterns == set(spec["paths"])
