"""A tip on /status: the coarse status, the thread without internal notes, the contact-viewed notice,
the reward, and the reporter's replies through /status/reply (code in the body only)."""
import io
import json
import re
from datetime import timedelta

import pytest
import webtest
from sqlalchemy import func, select
from webtest import Upload

from portal.audit.models import AuditEvent
from portal.core.meta import utcnow
from portal.media.models import Media
from portal.privacy import receipts
from portal.tips.forms import MAX_REPLY
from portal.tips.models import TipAttachment, TipMessage, TipReward
from tests.factories import jpeg_bytes, make_category, make_officer, make_tip
from tests.functional.test_error_pages import assert_fallbacks
from tests.functional.test_tip_form import category, fill, form_of, receipt_code, send  # noqa: F401 (fixture)

OFFICER_QUESTION = "Which evening of the week is the van there?"
INTERNAL_NOTE = "Internal: informant known to us, check with the drugs squad."
REPORTER_NAME = "Wang Xiaoming"


@pytest.fixture
def officer(dbsession, units):
    return make_officer(dbsession, units["city_a"], roles=["handler"])


@pytest.fixture
def tip_and_code(dbsession, registry, units):
    tip = make_tip(dbsession, units["city_a"], category=make_category(
        dbsession, names={"en": "Fraud (test)", "zh_CN": "诈骗测试"}), cipher=registry["field_cipher"],
        contact=json.dumps({"name": REPORTER_NAME, "phone": "13912345678"}), minutes_ago=60)
    code = receipts.issue(dbsession, registry["receipt_hasher"], "tip", tip.id)
    return tip, code


def status_of(testapp, code, status=200):
    form = testapp.get("/status").forms["deform"]
    form["code"] = code
    return form.submit("show", status=status)


def result(page) -> str:
    return " ".join(page.html.select_one(".status-result").get_text(" ").split())


def add_message(dbsession, tip, author, body, officer=None, internal=False, minutes_ago=0):
    message = TipMessage(tip_id=tip.id, author=author, officer=officer, internal=internal, body=body,
                         created_at=utcnow() - timedelta(minutes=minutes_ago))
    dbsession.add(message)
    dbsession.flush()
    return message


def reply(testapp, page, message="", files=(), status="*", **changes):
    form = page.forms["tip-reply"]
    form["message"] = message
    for name, value in changes.items():
        form[name] = value
    fields = [(n, v) for n, v in form.submit_fields("reply") if n != "attachments"]
    fields += [("attachments", Upload(name, data, "image/jpeg")) for name, data in files]
    return testapp.post(form.action, fields, content_type="multipart/form-data", status=status)


def counts(dbsession):
    return [dbsession.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (TipMessage, TipAttachment, Media, AuditEvent)]


# --- what the reporter sees ------------------------------------------------------------------------

@pytest.mark.parametrize("state, label", [
    ("received", "Received: waiting to be read by the police"),
    ("triaged", "Being handled by the police"),
    ("assigned", "Being handled by the police"),
    ("in_progress", "Being handled by the police"),
    ("closed", "Closed: the police have finished handling your tip"),
])
def test_the_status_is_coarse(testapp, dbsession, tip_and_code, state, label):
    tip, code = tip_and_code
    tip.state = state
    tip.outcome = "unfounded" if state == "closed" else None
    dbsession.flush()
    page = status_of(testapp, code)
    text = result(page)
    assert label in text and "Fraud (test)" in text and "City A" in text
    assert not {"unfounded", "triaged", "assigned", "in_progress", "in progress"} & set(re.findall(r"[a-z_]+", text)) \
        and "in progress" not in text
    assert page.headers["Cache-Control"] == "no-store"
    assert ("tip-reply" in page.forms) is (state != "closed")
    if state == "closed":
        assert "This tip is closed" in text


