"""The outbox: sealed rows written in the caller's transaction, sent later by the configured sender,
retried with a growing pause, never logged with their content or full recipient."""
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.meta import utcnow
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage

PHONE = "13912345678"
TEXT = "Your trip guardian notice: Li Hua has not arrived at Xinhua Road 88."


class RecordingSender:
    """A gateway stand-in: remembers what it was asked to send; fails while `failures` > 0."""

    sent: list = []
    failures = 0

    def __init__(self, settings):
        self.settings = settings

    def send(self, message):
        if RecordingSender.failures:
            RecordingSender.failures -= 1
            raise ConnectionError(f"gateway refused {message.recipient}")
        RecordingSender.sent.append((message.channel, message.recipient, message.body))


@pytest.fixture
def recording(registry, monkeypatch):
    RecordingSender.sent = []
    RecordingSender.failures = 0
    monkeypatch.setitem(registry.settings, "portal.outbox.sender", "tests.unit.outbox.test_services.RecordingSender")
    registry.pop("outbox_sender", None)
    yield RecordingSender
    registry.pop("outbox_sender", None)


@pytest.fixture
def log_sender(registry):
    registry.pop("outbox_sender", None)
    yield
    registry.pop("outbox_sender", None)


def test_enqueue_seals_recipient_and_text(dummy_request, dbsession, registry):
    message = outbox.enqueue(dummy_request, "sms", PHONE, TEXT, ("trip", 7))
    row = dbsession.execute(select(OutboxMessage)).scalar_one()
    assert row is message and (row.channel, row.subject_type, row.subject_id) == ("sms", "trip", 7)
    assert PHONE not in row.recipient and "Li Hua" not in row.body
    cipher = registry["field_cipher"]
    assert cipher.decrypt(row.recipient, outbox.RECIPIENT_LABEL) == PHONE
    assert cipher.decrypt(row.body, outbox.BODY_LABEL) == TEXT
    assert row.sent_at is None and row.attempts == 0


@pytest.mark.parametrize("channel,recipient,body", [("fax", PHONE, TEXT), ("sms", "", TEXT), ("sms", PHONE, " ")])
def test_enqueue_refuses_what_cannot_be_sent(dummy_request, channel, recipient, body):
    with pytest.raises(ValueError):
        outbox.enqueue(dummy_request, channel, recipient, body)


def test_the_log_sender_writes_a_masked_line_and_never_the_content(dummy_request, log_sender, caplog):
    outbox.enqueue(dummy_request, "sms", PHONE, TEXT)
    outbox.enqueue(dummy_request, "email", "li.hua@example.com", TEXT)
    with caplog.at_level(logging.DEBUG):
        assert outbox.send_due(dummy_request) == 2
    assert f"outbox: sms to ***78, {len(TEXT)} chars" in caplog.text
    assert f"outbox: email to l***@example.com, {len(TEXT)} chars" in caplog.text
    assert PHONE not in caplog.text and "li.hua" not in caplog.text
    assert "Li Hua" not in caplog.text and "Xinhua" not in caplog.text


def test_a_configured_sender_gets_the_plain_message_once(dummy_request, dbsession, recording):
    row = outbox.enqueue(dummy_request, "sms", PHONE, TEXT)
    assert outbox.send_due(dummy_request) == 1
    assert recording.sent == [("sms", PHONE, TEXT)]
    assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""
    assert outbox.send_due(dummy_request) == 0  # sent messages are not sent again
    assert len(recording.sent) == 1


def test_a_failure_is_recorded_masked_and_retried_with_a_growing_pause(dummy_request, recording, caplog):
    now = utcnow()
    row = outbox.enqueue(dummy_request, "sms", PHONE, TEXT, send_after=now)
    recording.failures = 2
    with caplog.at_level(logging.DEBUG):
        assert outbox.send_due(dummy_request, now) == 0
    assert row.attempts == 1 and row.sent_at is None
    assert row.last_error.startswith("ConnectionError") and PHONE not in row.last_error and "***78" in row.last_error
    assert PHONE not in caplog.text
    first_pause = row.send_after - now
    assert outbox.send_due(dummy_request, now) == 0  # not due yet: nothing tried
    assert row.attempts == 1
    later = row.send_after
    assert outbox.send_due(dummy_request, later) == 0
    assert row.attempts == 2 and row.send_after - later > first_pause
    assert outbox.send_due(dummy_request, row.send_after) == 1
    assert row.sent_at is not None and row.attempts == 3 and row.last_error == ""
    assert recording.sent == [("sms", PHONE, TEXT)]


