"""Signing in as an officer: passwords, lockout, the second factor and its enrolment."""
from datetime import timedelta

import pyotp
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.meta import utcnow
from tests.factories import make_officer, totp_now
from tests.functional.helpers import login


def actions(dbsession):
    return [e.action for e in dbsession.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()]


def test_moderator_signs_in_sees_dashboard_and_signs_out(testapp, dbsession, units):
    make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    response = login(testapp, "mod")
    assert response.location.endswith("/staff")
    cookie = [h for h in response.headers.getall("Set-Cookie") if h.startswith("portal_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    dashboard = response.follow()
    assert "City A" in dashboard.text and "Notices waiting for review" in dashboard.text
    dashboard.forms[0].submit(status=303)  # the sign-out button in the staff menu
    assert testapp.get("/staff", status=303).location.startswith("http://localhost/login")
    assert actions(dbsession) == ["signin", "signout"]


def test_wrong_password_and_unknown_user_get_the_same_400_answer(testapp, dbsession, units):
    make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    wrong = login(testapp, "mod", password="not the password", status=400)
    unknown = login(testapp, "nobody", password="whatever it is", status=400)
    for page in (wrong, unknown):
        assert "Wrong username or password." in page.text
        assert 'href="tel:110"' in page.text
        assert page.forms[0]["password"].value == ""  # never echoed back
    assert wrong.forms[0]["username"].value == "mod"  # the form stays filled in
    assert actions(dbsession) == ["signin.failed", "signin.failed"]


def test_five_failures_slow_the_username_down_for_the_address_that_failed(testapp, dbsession, units):
    officer = make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    for _ in range(5):  # the fifth failure is answered like the others: it tells nothing more
        login(testapp, "mod", password="wrong password!", status=400)
    refused = login(testapp, "mod", status=429)  # the right password waits too, from this address
    assert "locked" in refused.text and refused.headers["Retry-After"] == "30"
    assert "ask an administrator to unlock" in refused.text
    assert officer.is_locked()
    assert actions(dbsession).count("signin.failed") == 5 and "officer.locked" in actions(dbsession)
    login(testapp, "mod", status=303, extra_environ={"REMOTE_ADDR": "198.51.100.20"})  # not from elsewhere


def test_lock_expires_after_the_delay(testapp, dbsession, units):
    officer = make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    officer.locked_until = utcnow() - timedelta(seconds=1)
    login(testapp, "mod")


def test_admin_unlocks_an_officer(testapp, dbsession, registry, units):
    secret = pyotp.random_base32()
    make_officer(dbsession, units["province"], ["admin"], username="boss", totp_secret=secret,
                 cipher=registry["field_cipher"])
    locked = make_officer(dbsession, units["city_a"], ["moderator"], username="mod",
                          locked_until=utcnow() + timedelta(minutes=10))
    login(testapp, "boss", totp_secret=secret)
    page = testapp.get(f"/staff/officers/{locked.id}")
    assert "locked" in page.text
    form = page.forms["deform"]
    form["unlock"] = True
    form.submit("save", status=303)
    assert not locked.is_locked()
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "officer.changed")).scalar_one()
    assert event.reason == "unlocked" and event.actor == "officer:boss"
    testapp.reset()
    login(testapp, "mod")


def test_totp_is_asked_for_and_checked(testapp, dbsession, registry, units):
    secret = pyotp.random_base32()
    make_officer(dbsession, units["city_a"], ["handler"], username="h1", totp_secret=secret,
                 cipher=registry["field_cipher"])
    page = testapp.get("/login").forms[0]
    page["username"], page["password"] = "h1", "correct horse battery staple"
    to_code = page.submit("submit", status=303)
    assert to_code.location.endswith("/login/totp")
    assert testapp.get("/staff", status=303)  # not signed in after the password alone
    code_form = to_code.follow().forms[0]
    code_form["code"] = "000000" if totp_now(secret) != "000000" else "111111"
    wrong = code_form.submit("submit", status=400)
    assert "That code is not right" in wrong.text
    code_form = wrong.forms[0]
    code_form["code"] = totp_now(secret)
    code_form.submit("submit", status=303)
    assert testapp.get("/staff").status_int == 200


