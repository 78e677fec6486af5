"""E-mail through an SMTP server (the police service's own relay, or a provider's):

- `portal.smtp.host`, `.port`: the server (port 587 with `starttls`, 465 with `tls`, 25 with
  `none`);
- `portal.smtp.security`: `starttls` (default), `tls`, or `none` (only to a relay on the same host
  or network);
- `portal.smtp.username`, `.password` (`PORTAL_SMTP_PASSWORD`): sign-in, when the server asks for
  it;
- `portal.smtp.from`: the sender address, e.g. `Safety Portal <no-reply@police.example.cn>`;
- `portal.smtp.timeout_seconds`: 10;

A connection per message: the worker sends few, and a connection kept between rounds would go stale.
A refusal of the recipient (5xx) gives the message up; anything else is tried again later."""
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from portal.outbox.senders import GiveUp, Outgoing

DEFAULT_SUBJECT = "Safety Portal"


class SmtpSender:
    def __init__(self, settings):
        def setting(name, default=""):
            return (settings.get(f"portal.smtp.{name}") or default).strip()

        self.host = setting("host")
        self.security = setting("security", "starttls")
        if not self.host or self.security not in ("starttls", "tls", "none"):
            raise ValueError("portal.smtp needs host, and security starttls, tls or none")
        self.port = int(setting("port", {"starttls": "587", "tls": "465", "none": "25"}[self.security]))
        self.username, self.password = setting("username"), setting("password")
        self.sender = setting("from")
        if "@" not in parseaddr(self.sender)[1]:
            raise ValueError("portal.smtp.from must be an e-mail address")
        self.timeout = float(setting("timeout_seconds", "10"))

    def _message(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        _name, address = parseaddr(message.recipient)
        if "@" not in address:
            raise GiveUp("not an e-mail address")
        email["To"] = Address(addr_spec=address)
        email["Subject"] = message.subject or DEFAULT_SUBJECT
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain=parseaddr(self.sender)[1].rpartition("@")[2])
        email.set_content(message.body)  # UTF-8, quoted-printable or base64 as the text needs
        return email

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
        server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            server.starttls(context=ssl.create_default_context())
        return server

    def send(self, message: Outgoing) -> None:
        if message.channel != "email":
            raise GiveUp("SMTP sends e-mail only")
        email = self._message(message)
        try:
            with self._connect() as server:
                if self.username:
                    server.login(self.username, self.password)
                server.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise GiveUp(f"recipient refused ({codes[0]})") from None
            raise ConnectionError(f"recipient deferred ({codes[0] if codes else '?'})") from None
        except smtplib.SMTPResponseException as exc:
            raise ConnectionError(f"SMTP {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectionError(f"SMTP {type(exc).__name__}") from None