def test_sending_gives_up_after_the_last_attempt(dummy_request, registry, recording, monkeypatch):
    monkeypatch.setitem(registry.settings, "portal.outbox.max_attempts", "2")
    row = outbox.enqueue(dummy_request, "sms", PHONE, TEXT)
    recording.failures = 5
    later = utcnow() + timedelta(days=1)
    outbox.send_due(dummy_request)
    outbox.send_due(dummy_request, later)
    assert row.attempts == 2
    assert outbox.send_due(dummy_request, later + timedelta(days=1)) == 0
    assert row.attempts == 2 and row.sent_at is None


@pytest.mark.parametrize("recipient,masked", [
    (PHONE, "***78"), ("+86 139 1234 5678", "***78"), ("12345", "***"), ("a.person@example.org", "a***@example.org"),
])
def test_mask(recipient, masked):
    assert outbox.mask(recipient) == masked


def test_make_sender_defaults_to_the_log_and_chooses_per_channel():
    assert isinstance(outbox.make_sender({}).by_channel["sms"], outbox.LogSender)
    both = outbox.make_sender({"portal.outbox.sender": "tests.unit.outbox.test_services:RecordingSender"})
    assert isinstance(both.by_channel["sms"], RecordingSender) and both.by_channel["sms"] is both.by_channel["email"]
    split = outbox.make_sender({"portal.outbox.sender": "log",
                                "portal.outbox.email_sender": "tests.unit.outbox.test_services:RecordingSender"})
    assert isinstance(split.by_channel["sms"], outbox.LogSender)
    assert isinstance(split.by_channel["email"], RecordingSender)


def test_a_rolled_back_transaction_sends_nothing(dummy_request, dbsession, recording):
    savepoint = dbsession.begin_nested()  # the caller's work, then its failure
    outbox.enqueue(dummy_request, "sms", PHONE, TEXT)
    savepoint.rollback()
    assert outbox.send_due(dummy_request) == 0 and recording.sent == []


def test_a_template_is_rendered_in_the_recipients_language_and_its_values_sealed(dummy_request, dbsession,
                                                                                 registry, recording):
    from portal.trips.jobs import OVERDUE_MESSAGE

    values = {"label": "Grandma's walk", "arrival": "21:30", "deadline": "21:45"}
    row = outbox.send_template(dummy_request, "sms", PHONE, OVERDUE_MESSAGE, values, "zh_CN", ("trip", 3))
    assert (row.template, row.locale) == ("trip.overdue", "zh_CN")
    assert "Grandma" not in row.params and "Grandma" not in row.body
    assert outbox.send_due(dummy_request) == 1
    ((channel, recipient, body),) = recording.sent
    assert (channel, recipient) == ("sms", PHONE)
    assert "Grandma's walk" in body and "21:45" in body and "行程" in body  # the Chinese template
    with pytest.raises(ValueError):  # a value the template does not declare never reaches a message
        outbox.send_template(dummy_request, "sms", PHONE, OVERDUE_MESSAGE, dict(values, name="Li Hua"), "en")


def test_giving_up_is_recorded_and_audited_without_the_recipient(dummy_request, dbsession, registry, recording,
                                                                 monkeypatch):
    from portal.audit.models import AuditEvent

    monkeypatch.setitem(registry.settings, "portal.outbox.max_attempts", "2")
    row = outbox.enqueue(dummy_request, "sms", PHONE, TEXT, ("trip", 9))
    recording.failures = 5
    outbox.send_due(dummy_request)
    assert row.gave_up_at is None
    outbox.send_due(dummy_request, utcnow() + timedelta(days=1))
    assert row.gave_up_at is not None and row.attempts == 2
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "outbox.gave_up")).scalar_one()
    assert (event.object_type, event.object_id, event.actor) == ("trip", "9", "system")
    assert "after 2 attempt(s): ConnectionError" in event.reason and PHONE not in event.reason


def test_a_sender_that_says_give_up_is_not_tried_again(dummy_request, dbsession, registry, monkeypatch):
    class Hopeless:
        calls = 0

        def __init__(self, settings):
            pass

        def send(self, message):
            Hopeless.calls += 1
            raise outbox.GiveUp("no template for this message")

    monkeypatch.setitem(registry.settings, "portal.outbox.sender", "log")
    monkeypatch.setitem(registry, "outbox_sender", Hopeless(None))
    row = outbox.enqueue(dummy_request, "sms", PHONE, TEXT)
    outbox.send_due(dummy_request)
    assert row.gave_up_at is not None and row.last_error.startswith("GiveUp: no template")
    assert outbox.send_due(dummy_request, utcnow() + timedelta(days=1)) == 0 and Hopeless.calls == 1
