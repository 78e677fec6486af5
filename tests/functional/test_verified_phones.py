"""Verified phones (issue 15 item 4) on the three report forms, walked as a reporter does, for each
of `portal.verified_phone` = off, optional and required: the "Send a code" press keeps what was
typed, the SMS (caught by a test sender through the outbox) carries the code and nothing else, the
code makes the number the report's protected contact; wrong, spent and expired codes, limits and
the same answer for every number."""
import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter
from portal.core.localtime import LOCAL_TZ
from portal.core.meta import utcnow
from portal.missing.models import MissingPersonRequest
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from portal.phones import services as phones
from portal.phones.models import PhoneVerification
from portal.sightings.models import Sighting
from portal.tips.models import Tip
from tests.factories import make_category, make_notice, solve_pow

PHONE = "139 1234 5678"
NUMBER = "13912345678"
TIP_TEXT = "Two men sell pills from a grey van behind the night market every evening."
SIGHTING_TEXT = "A girl in a red coat waited at the number 5 bus stop, then walked north."
FAMILY_TEXT = "Left school at 16:30 and did not come home."


class CapturingSender:
    """The SMS gateway's stand-in: what the outbox handed it."""

    sent: list = []

    def __init__(self, settings):
        pass

    def send(self, message):
        CapturingSender.sent.append(message)


@pytest.fixture
def sms(registry, monkeypatch, dummy_request):
    CapturingSender.sent = []
    monkeypatch.setitem(registry.settings, "portal.outbox.sender", f"{__name__}:CapturingSender")
    registry.pop("outbox_sender", None)

    def deliver():
        outbox.send_due(dummy_request)
        return CapturingSender.sent
    yield deliver
    registry.pop("outbox_sender", None)


def local(moment) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


@dataclass
class Kind:
    name: str
    text_field: str
    text: str
    model: type
    contact_column: str
    label: str

    def url(self, world) -> str:
        return {"tip": "/tips/new?category=test-phone", "sighting": f"/notices/{world['notice'].id}/sightings/new",
                "family": "/missing/new"}[self.name]

    def fill(self, form, world, phone=""):
        units = world["units"]
        values = {
            "tip": {"description": TIP_TEXT, "happened_at": local(utcnow() - timedelta(hours=3)),
                    "place": "Behind the night market", "unit": str(units["county_a"].id)},
            "sighting": {"seen_at": local(utcnow() - timedelta(hours=2)), "place": "Bus stop", "text": SIGHTING_TEXT},
            "family": {"unit_id": str(units["county_a"].id), "unit_phone": "0311-1234567",
                       "receipt_no": "JJ2026-000123", "name": "Qiao", "relationship": "mother",
                       "full_name": "欧阳小梅", "sex": "female", "age_min": "9", "age_max": "9",
                       "last_seen_at": local(utcnow() - timedelta(hours=5)), "place": "人民公园东门",
                       "circumstances": FAMILY_TEXT},
        }[self.name]
        for name, value in {**values, "phone": phone}.items():
            if name in ("unit", "unit_id"):
                form[name].force_value(value)
            else:
                form[name] = value
        if "pow_nonce" in form.fields:
            form["pow_nonce"] = solve_pow(form["pow_challenge"].value)
        return form

    def stored(self, dbsession):
        return dbsession.execute(select(self.model)).scalars().all()

    def contact(self, dbsession, registry) -> dict | None:
        (row,) = self.stored(dbsession)
        sealed = getattr(row, self.contact_column)
        return json.loads(registry["field_cipher"].decrypt(sealed, self.label)) if sealed else None


KINDS = {
    "tip": Kind("tip", "description", TIP_TEXT, Tip, "contact", "tip.contact"),
    "sighting": Kind("sighting", "text", SIGHTING_TEXT, Sighting, "contact", "sighting.contact"),
    "family": Kind("family", "circumstances", FAMILY_TEXT, MissingPersonRequest, "family_contact",
                   "missing.family_contact"),
}


