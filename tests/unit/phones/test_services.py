"""Sending and checking codes (portal/phones/services.py), with a controllable clock."""
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter, RateLimited
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from portal.phones import services as phones
from portal.phones.models import PhoneVerification

PHONE = "139 1234 5678"
NUMBER = "13912345678"


@pytest.fixture
def request_(dummy_request, registry):
    registry.registerUtility(MemoryRateLimiter(), IRateLimiter)
    dummy_request.__dict__.pop("rate_limiter", None)
    return dummy_request


def sms_code(request, dbsession) -> str:
    """The code in the newest SMS, as its recipient reads it."""
    message = dbsession.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(1)).scalar_one()
    body = request.registry["field_cipher"].decrypt(message.body, outbox.BODY_LABEL)
    return re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", body).group(1)


def rows(dbsession):
    return dbsession.execute(select(PhoneVerification).order_by(PhoneVerification.id)).scalars().all()


def test_a_code_goes_out_by_sms_sealed_and_is_stored_only_as_a_hash(request_, dbsession, registry, caplog):
    caplog.set_level(logging.DEBUG)
    said = phones.send_code(request_, PHONE)
    assert "***5678" in said.interpolate() and NUMBER not in said.interpolate()
    (row,) = rows(dbsession)
    code = sms_code(request_, dbsession)
    message = dbsession.get(OutboxMessage, row.outbox_id)
    assert (message.channel, message.template, message.subject_type) == ("sms", "phones.code", "phone_verification")
    assert registry["field_cipher"].decrypt(message.recipient, outbox.RECIPIENT_LABEL) == NUMBER
    assert code not in message.body and code not in (message.params or "")  # sealed
    assert NUMBER not in row.number_hash and code not in row.code_hash
    assert row.expires_at - row.created_at == timedelta(minutes=5) and row.tries == 0
    assert code not in caplog.text and NUMBER not in caplog.text


def test_the_right_code_proves_the_number_and_its_use_scrubs_the_sms(request_, dbsession, registry):
    phones.send_code(request_, PHONE)
    code = sms_code(request_, dbsession)
    proven = phones.check_code(request_, "+86 13912345678", code)
    assert proven.number == NUMBER
    (row,) = rows(dbsession)
    assert row.verified_at is not None and row.tries == 1
    # The form comes back for another field: the same code is taken again, without a try.
    assert phones.check_code(request_, PHONE, code) == proven and rows(dbsession)[0].tries == 1
    message = dbsession.get(OutboxMessage, row.outbox_id)
    message.sent_at = utcnow()
    phones.consume(request_, proven)
    dbsession.refresh(row)
    assert row.used_at is not None
    assert registry["field_cipher"].decrypt(message.body, outbox.BODY_LABEL) == phones.SCRUBBED
    assert message.params is None
    with pytest.raises(Refused):  # used once
        phones.consume(request_, proven)
    with pytest.raises(phones.CodeRefused):
        phones.check_code(request_, PHONE, code)


def test_five_tries_at_most(request_, dbsession):
    phones.send_code(request_, PHONE)
    code = sms_code(request_, dbsession)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    messages = []
    for _ in range(5):
        with pytest.raises(phones.CodeRefused) as refused:
            phones.check_code(request_, PHONE, wrong)
        messages.append(refused.value.message)
    assert [m.mapping["left"] for m in messages[:4]] == [4, 3, 2, 1]
    assert messages[4] == phones.SPENT
    with pytest.raises(phones.CodeRefused) as refused:  # even the right one, now
        phones.check_code(request_, PHONE, code)
    assert refused.value.message == phones.SPENT
    assert rows(dbsession)[0].tries == 5 and rows(dbsession)[0].verified_at is None


def test_a_code_expires_after_five_minutes(request_, dbsession):
    start = utcnow()
    phones.send_code(request_, PHONE, now=start)
    code = sms_code(request_, dbsession)
    with pytest.raises(phones.CodeRefused) as refused:
        phones.check_code(request_, PHONE, code, now=start + timedelta(minutes=5, seconds=1))
    assert refused.value.message == phones.EXPIRED and rows(dbsession)[0].tries == 0
    assert phones.check_code(request_, PHONE, code, now=start + timedelta(minutes=4, seconds=59)).number == NUMBER


def test_a_code_proves_the_number_to_its_own_session_only(request_, dbsession):
    phones.send_code(request_, PHONE)
    code = sms_code(request_, dbsession)
    request_.session.invalidate()  # another browser: another CSRF token
    with pytest.raises(phones.CodeRefused):
        phones.check_code(request_, PHONE, code)


