"""A sighting's sender hears back (issue 15, item 3): a receipt code shown once, /status with the
coarse state and the police's messages, the sender's answers, and the moderators' side of the thread."""
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.core.meta import utcnow
from portal.privacy import receipts
from portal.privacy.models import Receipt
from portal.sightings import jobs as sighting_jobs
from portal.sightings.models import Sighting, SightingMessage
from portal.sightings.thread import MAX_MESSAGE
from tests.factories import make_notice, make_officer, make_sighting, make_tip
from tests.functional.helpers import login
from tests.functional.test_sightings import fill

QUESTION = "Which way did she walk after the bus stop?"
ANSWER = "North, towards the market, about six in the evening."
REASON = "Matches the CCTV at the station; internal note for patrol 3."
NOT_FOUND = "No submission was found for this code."


@pytest.fixture
def notice(dbsession, units):
    return make_notice(dbsession, units["city_a"], kind="missing_person", title="Missing: Zhang Lan, 9")


@pytest.fixture
def officers(dbsession, units):
    return {"city": make_officer(dbsession, units["city_a"], ["moderator"], username="mod_city_a"),
            "unrelated": make_officer(dbsession, units["city_b"], ["moderator"], username="mod_city_b")}


@pytest.fixture
def sighting_and_code(dbsession, registry, notice):
    sighting = make_sighting(dbsession, notice, text="Seen near the station clock")
    return sighting, receipts.issue(dbsession, registry["receipt_hasher"], "sighting", sighting.id)


def status_of(testapp, code, status=200):
    form = testapp.get("/status").forms["deform"]
    form["code"] = code
    return form.submit("show", status=status)


def result(page) -> str:
    return " ".join(page.html.select_one(".status-result").get_text(" ").split())


def answer(page, message, status="*", **changes):
    form = page.forms["sighting-reply"]
    form["message"] = message
    for name, value in changes.items():
        form[name] = value
    return form.submit("reply", status=status)


def write(testapp, sighting, body, status=303):
    page = testapp.get(f"/staff/sightings/{sighting.id}")
    form = next(f for f in page.forms.values() if f.fields.get("action") and f["action"].value == "message")
    form["body"] = body
    return form.submit(status=status)


def stored(dbsession):
    return [dbsession.execute(select(func.count()).select_from(m)).scalar_one() for m in (SightingMessage, AuditEvent)]


# --- the journey -----------------------------------------------------------------------------------


def test_report_code_status_question_answer_and_the_moderator_reads_it(testapp, dbsession, notice, officers):
    receipt_page = fill(testapp.get(f"/notices/{notice.id}/sightings/new").forms["deform"]).submit("send", status=200)
    code = receipt_page.html.select_one(".receipt-code").get_text(strip=True)
    assert receipts.is_well_formed(code) and "shown only once" in receipt_page.text
    assert receipt_page.headers["Cache-Control"] == "no-store"
    # Shown once: the notice and the form do not show it again.
    assert code not in testapp.get(f"/notices/{notice.id}").text
    assert code not in testapp.get(f"/notices/{notice.id}/sightings/new").text

    page = status_of(testapp, code)
    shown = result(page)
    assert "Your sighting: Missing: Zhang Lan, 9" in shown and "Received: waiting to be read by the police" in shown
    assert "No messages yet" in shown and page.headers["Cache-Control"] == "no-store"

    login(testapp, officers["city"].username)
    sighting = dbsession.execute(select(Sighting).where(Sighting.notice_id == notice.id)).scalar_one()
    assert "Sent: the sender reads it" in write(testapp, sighting, QUESTION).follow().text
    event = dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (event.action, event.actor, event.object_id) == ("sighting.message", "officer:mod_city_a", str(sighting.id))
    assert QUESTION not in event.reason
    testapp.reset()  # the sender's browser, not the officer's

    page = status_of(testapp, code)
    thread = page.html.select_one("ol.sighting-messages").get_text(" ")
    assert QUESTION in thread and "The police" in thread and "mod_city_a" not in page.text
    answered = answer(page, ANSWER, status=200)
    assert "Your answer was sent to the police." in answered.text
    assert ANSWER in answered.html.select_one("ol.sighting-messages").get_text(" ")
    assert answered.forms["sighting-reply"]["message"].value == ""  # a fresh form for the next answer
    event = dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (event.action, event.actor, event.object_id) == ("sighting.reply", "public", str(sighting.id))
    assert ANSWER not in event.reason

    login(testapp, officers["city"].username)
    staff_page = testapp.get(f"/staff/sightings/{sighting.id}")
    lines = [li.get_text(" ", strip=True) for li in staff_page.html.select("ol.sighting-messages li")]
    assert QUESTION in lines[0] and ANSWER in lines[1] and "The sender" in lines[1]


