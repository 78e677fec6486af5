""""Tell me when something changes" for family requests (issue 15, item 2): publication, refusal and
closing each queue one SMS in the form's language, saying no more than that there is news and where
to read it; nothing without the box; the reason for a refusal stays on /status."""
import logging

from sqlalchemy import select

from portal.missing.models import MissingPersonRequest
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from tests.functional.helpers import login
from tests.functional.test_missing_requests import (
    FAMILY_NAME,
    FAMILY_PHONE,
    NAME,
    PLACE,
    fill,
    receipt_code,
    send,
    world,  # noqa: F401 (a fixture)
)
from tests.images import png

REJECTION = "The accepting unit in Xinhua district has no such report."


def file_request(testapp, dbsession, units, lang="en", **changes):
    form = fill(testapp.get(f"/missing/new?lang={lang}").forms["deform"], units, **changes)
    code = receipt_code(send(testapp, form, photos=[("one.png", png())], status=200))
    testapp.reset()
    return dbsession.execute(select(MissingPersonRequest)).scalar_one(), code


def messages(dbsession):
    return dbsession.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def body_of(registry, message) -> str:
    return registry["field_cipher"].decrypt(message.body, outbox.BODY_LABEL)


def dispatcher_step(testapp, mr, name, **fields):
    form = testapp.get(f"/staff/missing/{mr.id}").forms[f"step-{name}"]
    for field, value in fields.items():
        form[field] = value
    return form.submit().follow()


def publish(testapp, mr):
    dispatcher_step(testapp, mr, "start_verifying")
    checklist = testapp.get(f"/staff/missing/{mr.id}").forms["checklist-form"]
    checklist["family_confirmed"] = checklist["unit_confirmed"] = True
    checklist["verification_how"] = "Called the mother and the county duty desk."
    checklist.submit().follow()
    dispatcher_step(testapp, mr, "publish")


def test_a_family_who_asked_is_told_of_publication_and_closing(testapp, dbsession, registry, world, caplog,  # noqa: F811
                                                               monkeypatch):
    caplog.set_level(logging.DEBUG)
    units, officers = world
    mr, code = file_request(testapp, dbsession, units, lang="ug", notify=True)
    assert (mr.notify_consent, mr.locale) == (True, "ug")
    login(testapp, officers["dispatcher"].username)
    publish(testapp, mr)
    (published,) = messages(dbsession)
    assert (published.template, published.locale, published.subject_type, published.subject_id) == (
        "missing.published", "ug", "missing_request", mr.id)
    assert registry["field_cipher"].decrypt(published.recipient, outbox.RECIPIENT_LABEL) == FAMILY_PHONE
    assert "ساقچى" in body_of(registry, published)  # Uyghur, as the form was
    monkeypatch.setitem(registry.settings, "portal.notify.interval_minutes", "0")
    published.sent_at = published.created_at  # the worker sent it
    dispatcher_step(testapp, mr, "resolve", reason="Found safe at her aunt's in Zhengding.")
    assert [m.template for m in messages(dbsession)] == ["missing.published", "missing.closed"]
    everything = " ".join(body_of(registry, m) for m in messages(dbsession)) + caplog.text
    for secret in (code, code.replace(" ", ""), NAME, PLACE, FAMILY_NAME, FAMILY_PHONE, "Zhengding"):
        assert secret not in everything, secret


def test_a_refusal_is_told_without_its_reason(testapp, dbsession, registry, world):  # noqa: F811
    units, officers = world
    mr, code = file_request(testapp, dbsession, units, notify=True)
    login(testapp, officers["dispatcher"].username)
    dispatcher_step(testapp, mr, "reject", reason=REJECTION)
    (message,) = messages(dbsession)
    assert (message.template, message.locale) == ("missing.rejected", "en")
    testapp.reset()
    status = testapp.get("/status?lang=en").forms["deform"]
    status["code"] = code
    page = status.submit("show")
    assert REJECTION in page.text and "You asked to be told of changes" in page.text  # the reason is here
    body = body_of(registry, message)
    assert "was not published" in body and "receipt code" in body
    assert "Xinhua" not in body and REJECTION not in body  # the reason is on /status only


def test_no_box_no_message(testapp, dbsession, world):  # noqa: F811
    units, officers = world
    mr, _code = file_request(testapp, dbsession, units)
    assert mr.notify_consent is False
    login(testapp, officers["dispatcher"].username)
    publish(testapp, mr)
    dispatcher_step(testapp, mr, "withdraw", reason="The family asked to withdraw it.")
    assert messages(dbsession) == []


def test_the_family_stops_the_messages_on_status(testapp, dbsession, world):  # noqa: F811
    units, officers = world
    mr, code = file_request(testapp, dbsession, units, notify=True)
    status = testapp.get("/status?lang=en").forms["deform"]
    status["code"] = code
    stop = next(f for f in status.submit("show").forms.values() if "stop-messages" in (f.action or ""))
    assert "you will get no more messages" in stop.submit(status=200).text
    dbsession.refresh(mr)
    assert mr.notify_consent is False
    testapp.reset()
    login(testapp, officers["dispatcher"].username)
    publish(testapp, mr)
    assert messages(dbsession) == []