@pytest.fixture
def world(dbsession, units):
    make_category(dbsession, slug="test-phone", position=-5, names={"zh_CN": "电话测试", "en": "Phone (test)"})
    notice = make_notice(dbsession, units["city_a"], kind="missing_person", title="Missing: Zhang Lan, 9")
    return {"units": units, "notice": notice}


@pytest.fixture
def mode(registry, monkeypatch):
    def set_mode(value):
        monkeypatch.setitem(registry.settings, phones.MODE_SETTING, value)
    return set_mode


def post(testapp, form, button, status="*"):
    """The form as a browser posts it (multipart, no file chosen), pressing `button`."""
    fields = [(n, v) for n, v in form.submit_fields(button) if n not in ("attachments", "photo", "photos")]
    url = form.action or form.response.request.url
    return testapp.post(url, fields, content_type="multipart/form-data", status=status)


def notice_text(page) -> str:
    found = page.html.select_one("#phone-notice")
    return " ".join(found.get_text(" ").split()) if found else ""


def code_in(message) -> str:
    return re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", message.body).group(1)


def ask_code(testapp, kind, world, phone=PHONE):
    form = kind.fill(testapp.get(kind.url(world)).forms["deform"], world, phone=phone)
    return post(testapp, form, "send_code")


# --- the journeys -----------------------------------------------------------------------------------

@pytest.mark.parametrize("setting", ["optional", "required"])
@pytest.mark.parametrize("kind_name", list(KINDS))
def test_a_proven_number_becomes_the_protected_contact(testapp, dbsession, registry, world, mode, sms, kind_name,
                                                       setting):
    mode(setting)
    kind = KINDS[kind_name]
    page = ask_code(testapp, kind, world)
    assert page.status_int == 200 and "***5678" in notice_text(page) and NUMBER not in page.text
    form = page.forms["deform"]
    assert form[kind.text_field].value == kind.text  # what was typed came back with the page
    assert kind.stored(dbsession) == []  # nothing sent yet
    (message,) = sms()
    assert message.recipient == NUMBER and message.template == "phones.code"
    assert kind.text not in message.body and "***" not in message.body
    code = code_in(message)
    form["code"] = code
    receipt = post(testapp, form, "send", status=200)
    assert 'class="copyable"' in receipt.text and code not in receipt.text
    contact = kind.contact(dbsession, registry)
    assert contact["phone"] == NUMBER and contact["phone_verified"] is True
    (row,) = dbsession.execute(select(PhoneVerification)).scalars().all()
    assert row.used_at is not None and row.tries == 1
    sealed = dbsession.get(OutboxMessage, row.outbox_id)
    assert registry["field_cipher"].decrypt(sealed.body, outbox.BODY_LABEL) == phones.SCRUBBED  # no code kept


@pytest.mark.parametrize("kind_name", list(KINDS))
def test_off_changes_nothing(testapp, dbsession, registry, world, mode, sms, kind_name):
    mode("off")
    kind = KINDS[kind_name]
    page = testapp.get(kind.url(world))
    assert "send_code" not in page.text and 'name="code"' not in page.text and "phone-cost" not in page.text
    form = kind.fill(page.forms["deform"], world, phone=PHONE)
    post(testapp, form, "send", status=200)
    contact = kind.contact(dbsession, registry)
    assert contact["phone"] == PHONE and "phone_verified" not in contact
    assert sms() == [] and dbsession.execute(select(func.count()).select_from(PhoneVerification)).scalar_one() == 0


@pytest.mark.parametrize("kind_name", ["tip", "sighting"])
def test_optional_still_takes_anonymous_reports(testapp, dbsession, registry, world, mode, sms, kind_name):
    mode("optional")
    kind = KINDS[kind_name]
    page = testapp.get(kind.url(world))
    assert "stay anonymous" in page.html.select_one(".phone-cost").text
    post(testapp, kind.fill(page.forms["deform"], world), "send", status=200)
    assert kind.contact(dbsession, registry) is None and sms() == []


