"""Secret link tokens and receipt codes never reach a log.

Every log record of the process (the portal's, waitress's "Exception while serving /alarm/...",
any library's) is redacted when it is made, before any handler or formatter sees it: a record factory,
so handlers added later (a test's, a deployment's) get redacted records too. What is rewritten:

- the segment after a secret link's prefix: `/alarm/<token>/updates` -> `/alarm/<redacted>/updates`;
- anything shaped like a link token (43 URL-safe base64 characters on its own);
- the value of query parameters that carry a code or token (`?code=...`).

The message and a logged traceback are redacted; the arguments are folded into the message."""
import logging
import re

from portal.privacy.links import NOT_SECRET_SEGMENTS, SECRET_LINK_PREFIXES, TOKEN_PATTERN

REDACTED = "<redacted>"
SECRET_PARAMETERS = ("code", "token", "receipt", "key", "secret")
_STOP = r"/?#\s\"'<>&;,)\]"
_PATTERNS = (
    (re.compile("(" + "|".join(re.escape(p) for p in SECRET_LINK_PREFIXES) + ")"
                rf"(?!(?:{'|'.join(NOT_SECRET_SEGMENTS)})(?:[{_STOP}]|$))[^{_STOP}]+"), r"\1" + REDACTED),
    (re.compile(rf"(?<![A-Za-z0-9_-]){TOKEN_PATTERN}(?![A-Za-z0-9_-])"), REDACTED),
    (re.compile(rf"([?&;](?:{'|'.join(SECRET_PARAMETERS)})=)[^&;#\s\"'<>]*", re.IGNORECASE), r"\1" + REDACTED),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it for the handler to report
        return record
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def install() -> None:
    """Redact every record this process makes from now on (once per process, whatever calls it)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_secrets", False):
        return

    def factory(*args, **kwargs):
        return redact_record(previous(*args, **kwargs))

    factory.redacts_secrets = True
    logging.setLogRecordFactory(factory)