def test_the_thread_shows_the_police_and_the_reporter_never_internal_notes(testapp, dbsession, tip_and_code, officer):
    tip, code = tip_and_code
    add_message(dbsession, tip, "system", "Your tip was passed to the responsible unit.", minutes_ago=50)
    add_message(dbsession, tip, "officer", OFFICER_QUESTION, officer=officer, minutes_ago=40)
    add_message(dbsession, tip, "officer", INTERNAL_NOTE, officer=officer, internal=True, minutes_ago=30)
    add_message(dbsession, tip, "reporter", "Thursdays, after 21:00.", minutes_ago=20)
    page = status_of(testapp, code)
    items = [" ".join(li.get_text(" ").split()) for li in page.html.select("ol.thread li")]
    assert len(items) == 3
    assert items[0].startswith("Notice") and "passed to the responsible unit" in items[0]
    assert items[1].startswith("The police") and OFFICER_QUESTION in items[1]
    assert items[2].startswith("You") and "Thursdays, after 21:00." in items[2]
    assert INTERNAL_NOTE not in page.text
    assert "Test Officer" not in page.text and officer.username not in page.text  # officers stay unnamed
    assert REPORTER_NAME not in page.text  # the contact never comes back, not even to its owner


def test_the_reporter_is_told_when_the_contact_was_viewed(testapp, dbsession, tip_and_code):
    tip, code = tip_and_code
    assert "contact details were viewed" not in status_of(testapp, code).text
    tip.contact_viewed_at = utcnow().replace(hour=2, minute=5, second=0, microsecond=0)
    dbsession.flush()
    text = result(status_of(testapp, code))
    assert "Your contact details were viewed by the handling officer on" in text
    assert tip.contact_viewed_at.strftime("%Y-%m-%d") + " 10:05" in text  # Beijing time


def test_an_approved_reward_says_how_to_claim_it_and_a_paid_one_when(testapp, dbsession, tip_and_code, officer, units):
    tip, code = tip_and_code
    reward = TipReward(tip_id=tip.id, state="proposed", amount=800, reason="Led to an arrest.", proposed_by=officer)
    dbsession.add(reward)
    dbsession.flush()
    assert "800" not in result(status_of(testapp, code))  # a proposal is the police's business
    reward.state, reward.approved_at = "approved", utcnow()
    dbsession.flush()
    text = result(status_of(testapp, code))
    assert "A reward of 800 yuan has been approved for your tip." in text
    assert "bring your receipt code to City A (call 110 first" in text
    assert "Led to an arrest." not in text
    reward.state, reward.paid_at = "paid", utcnow().replace(year=2026, month=3, day=2, hour=4)
    dbsession.flush()
    text = result(status_of(testapp, code))
    assert "A reward of 800 yuan for your tip was paid on 2026-03-02." in text and "bring your receipt" not in text
    reward.state = "refused"
    dbsession.flush()
    assert "reward" not in result(status_of(testapp, code)).lower()


# --- replying -------------------------------------------------------------------------------------

def test_a_reply_with_a_file_joins_the_thread(testapp, dbsession, registry, tip_and_code, officer):
    tip, code = tip_and_code
    add_message(dbsession, tip, "officer", OFFICER_QUESTION, officer=officer, minutes_ago=5)
    page = status_of(testapp, code)
    form = page.forms["tip-reply"]
    assert form.action == "/status/reply" and form["code"].value == code
    assert "code=" not in form.action
    shot = jpeg_bytes(size=(50, 40))
    answered = reply(testapp, page, "Thursdays after nine. Photo of the van attached.", files=[("van.jpg", shot)],
                     status=200)
    assert answered.headers["Cache-Control"] == "no-store"
    assert "Your answer was sent to the police." in answered.text
    items = [" ".join(li.get_text(" ").split()) for li in answered.html.select("ol.thread li")]
    assert items[-1].startswith("You") and "Thursdays after nine." in items[-1] and "1 file(s) attached" in items[-1]
    assert OFFICER_QUESTION in items[0]
    message = dbsession.execute(select(TipMessage).where(TipMessage.author == "reporter")).scalar_one()
    assert (message.tip_id, message.internal, message.officer_id) == (tip.id, False, None)
    (attachment,) = tip.attachments
    assert (attachment.message_id, attachment.media.size) == (message.id, len(shot))
    with registry["media_store"].open(attachment.media.original_key) as kept:
        assert kept.read() == shot
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "tip.reply")).scalar_one()
    assert (event.actor, event.object_id) == ("public", str(tip.id)) and "Thursdays" not in event.reason
    # The page answered carries a fresh form for the next answer, still with the code in the body only.
    assert answered.forms["tip-reply"]["code"].value == code and answered.forms["tip-reply"]["message"].value == ""
    assert answered.forms["deform"].action == "/status"


