"""Abuse control on the tip form, /status and /status/reply: rate limits (429 with Retry-After, a clear
message, the fallback links and the form kept filled in), the stricter limit without JavaScript, the
honeypot, the proof of work and the CSRF token. Whatever is refused stores nothing."""
import re
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from webtest import TestApp

from portal.abuse import pow
from portal.core.localtime import LOCAL_TZ
from portal.privacy.models import Receipt
from portal.tips.models import Tip, TipMessage
from tests.factories import solve_pow

DESCRIPTION = "Every night a van unloads crates behind warehouse 7 on Dongfeng Road."
PLACE = "Warehouse 7, Dongfeng Road"


def tips_stored(dbsession) -> int:
    return dbsession.execute(select(func.count()).select_from(Tip)).scalar_one()


def open_form(testapp, address=None):
    environ = {"REMOTE_ADDR": address} if address else {}
    page = testapp.get("/tips/new?category=other", extra_environ=environ)
    return page.forms[[k for k, f in page.forms.items() if "pow_challenge" in f.fields][0]]


def fill(form, units, description=DESCRIPTION, solved=True):
    form["description"] = description
    form["happened_at"] = (datetime.now(UTC) - timedelta(hours=3)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    form["place"] = PLACE
    form["unit"] = str(units["county_a"].id)
    if solved:
        form["pow_nonce"] = solve_pow(form["pow_challenge"].value)
    return form


def send(form, address=None, status="*"):
    environ = {"REMOTE_ADDR": address} if address else {}
    return form.submit("send", status=status, extra_environ=environ)


def sent_ok(response):
    assert response.status_int == 200, response.text[:3000]
    assert re.search(r"\d{4} \d{4} \d{4} \d{4}", response.text), "no receipt code shown"
    return response


def assert_refused_and_kept(response, dbsession, before, status, message):
    assert response.status_int == status, response.text[:3000]
    assert message in response.text
    assert "Nothing was sent" in response.text
    assert DESCRIPTION in response.text and PLACE in response.text  # the form comes back filled in
    assert tips_stored(dbsession) == before


def assert_fallbacks(response):
    for href in ('href="tel:110"', 'href="tel:122"', 'href="sms:12110'):
        assert href in response.text, href


@pytest.fixture
def limits(registry, monkeypatch):
    """Set limit settings for one test (the app is shared by the session)."""
    def set_(**values):
        for key, value in values.items():
            monkeypatch.setitem(registry.settings, key, str(value))
    return set_


# Rate limits -------------------------------------------------------------------------------------

def test_the_form_is_limited_per_address_with_429_retry_after_fallbacks_and_the_form_kept(
        testapp, dbsession, units, limits):
    limits(**{"portal.tip.rate_per_hour": 2})
    before = tips_stored(dbsession)
    sent_ok(send(fill(open_form(testapp), units)))
    # A refused sending counts as much as a good one: a flood of bad forms is no cheaper.
    assert send(fill(open_form(testapp), units, description="")).status_int == 400
    refused = send(fill(open_form(testapp), units))
    assert_refused_and_kept(refused, dbsession, before + 1, 429, "Many tips have been sent from this address")
    assert 3000 < int(refused.headers["Retry-After"]) <= 3601
    assert "call 110 now, or send an SMS to 12110" in refused.text
    assert_fallbacks(refused)
    # Another address is not affected.
    sent_ok(send(fill(open_form(testapp, "198.51.100.9"), units), address="198.51.100.9"))
    assert tips_stored(dbsession) == before + 2


def test_without_javascript_the_stricter_limit_applies(testapp, dbsession, units, limits):
    limits(**{"portal.tip.rate_per_hour": 5, "portal.tip.nojs_rate_per_hour": 1})
    before = tips_stored(dbsession)
    sent_ok(send(fill(open_form(testapp), units, solved=False)))  # no nonce: the no-JavaScript path
    refused = send(fill(open_form(testapp), units, solved=False))
    assert_refused_and_kept(refused, dbsession, before + 1, 429, "Many tips have been sent from this address")
    assert int(refused.headers["Retry-After"]) > 0
    assert_fallbacks(refused)
    sent_ok(send(fill(open_form(testapp), units)))  # with the proof of work the wider limit still has room
    assert tips_stored(dbsession) == before + 2


def test_without_javascript_a_form_sent_faster_than_a_person_types_is_refused(testapp, dbsession, units, limits):
    limits(**{"portal.pow.min_fill_seconds": 30})
    before = tips_stored(dbsession)
    refused = send(fill(open_form(testapp), units, solved=False))
    assert_refused_and_kept(refused, dbsession, before, 400, "The form was sent too quickly")
    sent_ok(send(fill(open_form(testapp), units)))  # the browser that solved the puzzle need not wait


def _status(testapp, code, address=None):
    page = testapp.get("/status")
    form = page.forms[0]
    form["code"] = code
    return form.submit("show", status="*", extra_environ={"REMOTE_ADDR": address} if address else {})


def _error(page):
    """The refusal's words (the error summary first in <main>), or the whole page when there is none."""
    found = page.html.select_one(".error-summary")
    return " ".join(found.get_text(" ").split()) if found else page.text


def test_status_wrong_codes_slow_guessing_and_the_answer_does_not_tell_whether_a_tip_exists(
        testapp, dbsession, units, limits):
    limits(**{"portal.receipt.free_wrong_per_address": 3, "portal.receipt.first_delay_seconds": 60})
    page = sent_ok(send(fill(open_form(testapp), units)))
    code = re.search(r"\d{4} \d{4} \d{4} \d{4}", page.text).group(0)
    wrong = "1234 5678 9012 3456" if code != "1234 5678 9012 3456" else "6543 2109 8765 4321"
    for _ in range(5):  # right codes count for nothing: a family may look again and again
        assert _status(testapp, code).status_int == 200
    first, malformed = _status(testapp, wrong), _status(testapp, "12")
    assert first.status_int == malformed.status_int == 400
    assert "No submission was found for this code" in first.text
    assert _error(first) == _error(malformed)
    assert _status(testapp, wrong).status_int == 400  # the third wrong code, still free
    # Past the allowance, a check waits: without the wait paid the right code gets exactly what a wrong
    # one gets, so a guesser learns nothing; the form comes back with the code in it.
    fresh = TestApp(testapp.app, extra_environ=dict(testapp.extra_environ))  # another browser at the same address: no session that opened the code
    right, wrong_again = _status(fresh, code), _status(fresh, wrong)
    assert right.status_int == wrong_again.status_int == 429
    assert _error(right) == _error(wrong_again)
    assert "checks are slowed down" in right.text and 0 < int(right.headers["Retry-After"]) <= 60
    assert right.forms[0]["code"].value == code
    assert_fallbacks(right)
    assert _status(fresh, code, address="198.51.100.10").status_int == 200  # another address is not slowed
    # The first browser opened the code before: it is never made to wait for it.
    assert _status(testapp, code).status_int == 200


def test_status_a_slowed_right_code_is_answered_once_the_wait_is_paid_by_work(testapp, dbsession, units, limits):
    limits(**{"portal.receipt.free_wrong_per_address": 1, "portal.receipt.first_delay_seconds": 60,
              "portal.receipt.hashes_per_second": 100})
    page = sent_ok(send(fill(open_form(testapp), units)))
    code = re.search(r"\d{4} \d{4} \d{4} \d{4}", page.text).group(0)
    browser = TestApp(testapp.app, extra_environ=dict(testapp.extra_environ))
    assert _status(browser, "0000 0000 0000 0000" if not code.startswith("0000") else "9" * 16).status_int == 400
    slowed = _status(browser, code)
    assert slowed.status_int == 429
    form = slowed.forms[0]
    box = slowed.html.select_one("[data-pow]")
    bits = int(box["data-pow-bits"])
    assert bits >= 12  # about a minute of a slow phone's hashing (100 per second)
    form["pow_nonce"] = pow.solve(box["data-pow"], bits)  # what static/js/pow.js does
    answered = form.submit("show", status="*")
    assert answered.status_int == 200 and "Received" in answered.text


def test_status_replies_are_limited_per_receipt_across_addresses(testapp, dbsession, units, limits):
    limits(**{"portal.tip.reply_rate_per_hour": 2})
    page = sent_ok(send(fill(open_form(testapp), units)))
    code = re.search(r"\d{4} \d{4} \d{4} \d{4}", page.text).group(0)
    tip_id = dbsession.execute(select(Receipt.subject_id).order_by(Receipt.id.desc())).scalars().first()

    def reply(address, text):
        status = _status(testapp, code, address=address)
        form = status.forms["tip-reply"]
        form["message"] = text
        return form.submit("reply", status="*", extra_environ={"REMOTE_ADDR": address})

    assert reply("198.51.100.21", "The van came again at 23:00.").status_int == 200
    assert reply("198.51.100.22", "It has a white roof.").status_int == 200
    refused = reply("198.51.100.23", "Plate number ends in 37.")  # a new address, the same receipt
    assert refused.status_int == 429
    assert "Many answers have been sent for this tip" in refused.text
    assert "Plate number ends in 37." in refused.text  # what was typed is kept
    assert int(refused.headers["Retry-After"]) > 0
    assert_fallbacks(refused)
    bodies = dbsession.execute(select(TipMessage.body).where(TipMessage.tip_id == tip_id)).scalars().all()
    assert "Plate number ends in 37." not in bodies and len(bodies) == 2


# Honeypot, proof of work, CSRF --------------------------------------------------------------------

def test_a_filled_honeypot_stores_nothing(testapp, dbsession, units):
    before = tips_stored(dbsession)
    form = fill(open_form(testapp), units)
    form["website"] = "http://spam.example"
    response = send(form)
    assert response.status_int == 400
    assert tips_stored(dbsession) == before
    assert "Please leave the last field empty" in response.text


def _challenge_for(registry, when):
    return pow.issue(SimpleNamespace(registry=registry), now=when)


@pytest.mark.parametrize("case", ["forged", "tampered", "wrong-nonce", "expired", "missing"])
def test_a_bad_proof_of_work_is_refused_with_the_form_kept(testapp, dbsession, units, registry, case):
    before = tips_stored(dbsession)
    form = fill(open_form(testapp), units)
    challenge = form["pow_challenge"].value
    if case == "forged":
        body = ".".join(challenge.split(".")[:4])
        form["pow_challenge"] = f"{body}.{'A' * 43}"
    elif case == "tampered":
        form["pow_challenge"] = challenge.replace(".4.", ".1.", 1)
    elif case == "wrong-nonce":
        form["pow_nonce"] = next(str(n) for n in range(99) if not pow.is_solution(challenge, str(n), 4))
    elif case == "expired":
        old = _challenge_for(registry, time.time() - pow.MAX_AGE_SECONDS - 60)
        form["pow_challenge"], form["pow_nonce"] = old, solve_pow(old)
    else:
        form["pow_challenge"], form["pow_nonce"] = "", ""
    message = {"expired": "security check has expired", "wrong-nonce": "security check was not solved"}.get(
        case, "security check is not valid")
    response = send(form)
    assert_refused_and_kept(response, dbsession, before, 400, message)
    again = response.forms[[k for k, f in response.forms.items() if "pow_challenge" in f.fields][0]]
    assert again["pow_challenge"].value not in (challenge, form["pow_challenge"].value)  # a fresh one
    sent_ok(send(fill(again, units)))  # and with it the tip goes through


def test_a_replayed_proof_of_work_is_refused(testapp, dbsession, units):
    before = tips_stored(dbsession)
    form = fill(open_form(testapp), units)
    sent_ok(send(form))
    replay = send(form)  # the same body again: a double click, or a bot reusing one solution
    assert_refused_and_kept(replay, dbsession, before + 1, 400, "This form was already sent once")


def test_a_forged_csrf_token_stores_nothing(testapp, dbsession, units):
    before = tips_stored(dbsession)
    form = fill(open_form(testapp), units)
    form["csrf_token"] = "forged-token-0123456789"
    response = send(form)
    assert_refused_and_kept(response, dbsession, before, 400, "This form has expired or did not come from this site")
    again = response.forms[[k for k, f in response.forms.items() if "pow_challenge" in f.fields][0]]
    assert again["csrf_token"].value != "forged-token-0123456789"
    sent_ok(send(fill(again, units)))
