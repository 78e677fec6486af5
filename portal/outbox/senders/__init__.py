"""Senders: how a message leaves. One per channel, chosen by setting:

- `portal.outbox.sms_sender`: `log` (default), `http` (any HTTP SMS gateway, http_sms.py), `tencent`
  (Tencent Cloud SMS through its SDK, tencent_sms.py), or a dotted path to a class of your own;
- `portal.outbox.email_sender`: `log` (default), `smtp` (smtp.py), or a dotted path;
- `portal.outbox.sender`: the fallback for both (what a site set before the channels had their own).

A sender is built once from the settings and given one `Outgoing` at a time; it returns when the
gateway took the message and raises otherwise: `GiveUp` when trying again cannot help (a template
the gateway does not know, a number it refuses), anything else to be tried again later. What it
raises is recorded with the recipient masked; it never logs a recipient or a text."""
import logging
from dataclasses import dataclass, field

from pyramid.path import DottedNameResolver

log = logging.getLogger("portal.outbox")


@dataclass(frozen=True)
class Outgoing:
    channel: str  # sms, email
    recipient: str
    body: str
    template: str = ""  # outbox/templates.py name; "" for a free text
    params: dict = field(default_factory=dict)
    locale: str = ""
    subject: str = ""

    def __repr__(self):  # never the recipient or the text in a traceback or a log
        return f"<Outgoing {self.channel} {self.template or 'text'} {len(self.body)} chars>"


class GiveUp(Exception):
    """Sending this message can never succeed as it is: no further attempt."""


def mask(recipient: str) -> str:
    """Enough to tell two recipients apart in a log, never the whole number or address."""
    recipient = (recipient or "").strip()
    if "@" in recipient:
        name, _, domain = recipient.rpartition("@")
        return f"{name[:1]}***@{domain}"
    digits = [ch for ch in recipient if ch.isdigit()]
    return "***" + "".join(digits[-2:]) if len(digits) >= 6 else "***"


class LogSender:
    """Writes that a message would go out; for development and for sites without a gateway."""

    def __init__(self, settings=None):
        self.settings = settings or {}

    def send(self, message: Outgoing) -> None:
        log.info("outbox: %s to %s, %d chars", message.channel, mask(message.recipient), len(message.body))


BUILT_IN = {
    "log": "portal.outbox.senders:LogSender",
    "http": "portal.outbox.senders.http_sms:HttpSmsSender",
    "tencent": "portal.outbox.senders.tencent_sms:TencentSmsSender",
    "smtp": "portal.outbox.senders.smtp:SmtpSender",
}


def _build(name: str, settings):
    return DottedNameResolver().resolve(BUILT_IN.get(name, name))(settings)


class ChannelSenders:
    """The configured sender of each channel."""

    def __init__(self, settings):
        fallback = (settings.get("portal.outbox.sender") or "log").strip()
        names = {channel: (settings.get(f"portal.outbox.{channel}_sender") or fallback).strip()
                 for channel in ("sms", "email")}
        built = {}  # one instance per backend, however many channels use it
        for name in set(names.values()):
            built[name] = _build(name, settings)
        self.by_channel = {channel: built[name] for channel, name in names.items()}

    def send(self, message: Outgoing) -> None:
        self.by_channel[message.channel].send(message)


def make_sender(settings) -> ChannelSenders:
    return ChannelSenders(settings)