def test_the_same_reply_form_sent_twice_is_one_answer_and_the_next_form_is_new(testapp, dbsession, tip_and_code):
    """A double press, or a resend after a lost answer (issue 10, finding 3), stores one answer."""
    tip, code = tip_and_code
    form = status_of(testapp, code).forms["tip-reply"]
    form["message"] = "The van was white."
    first = form.submit("reply", status=200)
    second = form.submit("reply", status=200)
    assert "Your answer was sent to the police." in second.text
    stored = dbsession.execute(select(TipMessage).where(TipMessage.author == "reporter")).scalars().all()
    assert [m.body for m in stored] == ["The van was white."]
    # The next form shown is another answer: the same words sent with it are stored again.
    assert first.forms["tip-reply"]["nonce"].value != form["nonce"].value
    follow_up = first.forms["tip-reply"]
    follow_up["message"] = "The van was white."
    follow_up.submit("reply", status=200)
    assert len(dbsession.execute(select(TipMessage).where(TipMessage.author == "reporter")).scalars().all()) == 2


def test_a_reply_without_javascript_or_files_works_too(testapp, dbsession, tip_and_code):
    tip, code = tip_and_code
    page = status_of(testapp, code)
    form = page.forms["tip-reply"]
    form["message"] = "One more thing: the van has a dent on the left."
    answered = form.submit("reply", status=200)
    assert "the van has a dent" in answered.html.select_one("ol.thread").text


def test_a_wrong_code_gets_the_same_answer_as_on_status(testapp, dbsession, tip_and_code):
    tip, code = tip_and_code
    page = status_of(testapp, code)
    before = counts(dbsession)
    wrong = str((int(code) + 1) % 10**16).zfill(16)
    answered = reply(testapp, page, "hello", code=wrong, status=400)
    looked_up = status_of(testapp, wrong, status=400)
    message = "No submission was found for this code."
    assert message in answered.html.select_one(".error-summary").text
    assert message in looked_up.html.select_one(".error-summary").text
    assert answered.html.select_one(".status-result") is None and "tip-reply" not in answered.forms
    assert counts(dbsession) == before
    # A code of another kind of submission does not open a tip's thread either.
    other = receipts.issue(dbsession, testapp.app.registry["receipt_hasher"], "missing_request", tip.id)
    assert message in reply(testapp, page, "hello", code=other, status=400).text


def test_an_empty_reply_is_refused_with_a_clear_message(testapp, dbsession, tip_and_code):
    tip, code = tip_and_code
    before = counts(dbsession)
    answered = reply(testapp, status_of(testapp, code), "   ", status=400)
    assert "Write your answer, or add a file." in answered.text
    assert answered.forms["tip-reply"]["code"].value == code
    assert counts(dbsession) == before


def test_a_bad_file_refuses_the_whole_reply_and_keeps_the_text(testapp, dbsession, registry, tip_and_code):
    tip, code = tip_and_code
    before = counts(dbsession)
    answered = reply(testapp, status_of(testapp, code), "Here is the page.",
                     files=[("ok.jpg", jpeg_bytes()), ("page.png", b"<!doctype html><html><script>x</script>")],
                     status=400)
    assert "page.png" in answered.text
    assert answered.forms["tip-reply"]["message"].value == "Here is the page."
    assert counts(dbsession) == before