def test_a_used_totp_code_cannot_be_replayed(testapp, dbsession, registry, units):
    secret = pyotp.random_base32()
    make_officer(dbsession, units["city_a"], ["handler"], username="h1", totp_secret=secret,
                 cipher=registry["field_cipher"])
    code = totp_now(secret)  # the same code both times, even if a 30 s step passes in between
    login(testapp, "h1", totp_secret=secret, code=code)
    testapp.reset()
    login(testapp, "h1", totp_secret=secret, code=code, status=400)


def test_admin_without_totp_must_enrol_before_signing_in(testapp, dbsession, units):
    admin = make_officer(dbsession, units["province"], ["admin"], username="newadmin")
    form = testapp.get("/login").forms[0]
    form["username"], form["password"] = "newadmin", "correct horse battery staple"
    to_enrol = form.submit("submit", status=303)
    assert to_enrol.location.endswith("/login/enrol")
    enrol = to_enrol.follow()
    assert 'src="data:image/svg+xml' in enrol.text  # the QR code, drawn here
    secret = enrol.html.select_one("code.totp-key").text.strip()
    assert testapp.get("/staff", status=303)
    bad = enrol.forms[0]
    bad["code"] = "12345"
    assert "Enter the six digits" in bad.submit("submit", status=400).text
    good = enrol.forms[0]
    good["code"] = totp_now(secret)
    good.submit("submit", status=303)
    assert admin.totp_enabled and admin.totp_secret and secret not in admin.totp_secret
    assert testapp.get("/staff/units").status_int == 200
    assert actions(dbsession)[-2:] == ["totp.enrolled", "signin"]


def test_officer_can_turn_on_totp_from_their_account(testapp, dbsession, units):
    officer = make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    login(testapp, "mod")
    page = testapp.get("/staff/account/totp")
    secret = page.html.select_one("code.totp-key").text.strip()
    form = page.forms["deform"]
    form["code"] = totp_now(secret)
    form.submit("submit", status=303).follow()
    assert officer.totp_enabled
    assert "Two-step sign-in is on" in testapp.get("/staff/account/totp").text


def test_a_wrong_enrolment_code_keeps_the_secret_and_turns_nothing_on(testapp, dbsession, units):
    officer = make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    login(testapp, "mod")
    page = testapp.get("/staff/account/totp")
    secret = page.html.select_one("code.totp-key").text.strip()
    form = page.forms["deform"]
    form["code"] = "000000" if totp_now(secret) != "000000" else "111111"
    again = form.submit("submit", status=400)
    assert "That code is not right. Check the time on your phone and try again." in again.text
    assert again.html.select_one("code.totp-key").text.strip() == secret  # the app's entry stays good
    assert 'src="data:image/svg+xml' in again.text and not officer.totp_enabled
    form = again.forms["deform"]
    form["code"] = totp_now(secret)
    form.submit("submit", status=303)
    assert officer.totp_enabled


def test_deactivated_officer_loses_the_running_session(testapp, dbsession, units):
    officer = make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    login(testapp, "mod")
    officer.active = False
    dbsession.flush()
    assert testapp.get("/staff", status=303)


def test_next_parameter_never_redirects_off_site(testapp, dbsession, units):
    make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    form = testapp.get("/login?next=//evil.example/phish").forms[0]
    form["username"], form["password"] = "mod", "correct horse battery staple"
    response = form.submit("submit", status=303)
    assert response.location == "http://localhost/staff"


def test_sign_in_attempts_are_rate_limited_per_address(testapp, dbsession, units):
    for n in range(20):
        login(testapp, f"nobody{n}", password="whatever it is", status=400)
    limited = login(testapp, "nobody", password="whatever it is", status=429)
    assert "Too many sign-in attempts" in limited.text and int(limited.headers["Retry-After"]) > 0
    assert 'href="tel:110"' in limited.text


def test_oversized_fields_get_a_clear_400(testapp, dbsession, units):
    form = testapp.get("/login").forms[0]
    form["username"] = "x" * 5000
    form["password"] = "y" * 5000
    response = form.submit("submit", status=400)
    assert "Longer than maximum length" in response.text or "超过" in response.text