@pytest.mark.parametrize("kind_name", list(KINDS))
def test_required_refuses_a_report_without_a_proven_number(testapp, dbsession, world, mode, sms, kind_name):
    mode("required")
    kind = KINDS[kind_name]
    page = testapp.get(kind.url(world))
    assert "The police can then identify you" in page.html.select_one(".phone-cost").text
    refused = post(testapp, kind.fill(page.forms["deform"], world), "send", status=400)
    assert phones.NEEDED.interpolate() in refused.text
    assert refused.forms["deform"][kind.text_field].value == kind.text and kind.stored(dbsession) == []
    # A number typed but never proven is refused too.
    unproven = kind.fill(refused.forms["deform"], world, phone=PHONE)
    again = post(testapp, unproven, "send", status=400)
    assert "Type the 6-digit code" in again.text and kind.stored(dbsession) == []


@pytest.mark.parametrize("kind_name", list(KINDS))
def test_a_wrong_code_keeps_the_report_and_counts_a_try(testapp, dbsession, registry, world, mode, sms, kind_name):
    mode("required")
    kind = KINDS[kind_name]
    form = ask_code(testapp, kind, world).forms["deform"]
    code = code_in(sms()[0])
    form["code"] = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = post(testapp, form, "send", status=400)
    assert "This code is not right. 4 tries left." in refused.text
    assert refused.forms["deform"][kind.text_field].value == kind.text and kind.stored(dbsession) == []
    form = refused.forms["deform"]
    if "pow_nonce" in form.fields:
        form["pow_nonce"] = solve_pow(form["pow_challenge"].value)
    form["code"] = code
    post(testapp, form, "send", status=200)
    assert kind.contact(dbsession, registry)["phone_verified"] is True


def test_an_expired_code_is_refused_with_the_report_kept(testapp, dbsession, world, mode, sms, monkeypatch):
    mode("required")
    kind = KINDS["sighting"]
    form = ask_code(testapp, kind, world).forms["deform"]
    form["code"] = code_in(sms()[0])
    later = utcnow() + timedelta(minutes=5, seconds=1)
    monkeypatch.setattr(phones, "utcnow", lambda: later)
    refused = post(testapp, form, "send", status=400)
    assert "This code has expired" in refused.text and refused.forms["deform"]["text"].value == SIGHTING_TEXT
    assert kind.stored(dbsession) == []


def test_five_wrong_codes_spend_it(testapp, dbsession, world, mode, sms):
    mode("required")
    kind = KINDS["sighting"]
    form = ask_code(testapp, kind, world).forms["deform"]
    code = code_in(sms()[0])
    form["code"] = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        page = post(testapp, form, "send", status=400)
    assert "Too many wrong codes" in page.text
    form["code"] = code
    assert "Too many wrong codes" in post(testapp, form, "send", status=400).text
    assert kind.stored(dbsession) == []


# --- what the answers give away -------------------------------------------------------------------

def test_the_answer_is_the_same_for_every_number(testapp, dbsession, world, mode, sms, registry, monkeypatch):
    """A number never seen, one that was proven and used, and one over its hourly limit: the same page."""
    mode("optional")
    kind = KINDS["sighting"]
    used = ask_code(testapp, kind, world, phone="138 0000 1234").forms["deform"]
    used["code"] = code_in(sms()[-1])
    post(testapp, used, "send", status=200)
    for _ in range(3):
        ask_code(testapp, kind, world, phone="137 2222 1234")
    sent_before = len(sms())
    answers = [ask_code(testapp, kind, world, phone=phone)
               for phone in ("136 9999 1234", "138 0000 1234", "137 2222 1234")]
    assert {page.status_int for page in answers} == {200}
    assert len({notice_text(page) for page in answers}) == 1 and "***1234" in notice_text(answers[0])
    assert len(sms()) == sent_before + 2  # the number over its limit got no SMS, and the page did not say


def test_codes_asked_for_from_one_address_are_limited(testapp, dbsession, world, mode, sms, registry, monkeypatch):
    mode("optional")
    monkeypatch.setitem(registry.settings, "portal.phones.sends_per_hour", "2")
    kind = KINDS["tip"]
    ask_code(testapp, kind, world, phone="13900000001")
    ask_code(testapp, kind, world, phone="13900000002")
    limited = ask_code(testapp, kind, world, phone="13900000003")
    assert limited.status_int == 429 and limited.headers["Retry-After"]
    assert "Many codes were asked for" in limited.text and 'href="tel:110"' in limited.text
    assert limited.forms["deform"]["description"].value == TIP_TEXT


