"""The public lists: the result count, the order (newest or last seen; a plain select that works
without JavaScript), the filters folded until one is in use, an empty search that says how to widen
it; and the "approved by <unit> on <day>" badge of every kind, from the four-eyes approval through the
staff forms to the page, the list card, the poster and the API."""
from datetime import timedelta
from urllib.parse import quote

import pytest

from portal.core.meta import utcnow
from tests.factories import make_notice, make_officer
from tests.functional.helpers import login


@pytest.fixture
def world(dbsession, units):
    now = utcnow()
    # Published: old, middle, new; last seen: the oldest appeal was seen most recently.
    a = make_notice(dbsession, units["county_a"], kind="missing_person", title="寻人：甲", minutes_ago=300)
    a.missing_person.last_seen_at = now - timedelta(minutes=10)
    b = make_notice(dbsession, units["county_a"], kind="missing_person", title="寻人：乙", minutes_ago=200)
    b.missing_person.last_seen_at = now - timedelta(days=2)
    c = make_notice(dbsession, units["city_b"], kind="wanted", title="通缉：丙", minutes_ago=100)
    dbsession.flush()
    return {"a": a, "b": b, "c": c}


def card_titles(page):
    return [a.text.strip() for a in page.html.select(".card-title")]


def test_the_list_says_how_many_and_sorts_by_newest_or_last_seen(testapp, world):
    page = testapp.get("/notices")
    assert page.html.select_one(".result-count").text.strip() == "3 notices found"
    assert card_titles(page) == ["通缉：丙", "寻人：乙", "寻人：甲"]
    # No filter in use: the filters are folded (a phone shows the notices first).
    assert page.html.select_one("details.filters-fold").get("open") is None
    form = page.forms[0]
    form["sort"] = "last_seen"
    sorted_page = form.submit()
    assert card_titles(sorted_page) == ["寻人：甲", "通缉：丙", "寻人：乙"]
    assert sorted_page.forms[0]["sort"].value == "last_seen"
    only_missing = testapp.get("/notices?kind=missing_person&sort=last_seen")
    assert card_titles(only_missing) == ["寻人：甲", "寻人：乙"]
    assert only_missing.html.select_one(".result-count").text.strip() == "2 notices found"


def test_sorting_by_last_seen_pages_with_its_own_cursor(testapp, dbsession, world, units):
    for i in range(22):
        n = make_notice(dbsession, units["county_a"], kind="missing_person", title=f"寻人 {i:02}", minutes_ago=i)
        n.missing_person.last_seen_at = utcnow() - timedelta(days=3, minutes=i)
    dbsession.flush()
    first = testapp.get("/notices?sort=last_seen")
    link = first.html.select_one('a[rel="next"]')["href"]
    assert "sort=last_seen" in link
    second = testapp.get(link)
    seen = card_titles(first) + card_titles(second)
    assert len(seen) == len(set(seen)) == 25 and seen[:2] == ["寻人：甲", "通缉：丙"]
    assert seen[-1] == "寻人 21"


def test_an_empty_search_says_nothing_matched_and_how_to_widen_it(testapp, world):
    page = testapp.get("/notices?" + quote("q=没有这个人&sex=male", safe="=&"))
    assert page.status_int == 200 and "0 notices found" in page.text
    assert "No published notice matches this search." in page.text and "No notices at the moment." not in page.text
    assert page.html.select_one("details.filters-fold").get("open") is not None  # filters in use: shown
    cleared = page.click(description="Clear all filters and show every notice")
    assert len(card_titles(cleared)) == 3


def test_a_bad_order_is_a_400_with_the_form_kept(testapp, world):
    page = testapp.get("/notices?sort=sideways&q=" + quote("甲"), status=400)
    assert "Choose an order from the list." in page.text and page.forms[0]["q"].value == "甲"


def test_the_approval_badge_for_a_staff_written_notice(testapp, dbsession, units):
    author = make_officer(dbsession, units["county_a"], ["moderator"], username="author_c")
    reviewer = make_officer(dbsession, units["city_a"], ["moderator"], username="reviewer_c")
    notice = make_notice(dbsession, units["county_a"], kind="vehicle", state="in_review", author_id=author.id,
                         title="协查车辆：白色面包车", vehicle_plate="冀A·99999")
    login(testapp, reviewer.username)
    testapp.get(f"/staff/notices/{notice.id}").forms["transition-approve"].submit(status=303)
    assert notice.state == "published" and notice.verified_by_unit_id == units["city_a"].id
    testapp.reset()
    badge = f"Approved by {units['city_a'].name('en')} on"
    assert badge in testapp.get(f"/notices/{notice.id}").text
    card = testapp.get("/notices?kind=vehicle").html.select_one(".card .badge-verified")
    assert card is not None and badge in card.text
    assert badge in testapp.get(f"/notices/{notice.id}/poster").text
    verified = testapp.get(f"/api/v1/notices/{notice.id}").json["verified"]
    assert verified["unit"]["code"] == units["city_a"].code and verified["at"].endswith("Z")
