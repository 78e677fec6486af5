"""The outbox's senders against real servers on the loopback: an HTTP SMS gateway stand-in (a plain
http.server that answers as told), a Tencent Cloud API stand-in (the official SDK signs and posts to
it), and a real SMTP server (aiosmtpd). Failures, retries with back-off, a message given up, and
nothing personal in a log line or an error kept in the database."""
import json
import logging
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal.core.meta import utcnow
from portal.outbox import services as outbox
from portal.outbox.senders import GiveUp, Outgoing
from portal.outbox.senders.http_sms import GatewayError, HttpSmsSender
from portal.outbox.senders.smtp import SmtpSender
from portal.outbox.senders.tencent_sms import TencentError, TencentSmsSender, e164
from portal.trips.jobs import OVERDUE_MESSAGE
from tests.coturn import reserve_ports

PHONE = "13912345678"
VALUES = {"label": "Grandma's walk", "arrival": "21:30", "deadline": "21:45"}


class Gateway:
    """An HTTP server on the loopback that records each request and answers from a script."""

    def __init__(self):
        self.requests, self.answers = [], []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                gateway.requests.append((self.path, dict(self.headers), body))
                status, answer, delay = gateway.answers.pop(0) if gateway.answers else (200, {"code": 0}, 0)
                time.sleep(delay)
                data = json.dumps(answer).encode() if not isinstance(answer, bytes) else answer
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    server = Gateway()
    yield server
    server.close()


@pytest.fixture
def closed_port():
    """A port of PORTAL_TEST_PORTS that nothing listens on, locked against other suites (tests/coturn.py)."""
    reservation = reserve_ports(1)
    yield reservation.first
    reservation.release()


def _message(channel="sms", recipient=PHONE, locale="en") -> Outgoing:
    return Outgoing(channel=channel, recipient=recipient, body=f"Safety Portal: {VALUES['label']} at 21:30",
                    template="trip.overdue", params=VALUES, locale=locale, subject="Trip not arrived")


# HTTP SMS gateway ------------------------------------------------------------------------------------

def test_the_http_gateway_gets_the_configured_fields_and_key(gateway):
    sender = HttpSmsSender({"portal.sms.http.url": gateway.url + "/v1/send", "portal.sms.http.auth_header": "X-Key",
                            "portal.sms.http.auth_value": "s3cret", "portal.sms.http.fields": "to=mobile text=content "
                            "template=tpl params=vars", "portal.sms.http.extra": "sign=portal",
                            "portal.sms.http.success": "result.code=0"})
    gateway.answers.append((200, {"result": {"code": 0}}, 0))
    sender.send(_message())
    ((path, headers, body),) = gateway.requests
    assert path == "/v1/send" and headers["X-Key"] == "s3cret"
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {"sign": "portal", "mobile": PHONE, "content": "Safety Portal: Grandma's walk at 21:30",
                                "tpl": "trip.overdue", "vars": VALUES}


def test_the_http_gateway_can_take_a_form(gateway):
    sender = HttpSmsSender({"portal.sms.http.url": gateway.url, "portal.sms.http.format": "form"})
    sender.send(_message())
    from urllib.parse import parse_qs

    assert parse_qs(gateway.requests[0][2].decode()) == {"to": [PHONE], "text": ["Safety Portal: Grandma's walk at 21:30"]}


@pytest.mark.parametrize("answer,error", [
    ((500, {"code": 0}, 0), "HTTP 500"),
    ((200, {"code": 17, "echo": PHONE}, 0), "HTTP 200, code=17"),
    ((200, b"<html>ok</html>", 0), "not JSON"),
    ((200, {"code": 0}, 2), "no answer"),  # slower than the timeout
])
def test_an_http_gateway_failure_says_what_without_the_answers_body(gateway, answer, error):
    sender = HttpSmsSender({"portal.sms.http.url": gateway.url, "portal.sms.http.success": "code=0",
                            "portal.sms.http.timeout_seconds": "0.5"})
    gateway.answers.append(answer)
    with pytest.raises(GatewayError, match=error) as failure:
        sender.send(_message())
    assert PHONE not in str(failure.value)


def test_a_closed_gateway_is_a_failure_to_retry(closed_port):
    sender = HttpSmsSender({"portal.sms.http.url": f"http://127.0.0.1:{closed_port}/send"})
    with pytest.raises(GatewayError, match="no answer"):
        sender.send(_message())


