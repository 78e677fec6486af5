"""A second factor for every officer who can see protected fields (portal.totp.required_for =
reveal, the default and required in production): moderators (sighting contacts), handlers (tip
contacts) and dispatchers (alarm senders, families) set it up at their first sign-in, before
anything else; only a local demo relaxes it to administrators."""
import os

import pytest
from pyramid.paster import get_appsettings
from sqlalchemy import select

from portal.audit.models import AuditEvent
from tests.factories import PASSWORD, make_officer, totp_now
from tests.functional.helpers import login

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def strict(app):
    settings = app.registry.settings
    relaxed = settings["portal.totp.required_for"]
    settings["portal.totp.required_for"] = "reveal"
    yield
    settings["portal.totp.required_for"] = relaxed


def enrol(page, testapp):
    secret = page.html.select_one("code.totp-key").text.strip()
    form = page.forms[0]
    form["code"] = totp_now(secret)
    return form.submit("submit", status=303), secret


@pytest.mark.parametrize("role", ["moderator", "handler", "dispatcher"])
def test_an_officer_who_can_reveal_contacts_sets_up_the_second_factor_first(testapp, dbsession, units, strict,
                                                                            role):
    officer = make_officer(dbsession, units["city_a"], [role], username="officer")
    to_enrol = login(testapp, "officer")
    assert to_enrol.location.endswith("/login/enrol")
    assert testapp.get("/staff", status=303).location.startswith("http://localhost/login")  # nothing else yet
    done, _secret = enrol(to_enrol.follow(), testapp)
    assert done.location.endswith("/staff")
    assert testapp.get("/staff").status_int == 200
    assert officer.totp_enabled
    events = dbsession.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert events[-2:] == ["totp.enrolled", "signin"]
    testapp.reset()
    assert login(testapp, "officer").location.endswith("/login/totp")  # from now on: password and code


def test_a_running_session_without_the_second_factor_is_sent_to_set_it_up(testapp, app, dbsession, units):
    """Signed in while the demo setting held (or before a role that needs it was granted)."""
    make_officer(dbsession, units["city_a"], ["handler"], username="h1")
    login(testapp, "h1")
    assert testapp.get("/staff").status_int == 200
    settings = app.registry.settings
    settings["portal.totp.required_for"] = "reveal"
    try:
        assert testapp.get("/staff", status=303).location.startswith("http://localhost/login")
        to_enrol = login(testapp, "h1")
        assert to_enrol.location.endswith("/login/enrol")
        enrol(to_enrol.follow(), testapp)
        assert testapp.get("/staff").status_int == 200
    finally:
        settings["portal.totp.required_for"] = "admin"


def test_a_role_granted_later_needs_the_second_factor_at_once(testapp, dbsession, units, strict):
    officer = make_officer(dbsession, units["city_a"], [], username="plain")  # no role that reveals
    login(testapp, "plain")
    assert testapp.get("/login", status=303)  # signed in: the sign-in page sends the officer on
    officer.set_roles(["dispatcher"])
    dbsession.flush()
    assert testapp.get("/staff", status=303).location.startswith("http://localhost/login")
    form = testapp.get("/login").forms[0]
    form["username"], form["password"] = "plain", PASSWORD
    assert form.submit("submit", status=303).location.endswith("/login/enrol")


def test_the_demo_is_relaxed_and_production_strict():
    development = get_appsettings(os.path.join(ROOT, "development.ini"))
    production = get_appsettings(os.path.join(ROOT, "production.ini"))
    assert development["portal.totp.required_for"] == "admin"
    assert production["portal.totp.required_for"] == "reveal"


def test_with_the_demo_setting_a_handler_signs_in_with_the_password_alone(testapp, dbsession, units):
    make_officer(dbsession, units["city_a"], ["handler"], username="h1")
    assert login(testapp, "h1").location.endswith("/staff")
