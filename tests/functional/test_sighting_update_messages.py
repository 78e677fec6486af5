""""Tell me when something changes" for sightings, and "stop the messages" on /status for every kind
(issue 15, item 2): the sender ticks the box next to their phone number; the police writing to them,
the sighting passed on and the sighting closed each queue one SMS in the form's language (at most one
waiting per sighting), saying nothing of the sighting. On /status the person can turn it off: waiting
messages are given up, nothing more is queued, and the audit trail says who asked (the public)."""
import re

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.outbox import services as outbox
from portal.outbox import updates
from portal.outbox.models import OutboxMessage
from portal.sightings.models import Sighting
from tests.factories import make_notice, make_officer
from tests.functional.helpers import login
from tests.functional.test_sightings import TEXT, fill

PHONE = "138 0013 8000"
QUESTION = "Which way did she walk after the bus stop?"


@pytest.fixture
def notice(dbsession, units):
    return make_notice(dbsession, units["city_a"], kind="missing_person", title="Missing: Zhang Lan, 9")


@pytest.fixture
def moderator(dbsession, units):
    return make_officer(dbsession, units["city_a"], ["moderator"], username="mod_city_a")


def send(testapp, notice, lang="zh_CN", status=200, **values):
    form = testapp.get(f"/notices/{notice.id}/sightings/new?lang={lang}").forms["deform"]
    return fill(form, **values).submit("send", status=status)


def code_of(page) -> str:
    return page.html.select_one(".receipt-code").get_text(strip=True)


def the_sighting(dbsession, notice) -> Sighting:
    return dbsession.execute(select(Sighting).where(Sighting.notice_id == notice.id)).scalar_one()


def queued(dbsession, sighting):
    return dbsession.execute(select(OutboxMessage).where(
        OutboxMessage.subject_type == "sighting", OutboxMessage.subject_id == sighting.id)
        .order_by(OutboxMessage.id)).scalars().all()


def opened(registry, message) -> tuple[str, str]:
    cipher = registry["field_cipher"]
    return (cipher.decrypt(message.recipient, outbox.RECIPIENT_LABEL), cipher.decrypt(message.body, outbox.BODY_LABEL))


def staff_form(testapp, sighting, action, step_name=None):
    page = testapp.get(f"/staff/sightings/{sighting.id}")
    return next(f for f in page.forms.values() if f.fields.get("action") and f["action"].value == action
                and (step_name is None or f["step"].value == step_name))


def step(testapp, sighting, name, reason="Checked against the CCTV."):
    form = staff_form(testapp, sighting, "step", name)
    form["reason"] = reason
    return form.submit(status=303)


def write(testapp, sighting, body=QUESTION):
    form = staff_form(testapp, sighting, "message")
    form["body"] = body
    return form.submit(status=303)


def status_of(testapp, code, status=200):
    form = testapp.get("/status").forms["deform"]
    form["code"] = code
    return form.submit("show", status=status)


def test_the_box_needs_a_phone_number_and_keeps_what_was_typed(testapp, dbsession, notice):
    page = send(testapp, notice, lang="en", status=400, notify=True)
    assert "give your phone number or e-mail address above" in page.text
    assert page.forms["deform"]["text"].value == TEXT
    assert dbsession.execute(select(Sighting)).first() is None


def test_a_sender_who_asked_is_told_in_their_language_and_nothing_of_the_sighting(
        testapp, dbsession, registry, notice, moderator):
    send(testapp, notice, lang="ug", phone=PHONE, notify=True)
    sighting = the_sighting(dbsession, notice)
    assert sighting.notify_consent and sighting.locale == "ug"
    login(testapp, moderator.username)
    write(testapp, sighting)
    (first,) = queued(dbsession, sighting)
    recipient, body = opened(registry, first)
    assert recipient == PHONE and first.template == "sighting.police_wrote" and first.locale == "ug"
    for private in (QUESTION, TEXT, "Zhang Lan", "mod_city_a", "Renmin"):
        assert private not in body
    assert re.search(r"/status\b", body)
    step(testapp, sighting, "review")  # "being checked" is not news worth a message
    step(testapp, sighting, "forward")  # news, but the first message still waits: it already says to look
    assert len(queued(dbsession, sighting)) == 1
    first.sent_at = first.created_at
    dbsession.flush()
    step(testapp, sighting, "close")
    assert [m.template for m in queued(dbsession, sighting)] == ["sighting.police_wrote", "sighting.closed"]


def test_without_the_box_nothing_is_queued(testapp, dbsession, notice, moderator):
    send(testapp, notice, phone=PHONE)
    sighting = the_sighting(dbsession, notice)
    login(testapp, moderator.username)
    write(testapp, sighting)
    step(testapp, sighting, "close")
    assert queued(dbsession, sighting) == [] and not sighting.notify_consent


def test_stop_the_messages_on_status(testapp, dbsession, notice, moderator):
    code = code_of(send(testapp, notice, lang="en", phone=PHONE, notify=True))
    sighting = the_sighting(dbsession, notice)
    testapp.reset()
    login(testapp, moderator.username)
    write(testapp, sighting)
    testapp.reset()  # the sender's browser
    page = status_of(testapp, code)
    assert "You asked to be told of changes" in page.text
    stop_form = next(f for f in page.forms.values() if "stop-messages" in (f.action or ""))
    stopped = stop_form.submit(status=200)
    assert "you will get no more messages about this" in stopped.text
    assert "Stop the messages" not in stopped.text and "Your sighting" in stopped.text
    dbsession.refresh(sighting)
    assert not sighting.notify_consent
    (waiting,) = queued(dbsession, sighting)
    assert waiting.sent_at is None and waiting.gave_up_at is not None and waiting.last_error == updates.STOPPED
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "updates.stopped")).scalar_one()
    assert (event.actor, event.object_type, event.object_id) == ("public", "sighting", str(sighting.id))
    assert code.replace(" ", "") not in event.reason and PHONE not in event.reason
    login(testapp, moderator.username)
    step(testapp, sighting, "close")
    assert len(queued(dbsession, sighting)) == 1  # nothing new


def test_stopping_needs_the_right_code_and_the_form_token(testapp, dbsession, notice):
    code = code_of(send(testapp, notice, lang="en", phone=PHONE, notify=True))
    page = status_of(testapp, code)
    form = next(f for f in page.forms.values() if "stop-messages" in (f.action or ""))
    token = form["csrf_token"].value
    wrong = testapp.post("/status/stop-messages", {"csrf_token": token, "code": "1234 5678 9012 3456"}, status=400)
    assert "No submission was found for this code" in wrong.text
    testapp.post("/status/stop-messages", {"code": code}, status=400)  # no token: refused
    assert the_sighting(dbsession, notice).notify_consent