@pytest.mark.parametrize("settings", [{}, {"portal.sms.http.url": "ftp://x"},
                                      {"portal.sms.http.url": "http://x", "portal.sms.http.fields": "text=t"},
                                      {"portal.sms.http.url": "http://x", "portal.sms.http.format": "xml"}])
def test_a_gateway_described_wrongly_stops_start_up(settings):
    with pytest.raises(ValueError):
        HttpSmsSender(settings)


def test_through_the_outbox_a_failing_gateway_is_retried_with_back_off_then_given_up(
        gateway, dummy_request, dbsession, registry, monkeypatch, caplog):
    from sqlalchemy import select

    from portal.audit.models import AuditEvent

    monkeypatch.setitem(registry.settings, "portal.outbox.max_attempts", "3")
    monkeypatch.setitem(registry, "outbox_sender", outbox.make_sender(
        {"portal.outbox.sms_sender": "http", "portal.sms.http.url": gateway.url, "portal.sms.http.success": "code=0"}))
    now = utcnow()
    row = outbox.send_template(dummy_request, "sms", PHONE, OVERDUE_MESSAGE, VALUES, "en", ("trip", 4), send_after=now)
    gateway.answers += [(503, {}, 0), (200, {"code": 9}, 0), (502, {}, 0)]
    pauses = []
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            before = row.send_after
            assert outbox.send_due(dummy_request, before) == 0
            pauses.append(row.send_after - before)
    assert len(gateway.requests) == 3 and pauses[0] < pauses[1]
    assert row.gave_up_at is not None and row.last_error == "GatewayError: HTTP 502"
    assert outbox.send_due(dummy_request, row.send_after + timedelta(days=1)) == 0 and len(gateway.requests) == 3
    assert dbsession.execute(select(AuditEvent).where(AuditEvent.action == "outbox.gave_up")).scalar_one()
    assert PHONE not in caplog.text and "Grandma" not in caplog.text


# Tencent Cloud SMS ----------------------------------------------------------------------------------

def _tencent(gateway, templates="trip.overdue zh_CN 1234567\ntrip.overdue ug 7654321") -> TencentSmsSender:
    return TencentSmsSender({"portal.sms.tencent.secret_id": "AKIDtest", "portal.sms.tencent.secret_key": "key",
                             "portal.sms.tencent.sdk_app_id": "1400000000", "portal.sms.tencent.sign_name": "某市公安局",
                             "portal.sms.tencent.templates": templates, "portal.sms.tencent.scheme": "http",
                             "portal.sms.tencent.endpoint": gateway.url.removeprefix("http://")})


def _tencent_answer(code="Ok"):
    return {"Response": {"SendStatusSet": [{"SerialNo": "1", "PhoneNumber": "+86" + PHONE, "Fee": 1,
                                            "SessionContext": "", "Code": code, "Message": "m", "IsoCode": "CN"}],
                         "RequestId": "req-1"}}


def test_tencent_gets_a_signed_send_sms_with_the_approved_template_and_values_in_order(gateway):
    gateway.answers.append((200, _tencent_answer(), 0))
    _tencent(gateway).send(_message(locale="en"))  # no English template: the Chinese one
    ((_path, headers, body),) = gateway.requests
    assert headers["X-TC-Action"] == "SendSms" and headers["Authorization"].startswith("TC3-HMAC-SHA256 ")
    assert "AKIDtest" in headers["Authorization"] and "key" not in headers["Authorization"].split("Credential=")[0]
    sent = json.loads(body)
    assert sent["PhoneNumberSet"] == ["+86" + PHONE] and sent["TemplateId"] == "1234567"
    assert sent["TemplateParamSet"] == ["Grandma's walk", "21:30", "21:45"]
    assert (sent["SmsSdkAppId"], sent["SignName"]) == ("1400000000", "某市公安局")


def test_tencent_uses_the_template_of_the_recipients_language(gateway):
    gateway.answers.append((200, _tencent_answer(), 0))
    _tencent(gateway).send(_message(locale="ug"))
    assert json.loads(gateway.requests[0][2])["TemplateId"] == "7654321"


def test_tencent_refusals_that_no_retry_fixes_give_up_and_others_are_retried(gateway):
    gateway.answers.append((200, _tencent_answer("FailedOperation.TemplateIncorrectOrUnapproved"), 0))
    with pytest.raises(GiveUp):
        _tencent(gateway).send(_message())
    gateway.answers.append((200, _tencent_answer("LimitExceeded.PhoneNumberDailyLimit"), 0))
    with pytest.raises(TencentError):
        _tencent(gateway).send(_message())
    gateway.answers.append((200, {"Response": {"Error": {"Code": "InternalError.Timeout", "Message": "x"},
                                               "RequestId": "r"}}, 0))
    with pytest.raises(TencentError, match="InternalError.Timeout"):
        _tencent(gateway).send(_message())


