""""Tell me when something changes" by e-mail (issue 15, item 2): a reporter, a sighting's sender or a
family may leave an e-mail address beside (or instead of) the phone number. It is checked, sealed in
the protected contact and shown to the officer only after the audited reveal, where the phone is. The
box needs a phone or an e-mail; the message goes by SMS when there is a phone, else by e-mail through
the outbox's e-mail channel (the template's subject in the form's language, the body the SMS's text),
never both. Here the worker sends to a real SMTP server on the loopback (tests/smtp.py)."""
import json
import logging
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter
from portal.core.meta import utcnow
from portal.missing import updates as missing_updates
from portal.missing.models import MissingPersonRequest
from portal.outbox import services as outbox
from portal.outbox import updates
from portal.outbox.templates import localizer_for
from portal.sightings.models import CONTACT_LABEL as SIGHTING_CONTACT_LABEL
from portal.sightings.models import Sighting
from portal.tips import updates as tip_updates
from portal.tips.models import Tip
from tests.factories import make_tip
from tests.functional.helpers import login
from tests.functional.test_family_update_messages import file_request, publish
from tests.functional.test_missing_requests import FAMILY_PHONE, world  # noqa: F401 (a fixture)
from tests.functional.test_missing_requests import fill as fill_family
from tests.functional.test_missing_requests import send as send_family
from tests.functional.test_sighting_update_messages import (  # noqa: F401 (fixtures)
    code_of,
    moderator,
    notice,
    queued,
    the_sighting,
    write,
)
from tests.functional.test_sighting_update_messages import send as send_sighting
from tests.functional.test_sightings import TEXT as SIGHTING_TEXT
from tests.functional.test_tip_form import CONTACT_NAME, DESCRIPTION, PHONE, areas, category  # noqa: F401
from tests.functional.test_update_messages import (  # noqa: F401 (a fixture)
    POLICE_QUESTION,
    handled,
    messages,
    only_tip,
    opened,
    receipt_code,
    send_tip,
    staff,
    write_to_reporter,
)
from tests.images import png
from tests.smtp import through_smtp

EMAIL = "li.hua+tips@example.cn"


def received(mailbox):
    """The messages the SMTP server got: (envelope recipients, parsed e-mail)."""
    return [(rcpt_tos, message_from_bytes(content, policy=policy.default)) for _from, rcpt_tos, content in mailbox]


def portal_log(caplog) -> str:
    """Every log line but the test SMTP server's own (it stands for the outside mail server)."""
    return "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records if not r.name.startswith("mail.log"))


def subject_in(request, declared, locale) -> str:
    return localizer_for(request, locale).translate(declared.subject)


def reveal(testapp, url, reason="Call back about what they reported"):
    page = testapp.get(url)
    form = next(f for f in page.forms.values() if f.fields.get("action") and f["action"].value == "reveal")
    form["reason"] = reason
    return form.submit(status=200)


def test_a_reporter_with_only_an_e_mail_is_told_by_e_mail_in_their_language_and_nothing_personal_leaves(
        testapp, dummy_request, dbsession, registry, staff, smtp_server, caplog, monkeypatch):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    mailbox, port = smtp_server
    through_smtp(registry, port, monkeypatch)
    code = receipt_code(send_tip(testapp, lang="zh_CN", phone="", email=f"  {EMAIL} ", notify=True))
    tip = only_tip(dbsession)
    assert (tip.notify_consent, tip.locale) == (True, "zh_CN")
    sealed = registry["field_cipher"].decrypt(tip.contact, "tip.contact")
    assert json.loads(sealed) == {"name": CONTACT_NAME, "phone": "", "email": EMAIL}  # trimmed, sealed

    handled(testapp, dbsession, staff, tip.id)
    assert EMAIL not in testapp.get(f"/staff/tips/{tip.id}").text  # only after the audited reveal
    shown = reveal(testapp, f"/staff/tips/{tip.id}")
    assert f'href="mailto:{EMAIL}"' in shown.text and "E-mail" in shown.text
    write_to_reporter(testapp, tip.id)
    (message,) = messages(dbsession, tip.id)
    assert (message.channel, message.template, message.locale) == ("email", "tip.police_wrote", "zh_CN")
    recipient, body = opened(registry, message)
    assert recipient == EMAIL

    assert outbox.send_due(dummy_request) == 1
    ((rcpt_tos, email),) = received(mailbox.messages)
    assert rcpt_tos == [EMAIL] and email["To"] == EMAIL
    subject = subject_in(dummy_request, tip_updates.POLICE_WROTE, "zh_CN")
    assert email["Subject"] == subject and subject != "News about your tip"  # the subject, in the form's language
    text = email.get_content().strip()
    assert text == body and text.startswith("警方：")  # what the SMS would say, nothing more

    digits = code.replace(" ", "")
    log = portal_log(caplog)
    everything = f"{email.as_string()} {log}"
    for secret in (code, digits, DESCRIPTION, CONTACT_NAME, POLICE_QUESTION, "Behind the night market"):
        assert secret not in everything, secret
    assert EMAIL not in log and EMAIL not in text  # the address only on the envelope and To:


def test_a_phone_and_an_e_mail_get_the_sms_only(testapp, dummy_request, dbsession, registry, staff, smtp_server,  # noqa: F811
                                                monkeypatch):
    mailbox, port = smtp_server
    through_smtp(registry, port, monkeypatch)
    send_tip(testapp, lang="en", email=EMAIL, notify=True)
    tip = only_tip(dbsession)
    handled(testapp, dbsession, staff, tip.id)
    shown = reveal(testapp, f"/staff/tips/{tip.id}")
    assert PHONE in shown.text and EMAIL in shown.text  # both shown where the phone is
    write_to_reporter(testapp, tip.id)
    (message,) = messages(dbsession, tip.id)
    assert message.channel == "sms" and opened(registry, message)[0] == PHONE
    assert outbox.send_due(dummy_request) == 1
    assert mailbox.messages == []  # never both


def test_a_sighting_with_an_e_mail_is_told_by_e_mail_and_stop_works(
        testapp, dummy_request, dbsession, registry, notice, moderator, smtp_server, caplog, monkeypatch):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    mailbox, port = smtp_server
    through_smtp(registry, port, monkeypatch)
    code = code_of(send_sighting(testapp, notice, lang="en", email=EMAIL, notify=True))
    sighting = the_sighting(dbsession, notice)
    assert sighting.notify_consent and sighting.locale == "en"
    assert updates.sealed_reach(dummy_request, sighting.contact, SIGHTING_CONTACT_LABEL) == {
        "phone": None, "email": EMAIL}
    login(testapp, moderator.username)
    assert EMAIL in reveal(testapp, f"/staff/sightings/{sighting.id}").text
    write(testapp, sighting)
    (message,) = queued(dbsession, sighting)
    assert (message.channel, message.template) == ("email", "sighting.police_wrote")
    assert outbox.send_due(dummy_request) == 1
    ((rcpt_tos, email),) = received(mailbox.messages)
    assert rcpt_tos == [EMAIL] and email["Subject"] == "News about the sighting you reported"
    for secret in (code, code.replace(" ", ""), SIGHTING_TEXT, "Zhang Lan", EMAIL):
        assert secret not in email.get_content() and secret not in portal_log(caplog), secret

    # Another message waits (the interval); the sender stops them on /status: nothing more is sent.
    monkeypatch.setitem(registry.settings, "portal.notify.interval_minutes", "60")
    write(testapp, sighting, "And which bus did she take?")
    testapp.reset()  # the sender's browser
    form = testapp.get("/status?lang=en").forms["deform"]
    form["code"] = code
    page = form.submit("show")
    assert "or an e-mail to the address you gave if you left no number" in page.text
    stop = next(f for f in page.forms.values() if "stop-messages" in (f.action or ""))
    stop.submit(status=200)
    dbsession.refresh(sighting)
    _sent, waiting = queued(dbsession, sighting)
    assert not sighting.notify_consent and waiting.gave_up_at is not None and waiting.sent_at is None
    later = utcnow() + timedelta(hours=2)  # past the interval: it would go now, had it not been stopped
    assert outbox.send_due(dummy_request, now=later) == 0 and len(mailbox.messages) == 1


def test_a_family_leaves_an_e_mail_beside_the_phone_the_dispatcher_sees_it_and_the_sms_goes(
        testapp, dummy_request, dbsession, registry, world, smtp_server, monkeypatch):  # noqa: F811
    """A family's phone number is required (the command center calls them): the e-mail is a second way
    for the dispatcher, and the message goes by SMS."""
    mailbox, port = smtp_server
    through_smtp(registry, port, monkeypatch)
    units, officers = world
    mr, _code = file_request(testapp, dbsession, units, lang="en", email=EMAIL, notify=True)
    login(testapp, officers["dispatcher"].username)
    page = testapp.get(f"/staff/missing/{mr.id}")
    assert EMAIL not in page.text
    form = page.forms["reveal-form"]
    form["reason"] = "Calling the family to verify the request"
    shown = form.submit(status=200)
    assert f'href="mailto:{EMAIL}"' in shown.text and FAMILY_PHONE in shown.text
    publish(testapp, mr)
    (message,) = messages(dbsession)
    assert message.channel == "sms" and message.template == "missing.published"
    assert outbox.send_due(dummy_request) == 1 and mailbox.messages == []


