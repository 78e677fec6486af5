"""Digits of other scripts in ids: str.isdigit() takes "²" and "٣", which int() refuses or reads as
another number. Every id that people or links send goes through portal.core.ids.record_id: a clear 4xx
or the default, never a 500 and never another row."""
from urllib.parse import quote

import pytest

from portal.core.ids import MAX_ID, record_id
from tests.factories import make_officer, make_tip, make_trip
from tests.functional.helpers import login


@pytest.mark.parametrize("value, expected", [
    ("42", 42), (42, 42), ("²", None), ("٣", None), ("0", None), ("-1", None), ("", None),
    (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), ("9" * 40, None), (True, None), (None, None),
])
def test_record_id(value, expected):
    assert record_id(value) == expected


def test_a_path_id_in_another_script_is_not_found(testapp, dbsession, units):
    tip = make_tip(dbsession, units["city_a"])
    officer = make_officer(dbsession, units["city_a"], ["moderator"])
    login(testapp, officer.username)
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in str(tip.id))  # \d in the route matches these
    assert testapp.get(f"/staff/tips/{tip.id}").status_int == 200
    assert testapp.get("/staff/tips/" + quote(arabic_indic), status="*").status_int == 404


@pytest.mark.parametrize("url", ["/staff/sightings?notice=%C2%B2", "/staff/audit?before=%C2%B2"])
def test_staff_filters_with_odd_digits_are_a_clear_400(testapp, dbsession, units, registry, url):
    from tests.functional.test_authorization_matrix import ADMIN_SECRET

    roles = ["admin"] if "audit" in url else ["moderator"]
    officer = make_officer(dbsession, units["province"], roles, totp_secret=ADMIN_SECRET if roles == ["admin"]
                           else None, cipher=registry["field_cipher"])
    login(testapp, officer.username, totp_secret=ADMIN_SECRET if roles == ["admin"] else None)
    assert testapp.get(url, status="*").status_int == 400


def test_trip_updates_with_odd_digits_start_from_the_beginning(testapp, dbsession):
    _trip, token, _guardians = make_trip(dbsession)
    assert testapp.get(f"/trips/{token}/updates?after=%C2%B2").status_int == 200


def test_a_family_request_naming_a_unit_in_odd_digits_is_refused_with_the_form(testapp, units):
    form = testapp.get("/missing/new").forms["deform"]
    fields = [(name, value) for name, value in form.submit_fields("submit")]
    fields = [(name, "²" if name == "accepting_unit" else value) for name, value in fields]
    page = testapp.post("/missing/new", fields, status="*")
    assert page.status_int == 400 and "Choose the unit from the list." in page.text


@pytest.mark.parametrize("marker", ["__start__", "__end__"])
def test_a_refused_post_with_unpaired_structure_markers_comes_back_as_the_form(testapp, units, marker):
    """Deform nests fields between __start__ and __end__ markers. A refused post (here a stale CSRF
    token) is re-rendered with what was sent; a forged post that does not pair the markers made that
    re-rendering raise (a 500)."""
    form = testapp.get("/tips/new?category=other").forms["deform"]
    fields = [(n, "stale" if n == "csrf_token" else v) for n, v in form.submit_fields("send")]
    page = testapp.post("/tips/new?category=other", fields + [(marker, "extra:mapping")],
                        content_type="multipart/form-data", status="*")
    assert page.status_int == 400 and 'id="deform"' in page.text
