"""Sign-in throttling: a sprayer from one address is stopped, guesses from elsewhere never keep an
officer out for long, and no refusal tells whether a username exists."""
import re

import pyotp
import pytest

from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter
from tests.factories import PASSWORD, FakeClock, make_officer, totp_now
from tests.functional.helpers import login
from tests.functional.test_sessions import other_browser

OFFICE, ATTACKERS = "198.51.100.10", ["192.0.2.1", "192.0.2.2", "192.0.2.3"]


@pytest.fixture
def clock(testapp, app):
    clock = FakeClock()
    app.registry.registerUtility(MemoryRateLimiter(clock=clock), IRateLimiter)
    return clock


def attempt(testapp, username, password="not the password", address=OFFICE):
    form = testapp.get("/login", extra_environ={"REMOTE_ADDR": address}).forms[0]
    form["username"], form["password"] = username, password
    return form.submit("submit", status="*", extra_environ={"REMOTE_ADDR": address})


def without_tokens(page, username=None) -> str:
    text = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', page.text)
    return text.replace(f'value="{username}"', 'value=""') if username else text


def headers(page) -> dict:
    return {k: v for k, v in page.headers.items() if k.lower() != "set-cookie"}


def test_refusals_are_the_same_for_a_username_that_exists_and_one_that_does_not(testapp, dbsession, units,
                                                                                  clock):
    make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    answers = {}
    for username, address in (("mod", ATTACKERS[0]), ("mox", ATTACKERS[1])):  # same length: same Content-Length
        wrong = [attempt(testapp, username, address=address) for _ in range(5)]
        assert [page.status_int for page in wrong] == [400] * 5
        answers[username] = (wrong[-1], attempt(testapp, username, PASSWORD, address=address))
    (known_wrong, known_429), (unknown_wrong, unknown_429) = answers["mod"], answers["mox"]
    assert known_429.status_int == unknown_429.status_int == 429
    assert known_429.headers["Retry-After"] == "30"
    assert without_tokens(known_429) == without_tokens(unknown_429)  # byte for byte
    assert 'value="mod"' not in known_429.text  # the refusal does not even repeat the username
    assert headers(known_429) == headers(unknown_429)
    assert known_wrong.status_int == unknown_wrong.status_int == 400
    assert without_tokens(known_wrong, "mod") == without_tokens(unknown_wrong, "mox")
    assert headers(known_wrong) == headers(unknown_wrong)


def test_a_password_sprayer_from_one_address_is_stopped(testapp, dbsession, units, clock):
    make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    for n in range(20):  # one guess for each of many usernames: no username is slowed down
        assert attempt(testapp, f"user{n}", address=ATTACKERS[0]).status_int == 400
        clock.now += 4  # under the per-minute limit: only the failures per hour count here
    stopped = attempt(testapp, "mod", PASSWORD, address=ATTACKERS[0])  # even a right guess
    assert stopped.status_int == 429 and "Too many failed sign-ins from this address" in stopped.text
    assert 0 < int(stopped.headers["Retry-After"]) <= 3600 and 'href="tel:110"' in stopped.text
    assert attempt(testapp, "mod", PASSWORD, address=OFFICE).status_int == 303  # others are not affected
    testapp.reset()
    clock.now += 3600
    assert attempt(testapp, "mod", PASSWORD, address=ATTACKERS[0]).status_int == 303  # for an hour at most


def test_an_officer_attacked_from_other_addresses_still_signs_in(testapp, dbsession, registry, units, clock):
    secret = pyotp.random_base32()
    officer = make_officer(dbsession, units["city_a"], ["handler"], username="h1", totp_secret=secret,
                           cipher=registry["field_cipher"])
    attacker = other_browser(testapp)
    for address in ATTACKERS:
        for _ in range(5):
            attempt(attacker, "h1", address=address)
            clock.now += 1
    assert attempt(attacker, "h1", address=ATTACKERS[0]).status_int == 429  # the attackers wait
    assert officer.is_locked()  # shown to administrators
    # The officer, from an address with no failures: password, then the second factor, at once.
    to_code = attempt(testapp, "h1", PASSWORD, address=OFFICE)
    assert to_code.status_int == 303 and to_code.location.endswith("/login/totp")
    code_form = to_code.follow(extra_environ={"REMOTE_ADDR": OFFICE}).forms[0]
    code_form["code"] = totp_now(secret)
    code_form.submit("submit", status=303, extra_environ={"REMOTE_ADDR": OFFICE})
    assert testapp.get("/staff", extra_environ={"REMOTE_ADDR": OFFICE}).status_int == 200
    assert not officer.is_locked()
    for address in ATTACKERS:  # more guesses from elsewhere do not end the running session
        attempt(attacker, "h1", address=address)
    assert testapp.get("/staff", extra_environ={"REMOTE_ADDR": OFFICE}).status_int == 200


def test_from_the_attacked_address_the_wait_is_bounded(testapp, dbsession, units, clock):
    make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    waits = []
    for _ in range(12):  # an attacker guessing as fast as allowed, for hours
        page = attempt(testapp, "mod", address=ATTACKERS[0])
        if page.status_int == 429:
            waits.append(int(page.headers["Retry-After"]))
            clock.now += waits[-1]
            attempt(testapp, "mod", address=ATTACKERS[0])  # the guess right when the wait ends
    assert waits == [30, 60, 120, 240, 480, 900, 900]  # doubled each time, never over 15 minutes
    refused = attempt(testapp, "mod", PASSWORD, address=ATTACKERS[0])
    assert refused.status_int == 429 and int(refused.headers["Retry-After"]) <= 900
    assert "ask an administrator to unlock it" in refused.text
    clock.now += int(refused.headers["Retry-After"])
    assert attempt(testapp, "mod", PASSWORD, address=ATTACKERS[0]).status_int == 303


def test_an_administrator_unlocks_a_slowed_down_username(testapp, dbsession, registry, units, clock):
    secret = pyotp.random_base32()
    make_officer(dbsession, units["province"], ["admin"], username="boss", totp_secret=secret,
                 cipher=registry["field_cipher"])
    officer = make_officer(dbsession, units["city_a"], ["moderator"], username="mod")
    for _ in range(5):
        attempt(testapp, "mod", address=OFFICE)
    assert attempt(testapp, "mod", PASSWORD, address=OFFICE).status_int == 429
    admin = other_browser(testapp)
    login(admin, "boss", totp_secret=secret)
    form = admin.get(f"/staff/officers/{officer.id}").forms["deform"]
    form["unlock"] = True
    form.submit("save", status=303)
    assert not officer.is_locked()
    assert attempt(testapp, "mod", PASSWORD, address=OFFICE).status_int == 303
