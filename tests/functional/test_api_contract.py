"""The API keeps its contract: schemathesis, with every check it has, throws what the OpenAPI document
allows and what it forbids at the WSGI app (no network) and finds nothing. Bounded and derandomized, so
CI explores the same cases every run."""
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events

from tests.factories import make_notice, make_units

CONFIG = {
    "seed": 10,
    "generation": {"max-examples": 25, "deterministic": True, "mode": "all"},
    "checks": {"enabled": True},
    "phases": {"stateful": {"enabled": False}},
}


def _failures(app_in_test):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app_in_test,
                                            config=SchemathesisConfig.from_dict(CONFIG))
    found = []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.status in (Status.FAILURE, Status.ERROR):
            for case_id, checks in event.recorder.checks.items():
                case = event.recorder.cases[case_id].value
                found += [f"{case.method} {case.formatted_path} {case.query}: {c.name}: "
                          f"{c.failure_info.failure.title if c.failure_info else ''}"
                          for c in checks if c.status == Status.FAILURE]
            if event.status == Status.ERROR and not found:
                found.append(f"error in {event.label}")
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            found.append(f"{type(event).__name__}: {getattr(event, 'info', event)}")
    return found


def test_schemathesis_finds_nothing(app, testapp, dbsession):
    units = make_units(dbsession)
    make_notice(dbsession, units["county_a"], kind="missing_person", title="寻人启事")
    make_notice(dbsession, units["city_b"], kind="wanted")
    dbsession.flush()

    def app_in_test(environ, start_response):  # the test's session and transaction, as WebTest's
        environ.update(testapp.extra_environ)
        return app(environ, start_response)

    assert _failures(app_in_test) == []


# A wrong method on a route that exists is a 405 with Allow, everywhere (it was a 404, or the page itself).
@pytest.mark.parametrize("method,url,allow", [
    ("POST", "/api/v1/notices", "GET, HEAD"),
    ("DELETE", "/api/v1/notices/1", "GET, HEAD"),
    ("PUT", "/api/openapi.json", "GET, HEAD"),
    ("PATCH", "/api/v1/nothing", None),  # no such route: still a 404
])
def test_a_wrong_method_on_the_api_is_a_json_405_with_allow(testapp, method, url, allow):
    response = testapp.request(url, method=method, expect_errors=True)
    assert response.status_int == (405 if allow else 404)
    assert response.content_type == "application/json" and response.json["error"]["status"] == response.status_int
    assert response.headers.get("Allow") == allow


@pytest.mark.parametrize("method,url,allow", [
    ("POST", "/notices", "GET, HEAD"),
    ("PUT", "/alarm", "GET, HEAD, POST"),
    ("GET", "/status/reply", "POST"),
    ("DELETE", "/login", "GET, HEAD, POST"),
    ("POST", "/alarm/route", "GET, HEAD"),
    ("POST", "/", "GET, HEAD"),
])
def test_a_wrong_method_on_a_page_is_a_405_page_with_the_fallbacks(testapp, method, url, allow):
    response = testapp.request(url, method=method, expect_errors=True)
    assert response.status_int == 405 and response.headers["Allow"] == allow
    assert response.content_type == "text/html" and response.headers["Content-Security-Policy"]
    assert 'href="tel:110"' in response.text and "sms:" in response.text


def test_a_json_client_gets_its_405_as_json(testapp):
    response = testapp.request("/alarm/route", method="POST", headers={"Accept": "application/json"}, status=405)
    assert response.json["error"] and response.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("query,field", [
    ("since=", "since"), ("kind=", "kind"), ("region=", "region"), ("age_min=", "age_min"), ("limit=", None),
    ("cursor=", None), ("region=%D9%A1%D9%A2%D9%A3%D9%A4%D9%A5%D9%A6", "region"),  # Arabic-Indic digits
    ("since=2024-01-01T10:00", "since"), ("kind=%20wanted", "kind"), ("age_min=%D9%A3", "age_min"),
])
def test_an_empty_or_misshapen_filter_is_a_400_on_the_api(testapp, units, query, field):
    response = testapp.get(f"/api/v1/notices?{query}", status=400)
    assert response.json["error"]["status"] == 400
    if field:
        assert field in response.json["error"]["fields"]


def test_region_takes_exactly_the_codes_the_document_lists(testapp, units):
    document = testapp.get("/api/openapi.json").json
    (region,) = [p for p in document["paths"]["/api/v1/notices"]["get"]["parameters"] if p["name"] == "region"]
    assert set(region["schema"]["enum"]) == {u.code for u in units.values()}
    for code in region["schema"]["enum"]:
        testapp.get(f"/api/v1/notices?region={code}", status=200)
    assert "region" in testapp.get("/api/v1/notices?region=111111", status=400).json["error"]["fields"]


def test_the_list_page_still_reads_its_empty_fields_as_any(testapp, units):
    testapp.get("/notices?kind=&region=&since=&age_min=&q=", status=200)