@pytest.mark.parametrize("state, label", [
    ("received", "Received: waiting to be read by the police"),
    ("reviewed", "Being checked by the police"),
    ("forwarded", "Passed on to the investigators"),
    ("closed", "Closed: the police have finished with your information"),
])
def test_the_state_is_coarse_and_the_reason_stays_inside(testapp, dbsession, sighting_and_code, state, label):
    sighting, code = sighting_and_code
    sighting.state, sighting.reason = state, REASON
    dbsession.flush()
    page = status_of(testapp, code)
    assert label in result(page)
    assert REASON not in page.text and "patrol" not in page.text and "Seen near the station clock" not in page.text
    assert ("sighting-reply" in page.forms) == (state != "closed")


def test_a_step_by_a_moderator_shows_on_status(testapp, dbsession, sighting_and_code, officers):
    sighting, code = sighting_and_code
    login(testapp, officers["city"].username)
    page = testapp.get(f"/staff/sightings/{sighting.id}")
    form = next(f for f in page.forms.values() if f.fields.get("step") and f["step"].value == "review")
    form["reason"] = REASON
    form.submit(status=303)
    assert "Being checked by the police" in result(status_of(testapp, code))


# --- wrong codes, other units, closed sightings ----------------------------------------------------


def test_a_wrong_code_gets_the_same_answer_as_on_status(testapp, dbsession, registry, sighting_and_code, units):
    sighting, code = sighting_and_code
    page = status_of(testapp, code)
    before = stored(dbsession)
    wrong = str((int(code) + 1) % 10**16).zfill(16)
    answered = answer(page, "hello", code=wrong, status=400)
    assert NOT_FOUND in answered.html.select_one(".error-summary").text
    assert NOT_FOUND in status_of(testapp, wrong, status=400).html.select_one(".error-summary").text
    assert answered.html.select_one(".status-result") is None and "sighting-reply" not in answered.forms
    # A tip's code does not open a sighting's thread, even with the same number as subject.
    tip_code = receipts.issue(dbsession, registry["receipt_hasher"], "tip", make_tip(dbsession, units["city_a"]).id)
    assert NOT_FOUND in answer(page, "hello", code=tip_code, status=400).text
    assert stored(dbsession) == before


def test_another_units_moderator_can_neither_read_nor_write(testapp, dbsession, sighting_and_code, officers):
    sighting, code = sighting_and_code
    login(testapp, officers["unrelated"].username)
    testapp.get(f"/staff/sightings/{sighting.id}", status=403)
    token = testapp.get("/staff").html.select_one('input[name="csrf_token"]')["value"]
    before = stored(dbsession)
    testapp.post(f"/staff/sightings/{sighting.id}", {"csrf_token": token, "action": "message", "body": QUESTION},
                 status=403)
    assert stored(dbsession) == before
    assert QUESTION not in status_of(testapp, code).text


