"""Public filters: each combination has one stable URL; bad values get a 400 with the form kept."""
from datetime import timedelta
from urllib.parse import quote

import pytest

from portal.core.meta import utcnow
from tests.factories import make_notice, make_units


@pytest.fixture
def world(dbsession):
    units = make_units(dbsession)
    girl = make_notice(dbsession, units["county_a"], kind="missing_person", title="寻人启事：李秀英")
    girl.missing_person.full_name, girl.missing_person.age, girl.missing_person.sex = "李秀英", 9, "female"
    girl.missing_person.last_seen_place = "人民公园东门"
    man = make_notice(dbsession, units["city_b"], kind="missing_person", title="寻人启事：王强")
    man.missing_person.full_name, man.missing_person.age, man.missing_person.sex = "王强", 71, "male"
    old = make_notice(dbsession, units["city_a"], kind="wanted", title="通缉令：张伟 100%")
    old.published_at = utcnow() - timedelta(days=40)
    other = make_notice(dbsession, units["province"], kind="lost_found", title="失物招领：黑色双肩包",
                        body="在秀英路拾到")
    dbsession.flush()
    return {"girl": girl, "man": man, "old": old, "other": other}


def titles(page):
    return {a.text.strip() for a in page.html.select(".card-title")}


@pytest.mark.parametrize("query,expected", [
    ("q=秀英", {"girl", "other"}),  # a two-character given name: in a name and in a body
    ("q=公园", {"girl"}),  # a place
    ("q=100%25", {"old"}),  # % is a character here, not a wildcard
    ("q=%25", {"old"}),
    ("region=990100", {"girl", "old"}),  # a city and the county below it
    ("region=990101", {"girl"}),
    ("kind=missing_person&sex=male", {"man"}),
    ("kind=missing_person&age_max=17", {"girl"}),
    ("age_min=60&age_max=80", {"man"}),
    ("since=" + (utcnow() - timedelta(days=7)).date().isoformat(), {"girl", "man", "other"}),
])
def test_filters(testapp, world, query, expected):
    page = testapp.get(f"/notices?{quote(query, safe='=&%')}")
    assert titles(page) == {world[key].title for key in expected}


def test_the_form_shows_the_filters_in_use(testapp, world):
    page = testapp.get("/notices?" + quote("q=秀英&region=990100&sex=female", safe="=&"))
    form = page.forms[0]
    assert (form["q"].value, form["region"].value, form["sex"].value) == ("秀英", "990100", "female")


def test_pages_keep_the_filters_in_a_stable_order(testapp, dbsession, world):
    for i in range(25):
        make_notice(dbsession, world["girl"].unit, kind="wanted", title=f"通缉令 {i}")
    first = testapp.get("/notices?region=990101&kind=wanted")
    link = first.html.select_one('a[rel="next"]')["href"]
    assert link.startswith("/notices?kind=wanted&region=990101&page=")
    assert titles(testapp.get(link)) <= {f"通缉令 {i}" for i in range(25)}


@pytest.mark.parametrize("query,field,message", [
    ("age_min=50&age_max=10", "age_max", "must not be below"),
    ("age_min=abc", "age_min", "is not a number"),
    ("age_min=200", "age_min", "greater than maximum"),
    ("region=999999", "region", "Choose a region"),
    ("region=abc", "region", "Choose a region"),
    ("sex=robot", "sex", "Choose one of the answers offered."),
    ("since=2026-13-45", "since", "Invalid date"),
    ("q=" + "x" * 60, "q", "Longer than maximum"),
])
def test_bad_filters_get_400_with_the_form_kept(testapp, world, query, field, message):
    page = testapp.get(f"/notices?{query}&kind=missing_person", status=400)
    assert message in page.text
    summary = page.html.select_one("main .error-summary[role=alert]")  # first after the heading
    assert summary is not None and "Please correct the marked filters." in summary.text
    assert page.forms[0]["kind"].value == "missing_person"
    assert page.html.select_one(f'[name="{field}"]').get("aria-invalid") == "true"
    assert 'href="tel:110"' in page.text