def test_another_number_is_not_proven_by_this_code(request_, dbsession):
    phones.send_code(request_, PHONE)
    code = sms_code(request_, dbsession)
    with pytest.raises(phones.CodeRefused):
        phones.check_code(request_, "13900000000", code)


def test_a_new_code_replaces_the_old_one(request_, dbsession):
    phones.send_code(request_, PHONE)
    old = sms_code(request_, dbsession)
    phones.send_code(request_, PHONE)
    new = sms_code(request_, dbsession)
    if old != new:
        with pytest.raises(phones.CodeRefused):
            phones.check_code(request_, PHONE, old)
    assert phones.check_code(request_, PHONE, new).number == NUMBER


def test_sends_are_limited_per_address(request_, dbsession, monkeypatch, registry):
    monkeypatch.setitem(registry.settings, "portal.phones.sends_per_hour", "2")
    phones.send_code(request_, "13900000001")
    phones.send_code(request_, "13900000002")
    with pytest.raises(RateLimited) as limited:
        phones.send_code(request_, "13900000003")
    assert limited.value.status == 429 and limited.value.retry_after > 0


def test_over_a_numbers_limit_the_answer_is_the_same_and_no_sms_goes(request_, dbsession, registry):
    answers = [phones.send_code(request_, PHONE).interpolate() for _ in range(4)]
    assert len(set(answers)) == 1
    messages = dbsession.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
    assert len(messages) == 4 and len(rows(dbsession)) == 4  # the same work every time...
    assert [m.gave_up_at is None for m in messages] == [True, True, True, False]  # ...but the 4th never leaves
    assert registry["field_cipher"].decrypt(messages[3].body, outbox.BODY_LABEL) == phones.SCRUBBED
    assert messages[3].attempts >= int(registry.settings.get("portal.outbox.max_attempts", 8))


def test_checks_are_limited_per_address(request_, dbsession, monkeypatch, registry):
    monkeypatch.setitem(registry.settings, "portal.phones.checks_per_hour", "2")
    phones.send_code(request_, PHONE)
    for _ in range(2):
        with pytest.raises(phones.CodeRefused):
            phones.check_code(request_, PHONE, "000000" if sms_code(request_, dbsession) != "000000" else "111111")
    with pytest.raises(RateLimited):
        phones.check_code(request_, PHONE, sms_code(request_, dbsession))


@pytest.mark.parametrize("typed", ["", "12345", "phone me", "1" * 16])
def test_a_malformed_number_gets_no_code(request_, dbsession, typed):
    with pytest.raises(Refused) as refused:
        phones.send_code(request_, typed)
    assert refused.value.status == 400 and rows(dbsession) == []


def test_codes_go_to_mainland_mobile_numbers_unless_other_countries_are_allowed(request_, dbsession, monkeypatch,
                                                                               registry):
    with pytest.raises(Refused) as refused:
        phones.send_code(request_, "+44 20 7946 0958")
    assert refused.value.message == phones.NOT_MAINLAND and rows(dbsession) == []
    with pytest.raises(Refused):
        phones.send_code(request_, "0311 8765 4321")  # a landline cannot read an SMS
    monkeypatch.setitem(registry.settings, phones.INTERNATIONAL_SETTING, "true")
    phones.send_code(request_, "+44 20 7946 0958")
    assert len(rows(dbsession)) == 1


def test_purge_removes_day_old_rows(request_, dbsession):
    phones.send_code(request_, PHONE, now=utcnow() - timedelta(days=2))
    phones.send_code(request_, PHONE)
    assert phones.purge(request_) == 1 and len(rows(dbsession)) == 1


def test_purge_scrubs_the_sms_of_codes_that_expired_unused(request_, dbsession, registry):
    start = utcnow()
    phones.send_code(request_, PHONE, now=start)
    (row,) = rows(dbsession)
    message = dbsession.get(OutboxMessage, row.outbox_id)
    assert phones.purge(request_, now=start + timedelta(minutes=6)) == 0  # not sent yet: it must still go
    message.sent_at = start + timedelta(seconds=20)
    assert phones.purge(request_, now=start + timedelta(minutes=4)) == 0  # still valid
    assert phones.purge(request_, now=start + timedelta(minutes=6)) == 1
    assert registry["field_cipher"].decrypt(message.body, outbox.BODY_LABEL) == phones.SCRUBBED
    assert message.params is None and phones.purge(request_, now=start + timedelta(minutes=7)) == 0


def test_an_unknown_mode_stops_start_up(app_settings):
    import portal
    from portal.core.settings import SettingsError

    with pytest.raises(SettingsError, match="portal.verified_phone must be one of off, optional, required"):
        portal.main({}, **{**app_settings, phones.MODE_SETTING: "sometimes"})