def test_a_closed_sighting_takes_no_messages_either_way(testapp, dbsession, sighting_and_code, officers):
    sighting, code = sighting_and_code
    page = status_of(testapp, code)
    sender_cookies = dict(testapp.cookies)
    testapp.reset()
    login(testapp, officers["city"].username)
    staff_page = testapp.get(f"/staff/sightings/{sighting.id}")
    token = staff_page.forms[0]["csrf_token"].value
    sighting.state = "closed"
    dbsession.flush()
    before = stored(dbsession)
    refused = testapp.post(f"/staff/sightings/{sighting.id}", {"csrf_token": token, "action": "message",
                                                                "body": QUESTION}, status=409)
    assert "the sender gets no more messages" in refused.text
    assert not [f for f in testapp.get(f"/staff/sightings/{sighting.id}").forms.values()
                if f.fields.get("action") and f["action"].value == "message"]
    testapp.reset()
    for name, value in sender_cookies.items():
        testapp.set_cookie(name, value)
    late = answer(page, "Too late?", status=400)
    assert "This sighting is closed, so no more answers can be added." in late.text
    assert stored(dbsession) == before


# --- the sender's answer ---------------------------------------------------------------------------


def test_the_same_answer_sent_twice_is_stored_once(testapp, dbsession, sighting_and_code):
    sighting, code = sighting_and_code
    form = status_of(testapp, code).forms["sighting-reply"]
    form["message"] = ANSWER
    first = form.submit("reply", status=200)
    form.submit("reply", status=200)
    bodies = dbsession.execute(select(SightingMessage.body).where(SightingMessage.author == "sender")).scalars().all()
    assert bodies == [ANSWER]
    assert first.forms["sighting-reply"]["nonce"].value != form["nonce"].value


@pytest.mark.parametrize("message, words", [("   ", "Write the message first."),
                                            ("x" * (MAX_MESSAGE + 1), "Please keep it under 4000 characters.")])
def test_an_empty_or_overlong_answer_is_refused_and_kept(testapp, dbsession, sighting_and_code, message, words):
    sighting, code = sighting_and_code
    before = stored(dbsession)
    page = answer(status_of(testapp, code), message, status=400)
    assert words in page.text and "Nothing was sent." in page.text
    assert page.forms["sighting-reply"]["code"].value == code
    assert stored(dbsession) == before


def test_a_forged_csrf_token_sends_nothing_and_keeps_the_text(testapp, dbsession, sighting_and_code):
    sighting, code = sighting_and_code
    before = stored(dbsession)
    page = answer(status_of(testapp, code), "Kept text.", csrf_token="forged", status=400)
    assert "did not come from this site" in page.text
    assert page.forms["sighting-reply"]["message"].value == "Kept text."
    assert stored(dbsession) == before


def test_answers_are_rate_limited_per_receipt(testapp, dbsession, registry, sighting_and_code, monkeypatch):
    sighting, code = sighting_and_code
    monkeypatch.setitem(registry.settings, "portal.sighting.reply_rate_per_hour", "3")
    page = status_of(testapp, code)
    for n in range(3):  # each from another address: the per-receipt limit still holds
        fields = [(k, f"answer {n}" if k == "message" else v) for k, v in page.forms["sighting-reply"].submit_fields("reply")]
        testapp.post("/status/sighting-reply", fields, extra_environ={"REMOTE_ADDR": f"198.51.100.{n + 1}"}, status=200)
    before = stored(dbsession)
    refused = answer(page, "One too many.", status=429)
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "Many answers have been sent for this sighting" in refused.text
    assert refused.forms["sighting-reply"]["message"].value == "One too many."
    assert 'href="tel:110"' in refused.text
    assert stored(dbsession) == before


def test_a_moderators_empty_message_is_refused(testapp, dbsession, sighting_and_code, officers):
    sighting, code = sighting_and_code
    login(testapp, officers["city"].username)
    before = stored(dbsession)
    page = write(testapp, sighting, "   ", status=400)
    assert "Write the message first." in page.html.select_one("#message-body-error").text
    assert stored(dbsession) == before


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=st.one_of(st.text(max_size=300), st.text(min_size=3990, max_size=4010, alphabet="ab \n"),
                         st.binary(max_size=200).map(lambda raw: raw.decode("latin-1"))))
