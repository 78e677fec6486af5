"""The staff workspace's layout: the officer's name, unit and sign-out in the header, the queue counts in
the navigation scoped to the officer's units, no public emergency strip on staff pages (it stays on
public pages), and a footer that does not offer a signed-in officer the staff sign-in."""
import re

import pytest

from tests.factories import make_alarm, make_missing_request, make_notice, make_officer, make_sighting, make_tip
from tests.functional.helpers import login


@pytest.fixture
def officers(dbsession, units):
    return {
        "a": make_officer(dbsession, units["city_a"], ["dispatcher", "moderator"], username="both_a",
                          display_name="Wang Wei"),
        "b": make_officer(dbsession, units["city_b"], ["dispatcher", "moderator"], username="both_b",
                          display_name="Li Na"),
        "handler": make_officer(dbsession, units["city_a"], ["handler"], username="hand_a"),
    }


@pytest.fixture
def queues(dbsession, registry, units):
    """In City A's scope: 2 tips, 1 sighting, 1 family request, 3 alarms; in City B's: 1 of each."""
    cipher = registry["field_cipher"]
    for unit, n in ((units["county_a"], 2), (units["city_b"], 1)):
        for _ in range(n):
            make_tip(dbsession, unit)
    make_sighting(dbsession, make_notice(dbsession, units["city_a"], kind="missing_person"))
    make_sighting(dbsession, make_notice(dbsession, units["city_b"], kind="missing_person"))
    make_missing_request(dbsession, cipher, units["county_a"], units["city_a"])
    make_missing_request(dbsession, cipher, units["county_b"], units["city_b"])
    for unit, n in ((units["county_a"], 3), (units["city_b"], 1)):
        for _ in range(n):
            make_alarm(dbsession, unit)


def nav_count(page, key):
    found = re.search(rf'data-count="{key}">(\d+)<', page.text)
    return int(found.group(1)) if found else None


def test_the_header_names_the_officer_and_unit_with_a_sign_out(testapp, officers, queues):
    login(testapp, "both_a")
    page = testapp.get("/staff")
    header = page.html.select_one("header.staff-header")
    assert "Wang Wei" in header.text and "City A" in header.text and "990100" in header.text
    assert header.select_one('form[action="/logout"] button').text.strip() == "Sign out"
    assert header.select_one('form[action="/logout"] input[name="csrf_token"]')["value"]


@pytest.mark.parametrize("who, expected", [
    ("both_a", {"tips": 2, "sightings": 1, "missing": 1, "alarms": 3}),
    ("both_b", {"tips": 1, "sightings": 1, "missing": 1, "alarms": 1}),
])
def test_the_navigation_counts_each_queue_in_the_officer_s_units(testapp, officers, queues, who, expected):
    login(testapp, who)
    for path in ("/staff", "/staff/alarms", "/staff/tips"):
        page = testapp.get(path)
        assert {key: nav_count(page, key) for key in expected} == expected, path


def test_a_handler_counts_the_tips_assigned_to_them_and_has_no_alarm_count(testapp, dbsession, officers, units):
    make_tip(dbsession, units["city_a"], state="assigned", assigned_to=officers["handler"])
    make_tip(dbsession, units["city_a"])  # waiting for triage: not the handler's
    login(testapp, "hand_a")
    page = testapp.get("/staff/tips")
    assert nav_count(page, "tips") == 1
    assert nav_count(page, "alarms") is None and nav_count(page, "sightings") is None


def test_staff_pages_have_no_emergency_strip_and_no_staff_sign_in(testapp, officers, queues):
    login(testapp, "both_a")
    for path in ("/staff", "/staff/alarms", "/staff/tips", "/staff/sightings", "/staff/missing",
                 "/staff/account/password"):
        page = testapp.get(path)
        assert 'class="fallbacks"' not in page.text, path
        assert "In danger? Contact the police now" not in page.text, path
        # ...but the call and SMS links every page carries, as one quiet line in the footer.
        links = [a["href"] for a in page.html.select("footer .staff-fallbacks a")]
        assert links[:2] == ["tel:110", "tel:122"] and links[2].startswith("sms:"), path
        assert "Staff sign-in" not in page.text and 'href="/login"' not in page.text, path
        assert "staff.css" in page.text and "<style" not in page.text and "<script>" not in page.text, path
        assert page.html.select_one('nav.staff-nav a[aria-current="page"]') is not None, path


def test_public_pages_keep_the_emergency_strip(testapp, officers):
    for path in ("/", "/notices", "/login"):
        page = testapp.get(path)
        assert 'class="fallbacks"' in page.text and 'href="tel:110"' in page.text, path
        assert "staff.css" not in page.text, path
