"""Administrators manage units and officers inside their scope; every change is audited."""
import json

import pyotp
import pytest
from sqlalchemy import func, select

from portal.accounts.models import Officer
from portal.audit.models import AuditEvent
from portal.units.models import Unit
from tests.factories import make_officer
from tests.functional.helpers import login

SQUARE = json.dumps({"type": "Polygon", "coordinates": [[[115, 38], [115.1, 38], [115.1, 38.1], [115, 38.1], [115, 38]]]})
BOWTIE = json.dumps({"type": "Polygon", "coordinates": [[[115, 38], [115.1, 38.1], [115.1, 38], [115, 38.1], [115, 38]]]})


@pytest.fixture
def city_admin(testapp, dbsession, registry, units):
    """An admin of city A, signed in."""
    secret = pyotp.random_base32()
    admin = make_officer(dbsession, units["city_a"], ["admin"], username="admin_a", totp_secret=secret,
                         cipher=registry["field_cipher"])
    login(testapp, "admin_a", totp_secret=secret)
    return admin


def count(dbsession, model):
    return dbsession.execute(select(func.count()).select_from(model)).scalar_one()


def last_event(dbsession):
    return dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()


def test_units_list_shows_only_the_admins_subtree(testapp, city_admin):
    page = testapp.get("/staff/units")
    assert "990100" in page.text and "990101" in page.text
    assert "990200" not in page.text and "990000" not in page.text


def test_admin_creates_a_county_unit(testapp, dbsession, city_admin, units):
    form = testapp.get("/staff/units/new").forms["deform"]
    assert {o[0] for o in form["parent_id"].options} == {str(units["city_a"].id), str(units["county_a"].id)}
    form["code"] = "990102"
    form["parent_id"] = str(units["city_a"].id)
    form["name_zh"] = "新县公安局"
    form["phone_110"] = "0311-110"
    form["sms_suffix"] = "12"
    form["jurisdiction"] = SQUARE
    page = form.submit("save", status=303).follow()
    unit = dbsession.execute(select(Unit).where(Unit.code == "990102")).scalar_one()
    assert unit.path == "/990000/990100/990102/" and unit.level == "county"
    assert json.loads(unit.jurisdiction)["type"] == "Polygon"
    assert "Unit created." in page.text
    event = last_event(dbsession)
    assert (event.action, event.object_id, event.actor) == ("unit.created", str(unit.id), "officer:admin_a")


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("jurisdiction", "{not json", "not valid JSON"),
        ("jurisdiction", BOWTIE, "not valid"),
        ("jurisdiction", json.dumps({"type": "Point", "coordinates": [1, 2]}), "Polygon or MultiPolygon"),
        ("jurisdiction", json.dumps({"type": "Polygon", "coordinates": [[[500, 38], [501, 38], [501, 39], [500, 38]]]}),
         "WGS-84"),
        ("code", "12ab", "6 to 12 digits"),
        ("sms_suffix", "9x", "Digits only"),
        ("name_zh", "", "Required"),
    ],
)
def test_bad_unit_input_is_refused_with_the_form_kept(testapp, dbsession, city_admin, units, field, value, message):
    before = count(dbsession, Unit), count(dbsession, AuditEvent)
    form = testapp.get("/staff/units/new").forms["deform"]
    form["code"], form["parent_id"], form["name_zh"] = "990103", str(units["city_a"].id), "Kept name"
    form["phone_110"] = "110"
    form[field] = value
    page = form.submit("save", status=400)
    assert message in page.text
    if field != "name_zh":
        assert page.forms["deform"]["name_zh"].value == "Kept name"
    assert (count(dbsession, Unit), count(dbsession, AuditEvent)) == before


def test_duplicate_unit_code_is_refused(testapp, dbsession, city_admin, units):
    form = testapp.get("/staff/units/new").forms["deform"]
    form["code"], form["parent_id"], form["name_zh"], form["phone_110"] = "990101", str(units["city_a"].id), "X", "110"
    assert "already exists" in form.submit("save", status=400).text


def test_admin_cannot_pick_a_parent_outside_scope(testapp, dbsession, city_admin, units):
    form = testapp.get("/staff/units/new").forms["deform"]
    form["code"], form["name_zh"], form["phone_110"] = "990299", "X", "110"
    form["parent_id"].force_value(str(units["city_b"].id))
    assert "Choose a unit you administer" in form.submit("save", status=400).text
    assert dbsession.execute(select(Unit).where(Unit.code == "990299")).first() is None