def test_any_answer_is_stored_as_sent_or_refused_with_nothing_kept(testapp, dbsession, registry, monkeypatch,
                                                                   sighting_and_code, message):
    sighting, code = sighting_and_code
    # This test is about what the answer holds, not the limits.
    for setting in ("portal.receipt.free_wrong_per_address", "portal.sighting.reply_rate_per_hour"):
        monkeypatch.setitem(registry.settings, setting, "9999")
    page = status_of(testapp, code)
    before = stored(dbsession)
    fields = [(k, message if k == "message" else v) for k, v in page.forms["sighting-reply"].submit_fields("reply")]
    response = testapp.post("/status/sighting-reply", fields, status="*")
    assert response.status_int in (200, 400), response.status
    if response.status_int == 400:
        assert stored(dbsession) == before and "Nothing was sent." in response.text
    else:
        newest = dbsession.execute(select(SightingMessage).order_by(SightingMessage.id.desc()).limit(1)).scalar_one()
        assert newest.author == "sender" and 0 < len(newest.body) <= MAX_MESSAGE
        assert "\x00" not in newest.body and newest.body == newest.body.strip()


# --- retention ---------------------------------------------------------------------------------------


def test_the_purge_takes_the_thread_and_the_receipt(testapp, dbsession, sighting_and_code, dummy_request):
    sighting, code = sighting_and_code
    answer(status_of(testapp, code), ANSWER, status=200)
    sighting.state = "reviewed"
    sighting.updated_at = utcnow() - timedelta(days=91)
    dbsession.flush()
    assert sighting_jobs.purge_old(dummy_request) == 1
    assert dbsession.execute(select(func.count()).select_from(SightingMessage)).scalar_one() == 0
    assert dbsession.execute(select(func.count()).select_from(Receipt).where(
        Receipt.subject_type == "sighting")).scalar_one() == 0
    assert NOT_FOUND in status_of(testapp, code, status=400).text
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "retention.purge")).scalar_one()
    assert "1 messages" in event.reason and "1 receipts" in event.reason and ANSWER not in event.reason


def test_a_sighting_sent_before_receipts_says_its_sender_cannot_read(testapp, dbsession, notice, officers):
    old = make_sighting(dbsession, notice)
    login(testapp, officers["city"].username)
    page = testapp.get(f"/staff/sightings/{old.id}")
    assert "its sender cannot read messages here" in page.text
    assert not [f for f in page.forms.values() if f.fields.get("action") and f["action"].value == "message"]
    refused = testapp.post(f"/staff/sightings/{old.id}", {"csrf_token": page.forms[0]["csrf_token"].value,
                                                          "action": "message", "body": QUESTION}, status=409)
    assert "its sender cannot read messages here" in refused.text
    assert stored(dbsession)[0] == 0


def test_the_queue_marks_sightings_whose_sender_answered_last(testapp, dbsession, sighting_and_code, officers):
    sighting, code = sighting_and_code
    login(testapp, officers["city"].username)
    assert "the sender answered" not in testapp.get("/staff/sightings").text
    write(testapp, sighting, QUESTION)
    assert "the sender answered" not in testapp.get("/staff/sightings").text
    testapp.reset()
    answer(status_of(testapp, code), ANSWER, status=200)
    login(testapp, officers["city"].username)
    row = testapp.get("/staff/sightings").html.select_one(".sender-answered").find_parent("tr")
    assert row.select_one("a").get_text(strip=True) == str(sighting.id)


def test_a_message_without_the_csrf_token_is_refused(testapp, dbsession, sighting_and_code, officers):
    sighting, code = sighting_and_code
    login(testapp, officers["city"].username)
    before = stored(dbsession)
    testapp.post(f"/staff/sightings/{sighting.id}", {"action": "message", "body": QUESTION}, status=400)
    assert stored(dbsession) == before