def test_deeply_nested_file_notes_are_ignored(testapp, dbsession, tip_and_code):
    tip, code = tip_and_code
    # "[[[[..." within the size bound: json.loads raises RecursionError, which must not be a 500.
    answered = reply(testapp, status_of(testapp, code), "The van is back.", files=[("van.jpg", jpeg_bytes())],
                     status=200, attachment_meta="[" * 5000)
    assert "Your answer was sent to the police." in answered.text
    (attachment,) = tip.attachments
    assert (attachment.client_captured_at, attachment.client_lat) == (None, None)


def test_a_forged_csrf_token_sends_nothing_and_keeps_the_text(testapp, dbsession, tip_and_code):
    tip, code = tip_and_code
    before = counts(dbsession)
    answered = reply(testapp, status_of(testapp, code), "Kept text.", csrf_token="forged", status=400)
    assert "did not come from this site" in answered.text
    assert answered.forms["tip-reply"]["message"].value == "Kept text."
    assert counts(dbsession) == before


def test_a_closed_tip_takes_no_more_replies(testapp, dbsession, tip_and_code):
    tip, code = tip_and_code
    page = status_of(testapp, code)
    tip.state, tip.outcome = "closed", "actionable"
    dbsession.flush()
    before = counts(dbsession)
    answered = reply(testapp, page, "Too late?", status=400)
    assert "This tip is closed, so no more answers can be added." in answered.text
    assert counts(dbsession) == before


def test_replies_are_rate_limited_per_receipt(testapp, dbsession, registry, tip_and_code, monkeypatch):
    tip, code = tip_and_code
    limit = int(registry.settings["portal.tip.reply_rate_per_hour"])
    page = status_of(testapp, code)
    for n in range(limit):
        # Each from another address: the per-receipt limit still holds.
        addr = f"198.51.100.{n + 1}"
        fields = [(k, v) for k, v in page.forms["tip-reply"].submit_fields("reply")]
        fields = [(k, f"answer {n}" if k == "message" else v) for k, v in fields]
        testapp.post("/status/reply", fields, extra_environ={"REMOTE_ADDR": addr}, status=200)
    before = counts(dbsession)
    answered = reply(testapp, page, "One too many.", status=429)
    assert 0 < int(answered.headers["Retry-After"]) <= 3600
    assert "Many answers have been sent for this tip" in answered.text
    assert answered.forms["tip-reply"]["message"].value == "One too many."
    assert counts(dbsession) == before


def test_replies_from_one_address_are_limited_across_tips(testapp, dbsession, registry, units, monkeypatch):
    limit = int(registry.settings["portal.tip.reply_rate_per_hour"])
    codes = []
    for _ in range(2):
        tip = make_tip(dbsession, units["city_a"])
        codes.append(receipts.issue(dbsession, registry["receipt_hasher"], "tip", tip.id))
    page = status_of(testapp, codes[0])
    for n in range(limit):
        fields = [(k, f"answer {n}" if k == "message" else (codes[n % 2] if k == "code" else v))
                  for k, v in page.forms["tip-reply"].submit_fields("reply")]
        testapp.post("/status/reply", fields, status=200)
    reply(testapp, page, "again", code=codes[1], status=429)


def test_the_whole_journey_from_the_form_to_a_reply(testapp, dbsession, units, category):  # noqa: F811
    from tests.functional.test_tip_form import rectangle

    units["county_a"].jurisdiction = rectangle(100, 30, 101, 32)
    dbsession.flush()
    receipt = send(testapp, fill(form_of(testapp)), status=200)
    code = receipt_code(receipt)
    page = status_of(testapp, code.replace(" ", "-"))  # typed with dashes: still found
    assert "Drugs (test)" in result(page) and "County A1" in result(page)
    answered = reply(testapp, page, "I forgot: they also sell at the school gate.", status=200)
    assert "they also sell at the school gate" in answered.text
    assert re.search(r"\d{16}", answered.forms["tip-reply"]["code"].value)