def test_code_checks_from_one_address_are_limited(testapp, dbsession, world, mode, sms, registry, monkeypatch):
    mode("required")
    monkeypatch.setitem(registry.settings, "portal.phones.checks_per_hour", "1")
    kind = KINDS["sighting"]
    form = ask_code(testapp, kind, world).forms["deform"]
    form["code"] = "000000" if code_in(sms()[0]) != "000000" else "111111"
    post(testapp, form, "send", status=400)
    form["code"] = code_in(sms()[0])
    limited = post(testapp, form, "send", status=429)
    assert limited.forms["deform"]["text"].value == SIGHTING_TEXT and kind.stored(dbsession) == []


@given(typed=st.text(max_size=40))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_whatever_is_typed_as_a_number_gets_a_code_or_a_clear_400(testapp, dbsession, world, mode, typed):
    mode("optional")
    testapp.app.registry.registerUtility(MemoryRateLimiter(), IRateLimiter)  # each example its own limits
    page = testapp.get(KINDS["sighting"].url(world))
    form = KINDS["sighting"].fill(page.forms["deform"], world)
    form["phone"] = typed.replace("\x00", "")
    answer = post(testapp, form, "send_code")
    assert answer.status_int in (200, 400)
    assert answer.forms["deform"]["text"].value == SIGHTING_TEXT
    assert ("***" in notice_text(answer)) == (answer.status_int == 200)


def test_no_log_line_holds_the_number_or_the_code(testapp, dbsession, registry, world, mode, caplog, dummy_request,
                                                  monkeypatch):
    """Through the default sender, which logs each message (masked): never the number or the code."""
    mode("required")
    monkeypatch.setitem(registry.settings, "portal.outbox.sender", "log")
    registry.pop("outbox_sender", None)
    caplog.set_level(logging.DEBUG)
    kind = KINDS["tip"]
    form = ask_code(testapp, kind, world).forms["deform"]
    assert outbox.send_due(dummy_request) == 1
    message = dbsession.execute(select(OutboxMessage)).scalar_one()
    form["code"] = code = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", registry["field_cipher"].decrypt(
        message.body, outbox.BODY_LABEL)).group(1)
    post(testapp, form, "send", status=200)
    registry.pop("outbox_sender", None)
    assert "outbox: sms to ***78" in caplog.text  # the sender did log the message
    assert NUMBER not in caplog.text and "1234 5678" not in caplog.text and code not in caplog.text


def test_a_number_abroad_is_refused_at_its_field_unless_allowed(testapp, dbsession, world, mode, sms):
    mode("optional")
    kind = KINDS["sighting"]
    refused = ask_code(testapp, kind, world, phone="+44 20 7946 0958")
    assert refused.status_int == 400 and "mainland China mobile number" in refused.text
    assert refused.forms["deform"]["text"].value == SIGHTING_TEXT and sms() == []


# --- with JavaScript: the code asked for without leaving the page --------------------------------

def csrf_of(page) -> str:
    return page.html.select_one('input[name="csrf_token"]')["value"]


def test_the_page_script_asks_for_the_code_and_the_form_takes_it(testapp, dbsession, registry, world, mode, sms):
    mode("required")
    kind = KINDS["sighting"]
    page = testapp.get(kind.url(world))
    script = page.html.select_one('script[src*="/phone-code.js"]')
    assert script["data-endpoint"] == "/phones/code" and script["src"].split("?")[0].endswith("/phone-code.js")
    answer = testapp.post("/phones/code", {"phone": PHONE}, headers={"X-CSRF-Token": csrf_of(page)})
    assert answer.json["message"].startswith("If ***5678 can receive SMS") and NUMBER not in answer.text
    assert kind.stored(dbsession) == []
    form = kind.fill(page.forms["deform"], world, phone=PHONE)  # the page as it was: nothing reloaded
    form["code"] = code_in(sms()[0])
    post(testapp, form, "send", status=200)
    assert kind.contact(dbsession, registry) == {"name": "", "phone": NUMBER, "phone_verified": True}


