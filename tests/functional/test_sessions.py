"""Sessions end on the server: a session cookie kept from before a sign-out, a new password, a reset
second factor or a deactivation no longer signs anyone in."""
import pyotp
import webtest

from tests.factories import PASSWORD, make_officer
from tests.functional.helpers import login


def session_cookie(testapp) -> str:
    return testapp.cookies["portal_session"]


def other_browser(testapp) -> webtest.TestApp:
    return webtest.TestApp(testapp.app, extra_environ=dict(testapp.extra_environ))


def signed_in(browser) -> bool:
    return browser.get("/staff", status="*").status_int == 200


def test_a_cookie_copied_before_sign_out_does_not_sign_in_after_it(testapp, dbsession, units):
    make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    login(testapp, "mod")
    assert signed_in(testapp)
    copied = session_cookie(testapp)
    testapp.get("/staff").forms[0].submit(status=303)  # the sign-out button
    assert not signed_in(testapp)
    testapp.set_cookie("portal_session", copied)  # replayed, as someone who copied it would
    assert not signed_in(testapp)
    assert testapp.get("/staff", status=303).location.startswith("http://localhost/login")


def test_signing_out_in_one_browser_ends_the_session_in_another(testapp, dbsession, units):
    make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    office, phone = testapp, other_browser(testapp)
    login(office, "mod")
    login(phone, "mod")
    assert signed_in(office) and signed_in(phone)
    office.get("/staff").forms[0].submit(status=303)
    assert not signed_in(phone)
    login(phone, "mod")  # signing in again works
    assert signed_in(phone)


def test_a_new_password_ends_the_officer_session_in_another_browser(testapp, dbsession, registry, units):
    secret = pyotp.random_base32()
    make_officer(dbsession, units["province"], ["admin"], username="boss", totp_secret=secret,
                 cipher=registry["field_cipher"])
    officer = make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    officer_browser = other_browser(testapp)
    login(officer_browser, "mod")
    copied = session_cookie(officer_browser)
    login(testapp, "boss", totp_secret=secret)
    form = testapp.get(f"/staff/officers/{officer.id}").forms["deform"]
    form["new_password"] = "a brand new long password"
    form.submit("save", status=303)
    assert not signed_in(officer_browser)
    officer_browser.set_cookie("portal_session", copied)
    assert not signed_in(officer_browser)
    login(officer_browser, "mod", password="a brand new long password")


def test_an_administrator_resetting_the_second_factor_ends_running_sessions(testapp, dbsession, registry, units):
    secret, handler_secret = pyotp.random_base32(), pyotp.random_base32()
    make_officer(dbsession, units["province"], ["admin"], username="boss", totp_secret=secret,
                 cipher=registry["field_cipher"])
    officer = make_officer(dbsession, units["city_a"], ["handler"], username="h1", totp_secret=handler_secret,
                           cipher=registry["field_cipher"])
    officer_browser = other_browser(testapp)
    login(officer_browser, "h1", totp_secret=handler_secret)
    copied = session_cookie(officer_browser)
    login(testapp, "boss", totp_secret=secret)
    form = testapp.get(f"/staff/officers/{officer.id}").forms["deform"]
    form["reset_totp"] = True
    form.submit("save", status=303)
    assert officer.session_generation == 1
    officer_browser.set_cookie("portal_session", copied)
    assert not signed_in(officer_browser)


def test_unshown_flash_messages_never_break_a_post(testapp, dbsession, units):
    """Each save flashes a message shown on the next page; a client that never looks at a page (a
    script, a double-clicking officer with redirects cut off) used to fill the 4 KB session cookie
    until every POST answered a bare 500 after its transaction had committed."""
    make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    login(testapp, "mod")
    form = testapp.get("/staff/notices/new").click(href="kind=wanted").forms["deform"]
    form["title"], form["body"] = "Wanted: robbery suspect", "Robbery at the market on 3 May."
    notice_page = form.submit("save", status=303).location
    edit = testapp.get(notice_page).forms["edit"]
    sizes = []
    for _ in range(160):  # about 120 of them filled the cookie before
        edit.submit(status=303)  # "Nothing was changed.", never shown
        sizes.append(len(session_cookie(testapp)))
    assert max(sizes) < 2000 and sizes[-1] == sizes[-20]  # bounded, not growing
    assert edit.submit(status=303).location == notice_page  # a POST still answers normally
    shown = testapp.get(notice_page)
    assert shown.text.count("Nothing was changed.") == 4  # the newest few are kept
    assert signed_in(testapp)


def test_a_huge_next_parameter_is_not_carried_in_the_session(testapp, dbsession, units):
    make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    form = testapp.get("/login?next=/staff/" + "a" * 5000).forms[0]
    form["username"], form["password"] = "mod", "correct horse battery staple"
    response = form.submit("submit", status=303)
    assert response.location == "http://localhost/staff"


def change_password(browser, current, new, again=None, status=303):
    form = browser.get("/staff").click(href="/staff/account/password").forms["deform"]
    form["current_password"], form["new_password"] = current, new
    form["new_password_again"] = new if again is None else again
    return form.submit("save", status=status)


def test_an_officer_changing_their_password_ends_every_other_session_but_this_one(testapp, dbsession, units):
    officer = make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    office, phone = testapp, other_browser(testapp)
    login(office, "mod")
    login(phone, "mod")
    before = session_cookie(office)
    shown = change_password(office, PASSWORD, "a new and long passphrase").follow()
    assert "Password changed. Every other session of yours has ended." in shown.text
    assert signed_in(office) and not signed_in(phone)
    phone.set_cookie("portal_session", before)  # this browser's own cookie from before the change
    assert not signed_in(phone)
    assert officer.session_generation == 1
    login(phone, "mod", password="a new and long passphrase")
    login(other_browser(testapp), "mod", status=400)  # the old password no longer works


def test_a_password_change_needs_the_current_password_and_a_good_new_one(testapp, dbsession, units):
    officer = make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    login(testapp, "mod")
    stored = officer.password_hash
    wrong = change_password(testapp, "not my password", "a new and long passphrase", status=400)
    assert "The current password is not right." in wrong.text
    assert "The two new passwords differ." in change_password(
        testapp, PASSWORD, "a new and long passphrase", "something else entirely", status=400).text
    assert "at least 12 characters" in change_password(testapp, PASSWORD, "short", status=400).text
    assert "must not contain the username" in change_password(testapp, PASSWORD, "mod-and-more-text", status=400).text
    assert officer.password_hash == stored and officer.session_generation == 0
    assert signed_in(testapp)