def test_a_family_contact_with_only_an_e_mail_is_told_by_e_mail(dummy_request, dbsession, registry, world,  # noqa: F811
                                                                  smtp_server, monkeypatch):  # noqa: F811
    """A request whose sealed contact has no phone number (an address left in it alone) gets the e-mail."""
    mailbox, port = smtp_server
    through_smtp(registry, port, monkeypatch)
    mr = MissingPersonRequest(notify_consent=True, locale="ug", family_contact=registry["field_cipher"].encrypt(
        json.dumps({"name": "Li", "phone": "", "relationship": "mother", "email": EMAIL}), missing_updates.CONTACT_LABEL))
    mr.id = 4242  # not stored: `tell` reads only the contact, the consent and the language
    missing_updates.tell(dummy_request, mr, "publish")
    assert outbox.send_due(dummy_request) == 1
    ((rcpt_tos, email),) = received(mailbox.messages)
    assert rcpt_tos == [EMAIL] and email["Subject"] == subject_in(dummy_request, missing_updates.PUBLISHED, "ug")
    assert "ساقچى" in email.get_content()  # Uyghur, as the form was


@pytest.mark.parametrize("typed", ["li.hua@", "li hua@example.cn", "li@example", "Li <li@example.cn>",
                                   "li@example.cn, boss@example.cn", "a" * 250 + "@example.cn"])
def test_a_bad_e_mail_is_a_400_with_the_form_kept_and_nothing_saved(testapp, dbsession, areas, category, typed):  # noqa: F811
    page = send_tip(testapp, lang="en", status=400, email=typed, notify=True)
    assert "Give an e-mail address like name@example.cn, or leave it empty." in page.text
    kept = page.forms["deform"]
    assert kept["description"].value == DESCRIPTION and kept["email"].value == typed and kept["notify"].checked
    assert dbsession.execute(select(Tip)).scalars().all() == []


def test_a_bad_e_mail_on_the_sighting_form_is_refused_too(testapp, dbsession, notice):  # noqa: F811
    page = send_sighting(testapp, notice, lang="en", status=400, email="li@example")
    assert "Give an e-mail address like name@example.cn" in page.text
    assert page.forms["deform"]["text"].value == SIGHTING_TEXT and page.forms["deform"]["email"].value == "li@example"
    assert dbsession.execute(select(Sighting)).first() is None


def test_a_bad_e_mail_on_the_family_form_is_refused_too(testapp, dbsession, world):  # noqa: F811
    units, _officers = world
    form = fill_family(testapp.get("/missing/new?lang=en").forms["deform"], units, email="li hua@example.cn")
    page = send_family(testapp, form, photos=[("one.png", png())], status=400)
    assert "Give an e-mail address like name@example.cn" in page.text
    assert page.forms["deform"]["email"].value == "li hua@example.cn"
    assert dbsession.execute(select(MissingPersonRequest)).first() is None


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.one_of(st.emails(), st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),
                                            max_size=80)))
def test_whatever_e_mail_is_typed_it_is_kept_as_typed_or_refused_clearly(testapp, dbsession, registry, notice, typed):  # noqa: F811
    testapp.app.registry.registerUtility(MemoryRateLimiter(), IRateLimiter)  # each example is a new sender
    before = dbsession.execute(select(func.count()).select_from(Sighting)).scalar_one()
    page = send_sighting(testapp, notice, lang="en", status="*", email=typed, notify=True)
    after = dbsession.execute(select(func.count()).select_from(Sighting)).scalar_one()
    if page.status_int == 400:
        assert "Give an e-mail address like name@example.cn" in page.text or (
            not typed.strip() and "give your phone number or e-mail address above" in page.text)
        assert after == before
        return
    assert page.status_int == 200 and after == before + 1
    sighting = dbsession.execute(select(Sighting).order_by(Sighting.id.desc()).limit(1)).scalar_one()
    sealed = json.loads(registry["field_cipher"].decrypt(sighting.contact, SIGHTING_CONTACT_LABEL))
    assert sealed["email"] == typed.strip() and updates.EMAIL_RE.fullmatch(sealed["email"])
    assert sighting.notify_consent


def test_a_rolled_back_change_sends_no_e_mail(dummy_request, dbsession, registry, areas, smtp_server,  # noqa: F811
                                              monkeypatch):
    mailbox, port = smtp_server
    through_smtp(registry, port, monkeypatch)
    tip = make_tip(dbsession, areas["county_a"], cipher=registry["field_cipher"], notify_consent=True, locale="en",
                   contact=json.dumps({"name": CONTACT_NAME, "phone": "", "email": EMAIL}))
    with pytest.raises(RuntimeError), dbsession.begin_nested():
        tip_updates.tell(dummy_request, tip, tip_updates.CLOSED)
        assert [m.channel for m in messages(dbsession)] == ["email"]  # queued in the transaction...
        raise RuntimeError("the change fails after the message was queued")
    assert messages(dbsession) == []  # ...and gone with it
    assert outbox.send_due(dummy_request) == 0 and mailbox.messages == []
