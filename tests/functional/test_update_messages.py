""""Tell me when something changes" for tips (issue 15, item 2): the reporter ticks the box on the tip
form; a message from the police, an approved reward and the closing each queue one SMS in the form's
language, in the transaction of the change, at most one per tip per interval; nothing personal in the
text or in any log line; nothing at all without the box, or for a change that was rolled back."""
import json
import logging
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.outbox import services as outbox
from portal.outbox import updates
from portal.outbox.models import OutboxMessage
from portal.tips import updates as tip_updates
from portal.tips.models import Tip, TipReward
from tests.factories import make_officer, make_tip
from tests.functional.helpers import login
from tests.functional.test_tip_form import CONTACT_NAME, DESCRIPTION, PHONE, areas, category, fill, form_of  # noqa: F401 (fixtures)

POLICE_QUESTION = "Which entrance of the night market do they use?"
CLOSING_REASON = "Seized the pills; the van's owner is known to us."


@pytest.fixture
def staff(dbsession, areas, category):  # noqa: F811 (the fixtures above)
    return {
        "moderator": make_officer(dbsession, areas["county_a"], ["moderator"], username="mod_county"),
        "handler": make_officer(dbsession, areas["county_a"], ["moderator", "handler"], username="handler_county"),
        "approver": make_officer(dbsession, areas["city_a"], ["moderator"], username="mod_city"),
    }


def send_tip(testapp, lang="zh_CN", status=200, **values):
    form = fill(form_of(testapp, query=f"&lang={lang}"), **{"name": CONTACT_NAME, "phone": PHONE, **values})
    return form.submit("send", status=status)


def receipt_code(page) -> str:
    return re.search(r'class="copyable">([0-9 ]+)<', page.text).group(1)