def test_the_script_endpoint_refuses_what_the_form_refuses(testapp, dbsession, world, mode, sms, registry,
                                                          monkeypatch):
    page = testapp.get(KINDS["sighting"].url(world))
    token = {"X-CSRF-Token": csrf_of(page)}
    mode("off")
    assert testapp.post("/phones/code", {"phone": PHONE}, headers=token, status=404).json["error"]
    mode("optional")
    assert "mainland" in testapp.post("/phones/code", {"phone": "12"}, headers=token, status=400).json["error"]
    testapp.post("/phones/code", {"phone": PHONE}, status=400)  # no CSRF token: nothing sent
    monkeypatch.setitem(registry.settings, "portal.phones.sends_per_hour", "1")
    testapp.post("/phones/code", {"phone": PHONE}, headers=token, status=200)
    limited = testapp.post("/phones/code", {"phone": PHONE}, headers=token, status=429)
    assert limited.json["retry_after"] > 0 and "Many codes" in limited.json["error"]
    assert len(sms()) == 1


# --- need to know and audit: a proven number is a contact like any other ---------------------------

def test_a_proven_number_is_shown_only_with_a_reason_audited_and_marked_proven(testapp, dbsession, world, mode,
                                                                                sms):
    from portal.audit.models import AuditEvent
    from tests.factories import make_officer
    from tests.functional.helpers import login

    mode("required")
    kind = KINDS["sighting"]
    form = ask_code(testapp, kind, world).forms["deform"]
    form["code"] = code_in(sms()[0])
    post(testapp, form, "send", status=200)
    (sighting,) = kind.stored(dbsession)
    assert NUMBER not in sighting.contact  # sealed
    moderator = make_officer(dbsession, world["units"]["city_a"], ["moderator"], username="mod_phone_a")
    outsider = make_officer(dbsession, world["units"]["city_b"], ["moderator"], username="mod_phone_b")
    login(testapp, outsider.username)
    assert testapp.get(f"/staff/sightings/{sighting.id}", status="*").status_int in (403, 404)
    testapp.get("/logout")
    testapp.reset()
    login(testapp, moderator.username)
    page = testapp.get(f"/staff/sightings/{sighting.id}")
    assert NUMBER not in page.text and "proven by an SMS code" not in page.text
    reveal = next(f for f in page.forms.values() if f.fields.get("action") and f["action"].value == "reveal")
    reveal["reason"] = "Calling back to ask which way she walked"
    shown = reveal.submit(status=200)
    assert NUMBER in shown.text and "proven by an SMS code" in shown.text
    event = dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (event.action, event.object_type, event.object_id) == ("protected.reveal", "sighting", str(sighting.id))
    assert NUMBER not in (event.reason or "")


def test_send_a_code_on_a_tip_with_files_stores_no_file(testapp, dbsession, registry, world, mode, sms):
    """Without JavaScript the press posts the files too: they are not kept (chosen again later)."""
    import os

    from webtest import Upload

    from portal.media.models import Media
    from tests.factories import jpeg_bytes

    def files():
        media_dir = registry.settings["portal.media_dir"]
        return sorted(os.path.join(root, name) for root, _dirs, names in os.walk(media_dir) for name in names
                      if not name.endswith(".lock"))  # ".lock": a process's own marker
    before = files()
    mode("optional")
    kind = KINDS["tip"]
    form = kind.fill(testapp.get(kind.url(world)).forms["deform"], world, phone=PHONE)
    fields = [(n, v) for n, v in form.submit_fields("send_code") if n != "attachments"]
    fields.append(("attachments", Upload("van.jpg", jpeg_bytes(size=(64, 48)), "image/jpeg")))
    page = testapp.post(form.action or form.response.request.url, fields, content_type="multipart/form-data",
                        status=200)
    assert "***5678" in notice_text(page) and page.forms["deform"]["description"].value == TIP_TEXT
    assert dbsession.execute(select(func.count()).select_from(Media)).scalar_one() == 0
    assert files() == before  # no upload part left, no file stored
    assert len(sms()) == 1
