"""/staff/audit lists and filters the log for administrators, within their scope."""
import pyotp
import pytest

from portal.audit import chain as audit
from tests.factories import make_officer, make_units
from tests.functional.helpers import login


@pytest.fixture
def setup(testapp, dbsession, registry):
    units = make_units(dbsession)
    secret = pyotp.random_base32()
    cipher = registry["field_cipher"]
    top = make_officer(dbsession, units["province"], ["admin"], username="top", totp_secret=secret, cipher=cipher)
    city_secret = pyotp.random_base32()
    make_officer(dbsession, units["city_a"], ["admin"], username="city", totp_secret=city_secret, cipher=cipher)
    inside = make_officer(dbsession, units["county_a"], ["moderator"], username="inside")
    outside = make_officer(dbsession, units["city_b"], ["moderator"], username="outside")
    audit.append(dbsession, "notice.published", officer=inside, object_type="notice", object_id=5, to_state="published")
    audit.append(dbsession, "notice.rejected", officer=outside, object_type="notice", object_id=6, reason="blurry")
    return {"top": (top, secret), "city": city_secret}


def rows(page):
    """The stored action codes of the rows shown (the cell says it in words, see test_reader_language)."""
    return [tr["data-action"] for tr in page.html.select("table.audit tbody tr[data-action]")]


def test_top_admin_sees_everything_and_filters(testapp, setup):
    login(testapp, "top", totp_secret=setup["top"][1])
    page = testapp.get("/staff/audit")
    assert {"notice.published", "notice.rejected", "signin"} <= set(rows(page))
    assert rows(testapp.get("/staff/audit?action=notice.")) == ["notice.rejected", "notice.published"]
    assert rows(testapp.get("/staff/audit?actor=outside")) == ["notice.rejected"]
    assert rows(testapp.get("/staff/audit?object_type=notice&object_id=5")) == ["notice.published"]
    assert rows(testapp.get("/staff/audit?since=2099-01-01")) == []


def test_city_admin_sees_only_events_of_officers_in_scope(testapp, setup):
    login(testapp, "city", totp_secret=setup["city"])
    actions = rows(testapp.get("/staff/audit"))
    assert "notice.published" in actions and "notice.rejected" not in actions


def test_bad_filter_values_get_400(testapp, setup):
    login(testapp, "top", totp_secret=setup["top"][1])
    assert "2026-11-24" in testapp.get("/staff/audit?since=yesterday", status=400).text
    testapp.get("/staff/audit?before=abc", status=400)


def test_pages_of_fifty(testapp, dbsession, setup):
    for i in range(60):
        audit.append(dbsession, f"bulk.{i:02d}", actor="system")
    login(testapp, "top", totp_secret=setup["top"][1])
    first = testapp.get("/staff/audit?action=bulk.")
    assert len(rows(first)) == 50 and rows(first)[0] == "bulk.59"
    second = testapp.get(first.html.select_one('a[rel="next"]')["href"])
    assert rows(second)[-1] == "bulk.00" and len(rows(second)) == 10
