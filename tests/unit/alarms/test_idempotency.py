"""A resent alarm is the same alarm, a resent line the same line (alarms/idempotency.py)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.alarms import idempotency
from portal.alarms import raising as alarms
from portal.alarms.models import Alarm, AlarmMessage
from portal.privacy.links import token_hash

NONCE = "n0nce-of-one-page-load-123"


@pytest.fixture
def units(dbsession):
    from tests.factories import make_units

    return make_units(dbsession)


def count(dbsession, model, *where):
    return dbsession.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_the_same_nonce_is_the_same_alarm_and_the_same_link(dummy_request, dbsession, units):
    first, token = alarms.raise_alarm(dummy_request, text="help", nonce=NONCE)
    again, token_again = alarms.raise_alarm(dummy_request, text="help", nonce=NONCE)
    assert again.id == first.id and token_again == token and first.token_hash == token_hash(token)
    assert count(dbsession, Alarm) == 1
    assert count(dbsession, AlarmMessage, AlarmMessage.alarm_id == first.id) == 1


def test_the_token_is_not_guessable_from_the_nonce_without_the_server_key(dummy_request, dbsession, units):
    _alarm, token = alarms.raise_alarm(dummy_request, nonce=NONCE)
    assert NONCE not in token and len(token) == 43
    dummy_request.registry.settings["portal.session_secret"] += "-another-server"
    try:
        assert idempotency.token_for(dummy_request, NONCE)[0] != token
    finally:
        dummy_request.registry.settings["portal.session_secret"] = \
            dummy_request.registry.settings["portal.session_secret"].removesuffix("-another-server")


def test_new_words_in_a_resend_join_the_thread(dummy_request, dbsession, units):
    first, _ = alarms.raise_alarm(dummy_request, text="help", nonce=NONCE)
    alarms.raise_alarm(dummy_request, text="He has a knife", nonce=NONCE)
    alarms.raise_alarm(dummy_request, text="He has a knife", nonce=NONCE)
    assert [m.text for m in first.messages] == ["help", "He has a knife"]


@pytest.mark.parametrize("ended", ["closed", "old"])
def test_a_nonce_reused_on_an_ended_or_old_alarm_raises_a_new_one(dummy_request, dbsession, units, ended):
    first, token = alarms.raise_alarm(dummy_request, text="help", nonce=NONCE)
    if ended == "closed":
        first.state = "closed"
    else:
        first.created_at -= idempotency.RESEND_WINDOW + timedelta(minutes=1)
    dbsession.flush()
    second, second_token = alarms.raise_alarm(dummy_request, text="help again", nonce=NONCE)
    assert second.id != first.id and second_token != token
    assert count(dbsession, Alarm) == 2


@pytest.mark.parametrize("nonce", ["", "short", "x" * 65, "spaces are not allowed here", "日本語の文字列です日本語の文字列です", None])
def test_a_malformed_nonce_is_ignored_and_each_alarm_is_new(dummy_request, dbsession, units, nonce):
    first, token = alarms.raise_alarm(dummy_request, nonce=nonce)
    second, second_token = alarms.raise_alarm(dummy_request, nonce=nonce)
    assert first.id != second.id and token != second_token


def test_a_resent_line_is_stored_once_and_a_new_line_is_new(dummy_request, dbsession, units):
    alarm, _ = alarms.raise_alarm(dummy_request)
    line = alarms.post_message(dummy_request, alarm, "Red shirt", nonce=NONCE)
    again = alarms.post_message(dummy_request, alarm, "Red shirt", nonce=NONCE)
    other = alarms.post_message(dummy_request, alarm, "Red shirt", nonce=NONCE + "2")
    plain = [alarms.post_message(dummy_request, alarm, "No nonce") for _ in range(2)]
    assert again.id == line.id and other.id != line.id and plain[0].id != plain[1].id
    assert [m.text for m in alarm.messages] == ["Red shirt", "Red shirt", "No nonce", "No nonce"]
    # The same nonce on another alarm is another line.
    other_alarm, _ = alarms.raise_alarm(dummy_request)
    assert alarms.post_message(dummy_request, other_alarm, "Red shirt", nonce=NONCE).alarm_id == other_alarm.id