def test_admin_edits_a_unit(testapp, dbsession, city_admin, units):
    form = testapp.get(f"/staff/units/{units['county_a'].id}").forms["deform"]
    form["phone_110"] = "0311-9110"
    form["is_command_center"] = True
    form.submit("save", status=303)
    assert units["county_a"].phone_110 == "0311-9110" and units["county_a"].is_command_center
    assert last_event(dbsession).reason == "changed: phone_110, is_command_center"


def test_admin_creates_an_officer_who_can_then_sign_in(testapp, dbsession, city_admin, units):
    form = testapp.get("/staff/officers/new").forms["deform"]
    form["username"] = "new.handler"
    form["display_name"] = "新警员"
    form["unit_id"] = str(units["county_a"].id)
    form.set("checkbox", True, index=1)  # handler
    form["password"] = "a long enough password"
    form.submit("save", status=303)
    officer = dbsession.execute(select(Officer).where(Officer.username == "new.handler")).scalar_one()
    assert officer.roles == {"handler"} and officer.unit.code == "990101"
    event = last_event(dbsession)
    assert event.action == "officer.created" and "a long enough password" not in event.reason
    testapp.reset()
    login(testapp, "new.handler", password="a long enough password")


@pytest.mark.parametrize(
    "username,password,message",
    [
        ("ok.name", "short", "at least 12 characters"),
        ("ok.name", "ok.name-and-more-text", "must not contain the username"),
        ("Bad Name!", "a long enough password", "3 to 64 of a-z"),
        ("admin_a", "a long enough password", "This username is taken"),
    ],
)
def test_bad_officer_input_is_refused(testapp, dbsession, city_admin, units, username, password, message):
    before = count(dbsession, Officer)
    form = testapp.get("/staff/officers/new").forms["deform"]
    form["username"], form["display_name"], form["password"] = username, "Name kept", password
    form["unit_id"] = str(units["city_a"].id)
    page = form.submit("save", status=400)
    assert message in page.text
    assert page.forms["deform"]["display_name"].value == "Name kept"
    assert count(dbsession, Officer) == before


def test_admin_changes_roles_and_deactivates(testapp, dbsession, city_admin, units):
    officer = make_officer(dbsession, units["county_a"], ["moderator"], username="mod")
    form = testapp.get(f"/staff/officers/{officer.id}").forms["deform"]
    form.set("checkbox", True, index=2)  # add dispatcher
    form["active"] = False
    form.submit("save", status=303)
    assert officer.roles == {"moderator", "dispatcher"} and not officer.active
    assert last_event(dbsession).reason == "roles moderator -> dispatcher,moderator; deactivated"


def test_a_reset_password_holding_the_username_is_refused_with_the_form_kept(testapp, dbsession, city_admin, units):
    """The service's own check (the form cannot know the username): a 400 at the field, not a 500."""
    officer = make_officer(dbsession, units["county_a"], ["moderator"], username="mod")
    stored, before = officer.password_hash, count(dbsession, AuditEvent)
    form = testapp.get(f"/staff/officers/{officer.id}").forms["deform"]
    form["display_name"], form["new_password"] = "Name kept", "mod-and-a-long-tail"
    page = form.submit("save", status=400)
    field = page.forms["deform"]["new_password"].id
    assert page.html.select_one(f"#error-{field}").get_text(strip=True) == "The password must not contain the username."
    assert page.forms["deform"]["display_name"].value == "Name kept"
    assert officer.password_hash == stored and officer.display_name != "Name kept"
    assert count(dbsession, AuditEvent) == before


def test_refusals_of_officers_and_units_are_translated(testapp, dbsession, city_admin, units):
    chinese = {"HTTP_ACCEPT_LANGUAGE": "zh-CN"}
    form = testapp.get("/staff/officers/new", extra_environ=chinese).forms["deform"]
    form["username"], form["display_name"], form["password"] = "ok.name", "名字", "short"
    form["unit_id"] = str(units["city_a"].id)
    page = form.submit("save", status=400, extra_environ=chinese)
    assert "密码至少需要 12 个字符。" in page.text  # was "密码：at least 12 characters"
    form = testapp.get("/staff/units/new", extra_environ=chinese).forms["deform"]
    form["jurisdiction"] = "{not json"
    page = form.submit("save", status=400, extra_environ=chinese)
    assert "辖区不是有效的 JSON。" in page.text  # was "辖区：not valid JSON"


def test_officers_list_is_scoped(testapp, dbsession, city_admin, units):
    make_officer(dbsession, units["county_a"], ["moderator"], username="inside")
    make_officer(dbsession, units["city_b"], ["moderator"], username="outside")
    page = testapp.get("/staff/officers")
    assert "inside" in page.text and "outside" not in page.text