def messages(dbsession, subject_id=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if subject_id is not None:
        query = query.where(OutboxMessage.subject_type == "tip", OutboxMessage.subject_id == subject_id)
    return dbsession.execute(query).scalars().all()


def opened(registry, message) -> tuple[str, str]:
    cipher = registry["field_cipher"]
    return (cipher.decrypt(message.recipient, outbox.RECIPIENT_LABEL), cipher.decrypt(message.body, outbox.BODY_LABEL))


def staff_step(testapp, tip_id, name, **fields):
    form = testapp.get(f"/staff/tips/{tip_id}").forms[f"step-{name}"]
    for field, value in fields.items():
        form[field] = value
    return form.submit(status=303)


def write_to_reporter(testapp, tip_id, body=POLICE_QUESTION):
    form = testapp.get(f"/staff/tips/{tip_id}").forms["message"]
    form["body"] = body
    return form.submit(status=303)


def handled(testapp, dbsession, staff, tip_id):
    """Triaged, assigned to and started by the handler, who is signed in."""
    testapp.reset()
    login(testapp, "mod_county")
    staff_step(testapp, tip_id, "triage")
    staff_step(testapp, tip_id, "assign", handler=str(staff["handler"].id))
    testapp.reset()
    login(testapp, "handler_county")
    staff_step(testapp, tip_id, "start")


def only_tip(dbsession) -> Tip:
    return dbsession.execute(select(Tip).where(Tip.description == DESCRIPTION)).scalar_one()


def test_a_reporter_who_asked_is_told_in_their_language_and_nothing_personal_leaves(
        testapp, dummy_request, dbsession, registry, staff, caplog):
    caplog.set_level(logging.DEBUG)
    receipt = send_tip(testapp, notify=True)
    code = receipt_code(receipt)
    tip = only_tip(dbsession)
    assert (tip.notify_consent, tip.locale) == (True, "zh_CN")
    assert messages(dbsession) == []  # sending the tip is not news: they have the receipt on screen
    status = testapp.get("/status?lang=en").forms["deform"]
    status["code"] = code
    assert "You asked to be told of changes" in status.submit("show").text

    handled(testapp, dbsession, staff, tip.id)
    assert messages(dbsession) == []  # triage, assignment and start are not messages
    assert "they get an SMS (or an e-mail when they left no phone number) saying that there is news" in testapp.get(f"/staff/tips/{tip.id}").text
    write_to_reporter(testapp, tip.id)
    (message,) = messages(dbsession, tip.id)
    assert (message.channel, message.template, message.locale) == ("sms", "tip.police_wrote", "zh_CN")
    recipient, body = opened(registry, message)
    assert recipient == PHONE
    status_url = registry.settings["portal.public_url"].rstrip("/") + "/status"
    assert status_url + " " in body  # the page, with nothing after it (no code in a link)
    assert body.startswith("警方：") and "回执码" in body  # in the form's language: use the receipt code
    # The sender's worker runs: one log line with the masked number.
    assert outbox.send_due(dummy_request) == 1

    # Closing right after: the last message left only now, so this one waits for the interval.
    staff_step(testapp, tip.id, "close", outcome="actionable", reason=CLOSING_REASON)
    first, closing = messages(dbsession, tip.id)
    assert closing.template == "tip.closed"
    assert closing.send_after >= first.created_at + updates.interval(registry.settings) - timedelta(seconds=1)

    everything = " ".join(opened(registry, m)[1] for m in messages(dbsession)) + " " + caplog.text
    digits = code.replace(" ", "")
    for secret in (code, digits, DESCRIPTION, CONTACT_NAME, PHONE, POLICE_QUESTION, CLOSING_REASON,
                   "Behind the night market"):
        assert secret not in everything, secret
    assert "***" in caplog.text  # the log sender logged the masked number, and only that


def test_a_burst_of_changes_sends_one_message(testapp, dbsession, registry, staff):
    send_tip(testapp, notify=True)
    tip = only_tip(dbsession)
    handled(testapp, dbsession, staff, tip.id)
    for n in range(3):
        write_to_reporter(testapp, tip.id, f"Question {n}?")
    staff_step(testapp, tip.id, "close", outcome="actionable", reason=CLOSING_REASON)
    assert [m.template for m in messages(dbsession, tip.id)] == ["tip.police_wrote"]


def test_no_box_no_message(testapp, dbsession, staff):
    send_tip(testapp)
    tip = only_tip(dbsession)
    assert tip.notify_consent is False and tip.locale == "zh_CN"
    handled(testapp, dbsession, staff, tip.id)
    assert "they get an SMS" not in testapp.get(f"/staff/tips/{tip.id}").text
    write_to_reporter(testapp, tip.id)
    staff_step(testapp, tip.id, "close", outcome="actionable", reason=CLOSING_REASON)
    assert messages(dbsession) == []


def test_the_box_without_a_phone_number_is_a_clear_error(testapp, dbsession, areas, category):  # noqa: F811
    page = send_tip(testapp, lang="en", status=400, notify=True, phone="")
    assert "To be told of changes, give your phone number or e-mail address above, or untick this box." in page.text
    kept = page.forms["deform"]
    assert kept["description"].value == DESCRIPTION and kept["notify"].checked
    assert dbsession.execute(select(Tip)).scalars().all() == []


def test_internal_notes_and_refused_steps_send_nothing(testapp, dbsession, staff):
    send_tip(testapp, notify=True)
    tip = only_tip(dbsession)
    handled(testapp, dbsession, staff, tip.id)
    form = testapp.get(f"/staff/tips/{tip.id}").forms["note"]
    form["body"] = "Owner known to the economic crimes team."
    form.submit(status=303)
    page = testapp.get(f"/staff/tips/{tip.id}")
    close = page.forms["step-close"]
    close["outcome"], close["reason"] = "actionable", CLOSING_REASON
    close["version"].force_value("0")  # a page someone else has acted on since
    close.submit(status=409)
    assert messages(dbsession) == []


def test_a_rolled_back_change_sends_nothing(dummy_request, dbsession, registry, areas):  # noqa: F811
    tip = make_tip(dbsession, areas["county_a"], cipher=registry["field_cipher"], notify_consent=True, locale="en",
                   contact=json.dumps({"name": CONTACT_NAME, "phone": PHONE}))
    with pytest.raises(RuntimeError), dbsession.begin_nested():
        tip_updates.tell(dummy_request, tip, tip_updates.POLICE_WROTE)
        assert len(messages(dbsession)) == 1  # queued in the transaction...
        raise RuntimeError("the change fails after the message was queued")
    assert messages(dbsession) == []  # ...and gone with it
    assert outbox.send_due(dummy_request) == 0


def test_an_approved_reward_is_told(testapp, dbsession, registry, staff):
    tip = make_tip(dbsession, staff["handler"].unit, cipher=registry["field_cipher"], state="in_progress",
                   assigned_to=staff["handler"], notify_consent=True, locale="ug",
                   contact=json.dumps({"name": CONTACT_NAME, "phone": PHONE}))
    login(testapp, "handler_county")
    form = testapp.get(f"/staff/tips/{tip.id}").forms["reward-propose"]
    form["amount"], form["reason"] = "2000", "Led to the seizure."
    form.submit(status=303)
    assert messages(dbsession) == []  # a proposal is not news for the reporter
    reward = dbsession.execute(select(TipReward).where(TipReward.tip_id == tip.id)).scalar_one()
    testapp.reset()
    login(testapp, "mod_city")
    form = testapp.get(f"/staff/tips/{tip.id}").forms[f"reward-approve-{reward.id}"]
    form["reason"] = "Checked against the seizure report."
    form.submit(status=303)
    (message,) = messages(dbsession, tip.id)
    assert (message.template, message.locale) == ("tip.reward_approved", "ug")
    _recipient, body = opened(registry, message)
    assert "2000" not in body and "seizure" not in body


# What a form can store: anything but NUL (the forms drop it; PostgreSQL text cannot hold it) and lone surrogates.
TYPED = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(description=st.text(TYPED, min_size=4, max_size=300).filter(lambda s: len(s.strip()) > 3),
       name=st.text(TYPED, min_size=4, max_size=60).filter(lambda s: len(s.strip()) > 3),
       phone=st.from_regex(r"\+?[0-9][0-9 -]{6,20}", fullmatch=True),
       locale=st.sampled_from(["zh_CN", "en", "ug", ""]))
def test_whatever_the_reporter_wrote_stays_out_of_the_message(dummy_request, dbsession, registry, areas,  # noqa: F811
                                                               description, name, phone, locale):
    tip = make_tip(dbsession, areas["county_a"], cipher=registry["field_cipher"], notify_consent=True, locale=locale,
                   description=description, contact=json.dumps({"name": name, "phone": phone}))
    message = tip_updates.tell(dummy_request, tip, tip_updates.CLOSED) or messages(dbsession, tip.id)[-1]
    recipient, body = opened(registry, message)
    assert recipient == phone.strip()
    assert message.locale == (locale or "zh_CN")
    for secret in (description.strip(), name.strip()):
        assert secret not in body
    assert json.loads(registry["field_cipher"].decrypt(message.params, outbox.PARAMS_LABEL)).keys() == {"time", "url"}


def test_the_reporter_stops_the_messages_on_status(testapp, dbsession, staff):
    code = receipt_code(send_tip(testapp, notify=True))
    tip = only_tip(dbsession)
    handled(testapp, dbsession, staff, tip.id)
    write_to_reporter(testapp, tip.id)
    testapp.reset()  # the reporter's browser
    status = testapp.get("/status?lang=en").forms["deform"]
    status["code"] = code
    page = status.submit("show")
    stop = next(f for f in page.forms.values() if "stop-messages" in (f.action or ""))
    assert "you will get no more messages" in stop.submit(status=200).text
    dbsession.refresh(tip)
    (waiting,) = messages(dbsession, tip.id)
    assert not tip.notify_consent and waiting.gave_up_at is not None and waiting.sent_at is None
    testapp.reset()
    login(testapp, "handler_county")
    staff_step(testapp, tip.id, "close", outcome="actionable", reason=CLOSING_REASON)
    assert len(messages(dbsession, tip.id)) == 1  # nothing new once stopped