def test_tencent_cannot_send_a_free_text_or_an_unmapped_template(gateway):
    with pytest.raises(GiveUp):
        _tencent(gateway).send(Outgoing(channel="sms", recipient=PHONE, body="free text"))
    with pytest.raises(GiveUp):
        _tencent(gateway, templates="call.invitation zh_CN 1").send(_message())
    assert gateway.requests == []


@pytest.mark.parametrize("number,expected", [(PHONE, "+86" + PHONE), ("+86 139 1234 5678", "+86" + PHONE),
                                             ("008613912345678", "+86" + PHONE), ("+852 5123 4567", "+85251234567")])
def test_numbers_are_e164(number, expected):
    assert e164(number) == expected


# SMTP -------------------------------------------------------------------------------------------------

def test_an_email_reaches_a_real_smtp_server_in_utf8(smtp_server):
    mailbox, port = smtp_server
    sender = SmtpSender({"portal.smtp.host": "127.0.0.1", "portal.smtp.port": str(port), "portal.smtp.security": "none",
                         "portal.smtp.from": "Safety Portal <no-reply@police.example.cn>"})
    sender.send(Outgoing(channel="email", recipient="li.hua@example.org", body="行程未到达：21:30", subject="行程提醒"))
    ((mail_from, rcpt_tos, content),) = mailbox.messages
    assert mail_from == "no-reply@police.example.cn" and rcpt_tos == ["li.hua@example.org"]
    email = message_from_bytes(content, policy=policy.default)
    assert email["Subject"] == "行程提醒" and email.get_content().strip() == "行程未到达：21:30"
    assert email["Message-ID"].endswith("@police.example.cn>")


def test_a_refused_recipient_gives_up_and_a_server_away_is_retried(smtp_server, closed_port):
    mailbox, port = smtp_server
    settings = {"portal.smtp.host": "127.0.0.1", "portal.smtp.port": str(port), "portal.smtp.security": "none",
                "portal.smtp.from": "no-reply@police.example.cn"}
    mailbox.refuse = "550 no such user"
    with pytest.raises(GiveUp, match="550"):
        SmtpSender(settings).send(Outgoing(channel="email", recipient="nobody@example.org", body="x"))
    mailbox.refuse = "451 try again later"
    with pytest.raises(ConnectionError, match="451"):
        SmtpSender(settings).send(Outgoing(channel="email", recipient="nobody@example.org", body="x"))
    away = dict(settings, **{"portal.smtp.port": str(closed_port)})
    with pytest.raises(ConnectionError):
        SmtpSender(away).send(Outgoing(channel="email", recipient="li.hua@example.org", body="x"))
    assert mailbox.messages == []


def test_the_outbox_sends_sms_and_email_each_through_its_own_gateway(gateway, smtp_server, dummy_request, registry,
                                                                     monkeypatch):
    mailbox, port = smtp_server
    monkeypatch.setitem(registry, "outbox_sender", outbox.make_sender({
        "portal.outbox.sms_sender": "http", "portal.sms.http.url": gateway.url,
        "portal.outbox.email_sender": "smtp", "portal.smtp.host": "127.0.0.1", "portal.smtp.port": str(port),
        "portal.smtp.security": "none", "portal.smtp.from": "no-reply@police.example.cn"}))
    outbox.send_template(dummy_request, "sms", PHONE, OVERDUE_MESSAGE, VALUES, "en", ("trip", 1))
    outbox.send_template(dummy_request, "email", "li.hua@example.org", OVERDUE_MESSAGE, VALUES, "zh_CN", ("trip", 1))
    assert outbox.send_due(dummy_request) == 2
    assert json.loads(gateway.requests[0][2])["to"] == PHONE
    email = message_from_bytes(mailbox.messages[0][2], policy=policy.default)
    assert "Grandma's walk" in email.get_content() and email["Subject"] != "Safety Portal"  # the template's subject


def test_smtp_described_wrongly_stops_start_up():
    with pytest.raises(ValueError):
        SmtpSender({"portal.smtp.host": "mail", "portal.smtp.from": "nobody"})
    with pytest.raises(ValueError):
        SmtpSender({"portal.smtp.host": "mail", "portal.smtp.from": "a@b.c", "portal.smtp.security": "maybe"})
