"""outbox/updates.py: the update message's rules (consent and a number, one per matter per interval, the
template's two values only), one channel (SMS to a phone, else e-mail to an address, never both), the
form's box, which needs a phone number or an e-mail address, and the e-mail field's check."""
import json
from datetime import timedelta

import colander
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.outbox import services as outbox
from portal.outbox import updates
from portal.outbox.models import OutboxMessage
from portal.outbox.senders import Outgoing
from portal.outbox.senders.smtp import SmtpSender
from portal.outbox.templates import template

PHONE = "13912345678"
NEWS = template("test.update_news", _("Test: news (${time}), see ${url}"), updates.VALUES)
SUBJECT = ("test_matter", 7)


def tell(request, **kw):
    return updates.tell(request, NEWS, **{"subject": SUBJECT, "consent": True, "phone": PHONE, "locale": "en", **kw})


def rows(dbsession):
    return dbsession.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_nothing_without_consent_or_a_number(dummy_request, dbsession):
    assert tell(dummy_request, consent=False) is None
    assert tell(dummy_request, phone="  ") is None
    assert tell(dummy_request, phone=None) is None
    assert rows(dbsession) == []


def test_one_message_per_matter_per_interval(dummy_request, dbsession, registry):
    first = tell(dummy_request)
    assert first.send_after <= utcnow() and first.locale == "en" and first.template == "test.update_news"
    assert tell(dummy_request) is None  # the first still waits: it already sends them to look
    assert tell(dummy_request, subject=("test_matter", 8)) is not None  # another matter is another message
    first.sent_at = utcnow()
    second = tell(dummy_request)
    assert second.send_after >= first.created_at + updates.interval(registry.settings) - timedelta(seconds=1)
    second.sent_at = utcnow()
    first.created_at = second.created_at = utcnow() - timedelta(days=1)  # long ago: sent at once
    assert tell(dummy_request).send_after <= utcnow()


def test_a_given_up_message_does_not_hold_the_next(dummy_request, dbsession):
    tell(dummy_request).gave_up_at = utcnow()
    assert tell(dummy_request) is not None


def test_the_values_are_a_time_and_the_status_page(dummy_request, registry):
    message = tell(dummy_request, locale="")
    params = json.loads(registry["field_cipher"].decrypt(message.params, outbox.PARAMS_LABEL))
    assert params["url"].endswith("/status") and set(params) == {"time", "url"}
    assert message.locale == registry.settings.get("portal.default_locale", "zh_CN")  # no language stored: the default


def test_sms_when_there_is_a_phone_else_e_mail_never_both(dummy_request, dbsession):
    by_sms = tell(dummy_request, email="li@example.cn")
    by_email = tell(dummy_request, subject=("test_matter", 8), phone="", email=" li@example.cn ")
    assert tell(dummy_request, subject=("test_matter", 9), phone=None, email="") is None
    assert [(m.channel, m.subject_id) for m in rows(dbsession)] == [("sms", 7), ("email", 8)]
    cipher = dummy_request.registry["field_cipher"]
    assert cipher.decrypt(by_sms.recipient, outbox.RECIPIENT_LABEL) == PHONE
    assert cipher.decrypt(by_email.recipient, outbox.RECIPIENT_LABEL) == "li@example.cn"


def test_the_number_is_read_from_the_sealed_contact(dummy_request, registry):
    cipher = registry["field_cipher"]
    sealed = cipher.encrypt(json.dumps({"name": "Li Hua", "phone": " 139 1234 5678 "}), "test.contact")
    assert updates.sealed_reach(dummy_request, sealed, "test.contact") == {"phone": "139 1234 5678", "email": None}
    both = cipher.encrypt(json.dumps({"name": "Li", "phone": "", "email": " li@example.cn"}), "x")
    assert updates.sealed_reach(dummy_request, both, "x") == {"phone": None, "email": "li@example.cn"}
    nothing = {"phone": None, "email": None}
    assert updates.sealed_reach(dummy_request, cipher.encrypt(json.dumps({"name": "Li"}), "x"), "x") == nothing
    assert updates.sealed_reach(dummy_request, cipher.encrypt("[1, 2]", "x"), "x") == nothing
    assert updates.sealed_reach(dummy_request, None, "x") == nothing


def contact_schema():
    return colander.SchemaNode(colander.Mapping(), colander.SchemaNode(colander.String(), name="phone", missing=""),
                               updates.email_node(), updates.consent_node(), validator=updates.check_consent)


@given(phone=st.text(alphabet=" \t\u3000", max_size=5), email=st.text(alphabet=" \t", max_size=3),
       ticked=st.booleans())
def test_the_box_needs_a_phone_number_or_an_e_mail_address(phone, email, ticked):
    schema = contact_schema()
    cstruct = {"phone": phone, "email": email, **({"notify": "true"} if ticked else {})}
    if ticked:
        with pytest.raises(colander.Invalid) as refused:
            schema.deserialize(cstruct)
        assert refused.value.asdict() == {"notify": updates.NEEDS_CONTACT}
    else:
        assert schema.deserialize(cstruct)["notify"] is False
    assert schema.deserialize({"phone": "139 1234 5678", "notify": "true"})["notify"] is True
    assert schema.deserialize({"phone": "", "email": "li@example.cn", "notify": "true"})["notify"] is True


@pytest.mark.parametrize("typed", ["li@example.cn", "li.hua+tips@mail.example.com.cn", " Li_Hua@EXAMPLE.CN ",
                                   "a@xn--fiqs8s.xn--55qx5d"])
def test_good_e_mail_addresses_are_kept_trimmed(typed):
    assert contact_schema().deserialize({"email": typed})["email"] == typed.strip()


@pytest.mark.parametrize("typed", ["li", "li@", "@example.cn", "li@example", "li hua@example.cn", "li..hua@example.cn",
                                   ".li@example.cn", "li@-example.cn", "li@example.c", "Li <li@example.cn>",
                                   "li@example.cn\nBcc: x@example.cn", "李@example.cn", "li@例子.中国",
                                   "a" * 65 + "@example.cn", "li@" + "a" * 250 + ".cn"])
def test_bad_e_mail_addresses_are_refused(typed):
    with pytest.raises(colander.Invalid) as refused:
        contact_schema().deserialize({"email": typed})
    assert refused.value.asdict() == {"email": updates.BAD_EMAIL}


@given(typed=st.text(max_size=300))
def test_an_accepted_address_is_one_smtp_can_write(typed):
    """Whatever is typed: refused with the field's message, or an address the SMTP sender writes into
    a To: header as it is (no header injection, no second recipient)."""
    try:
        kept = contact_schema().deserialize({"email": typed})["email"]
    except colander.Invalid as refused:
        assert refused.asdict() == {"email": updates.BAD_EMAIL}
        return
    if not kept:
        assert not typed.strip()
        return
    sender = SmtpSender({"portal.smtp.host": "127.0.0.1", "portal.smtp.from": "no-reply@police.example.cn"})
    email = sender._message(Outgoing(channel="email", recipient=kept, body="Police: news", subject="News"))
    assert str(email["To"]) == kept and len(kept) <= updates.MAX_EMAIL and "\n" not in kept