def test_system_lines_are_shown_in_the_readers_language(testapp, dbsession, tip_and_code, units):
    """The handling side stores a system line as its English source (tip_handling.SYSTEM_TEXTS); a
    reporter reading in Chinese sees it in Chinese, not in English."""
    from portal.tips.handling import SYSTEM_TEXTS

    tip, code = tip_and_code
    add_message(dbsession, tip, "system", str(SYSTEM_TEXTS["transfer"]))
    form = testapp.get("/status", headers={"Accept-Language": "zh-CN"}).forms["deform"]
    form["code"] = code
    page = form.submit("show", headers={"Accept-Language": "zh-CN"})
    line = " ".join(page.html.select_one("ol.thread li").get_text(" ").split())
    assert str(SYSTEM_TEXTS["transfer"]) not in line
    assert "转" in line  # 转交/转办: the Chinese catalog's wording of "forwarded to the unit responsible"


# --- bodies refused before they are read, and bad input in a reply ---------------------------------

class CountingBody(io.BytesIO):
    """wsgi.input that counts what the application read of it."""
    read_bytes = 0

    def read(self, size=-1):
        data = super().read(size)
        self.read_bytes += len(data)
        return data


def post_declared(testapp, length, content_type):
    """A POST to /status/reply that declares `length` bytes; its body is a small form with a code."""
    body = CountingBody(b"code=1234123412341234&message=" + b"x" * 1000)
    request = webtest.TestRequest.blank("/status/reply", method="POST")
    request.environ.update({"wsgi.input": body, "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(length),
                            "HTTP_ACCEPT_LANGUAGE": "en"})
    return testapp.do_request(request, status="*", expect_errors=True), body


def test_a_reply_declared_over_the_upload_limit_is_a_413_before_its_body_is_read(testapp, dbsession, registry):
    before = counts(dbsession)
    limit = int(registry.settings["portal.tip.max_total_mb"]) * 1024 * 1024
    page, body = post_declared(testapp, limit + 1, "multipart/form-data; boundary=xyz")
    assert page.status_int == 413 and body.read_bytes == 0
    assert "larger than this service accepts" in page.text
    assert_fallbacks(page)
    assert counts(dbsession) == before


def test_an_ordinary_form_over_the_form_limit_is_a_413_before_its_body_or_code_is_read(
        testapp, dbsession, registry, tip_and_code, monkeypatch):
    tip, code = tip_and_code
    # No wrong code is free: had the refused post been read as one, the right code would now wait.
    monkeypatch.setitem(registry.settings, "portal.receipt.free_wrong_per_address", "0")
    before = counts(dbsession)
    page, body = post_declared(testapp, int(registry.settings["portal.max_form_bytes"]) + 1,
                               "application/x-www-form-urlencoded")
    assert page.status_int == 413 and body.read_bytes == 0
    assert "The text you typed is too long." in page.html.select_one(".error-summary").text
    assert "No submission was found" not in page.text  # no code was read, so none was looked up
    assert_fallbacks(page)
    assert counts(dbsession) == before
    status_of(testapp, code)  # answered at once: nothing was counted against the address


def test_a_nul_in_a_reply_is_dropped_and_an_overlong_one_kept_with_its_message(testapp, dbsession, tip_and_code):
    tip, code = tip_and_code
    page = status_of(testapp, code)
    before = counts(dbsession)
    refused = reply(testapp, page, "z" * (MAX_REPLY + 1), status=400)
    assert f"Please keep it under {MAX_REPLY} characters." in refused.text
    assert refused.forms["tip-reply"]["message"].value == "z" * (MAX_REPLY + 1)
    assert counts(dbsession) == before
    reply(testapp, refused, "The van\x00 is back.", status=200)
    assert dbsession.execute(select(TipMessage.body).where(TipMessage.author == "reporter")).scalar_one() \
        == "The van is back."
