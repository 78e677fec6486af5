"""A real SMTP server on the loopback (aiosmtpd) for the e-mail sender and the e-mail updates: it
takes every message (or refuses recipients with `refuse`) and keeps them in `messages`. Its port is
one of PORTAL_TEST_PORTS, reserved as tests/coturn.py does. `through_smtp` points an application's
e-mail channel at it (SMS stays with the log sender)."""
import pytest
from aiosmtpd.controller import Controller

from portal.outbox import services as outbox
from tests.coturn import reserve_ports

SENDER = "Safety Portal <no-reply@police.example.cn>"


class Mailbox:
    def __init__(self):
        self.messages = []
        self.refuse = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    """(mailbox, port) of a running SMTP server; stopped and its port released after the test."""
    reservation = reserve_ports(1)
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=reservation.first)
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()
        reservation.release()


def smtp_settings(port: int) -> dict:
    return {"portal.outbox.email_sender": "smtp", "portal.smtp.host": "127.0.0.1", "portal.smtp.port": str(port),
            "portal.smtp.security": "none", "portal.smtp.from": SENDER}


def through_smtp(registry, port: int, monkeypatch) -> None:
    """The application's outbox sends e-mail to the test server (and SMS to the log, as configured)."""
    monkeypatch.setitem(registry, "outbox_sender", outbox.make_sender({**registry.settings, **smtp_settings(port)}))
