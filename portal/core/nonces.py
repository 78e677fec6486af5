"""Client nonces: one per form shown (or per line a page's script sends), so that the same submission
arriving twice, a double press or a retry whose answer was lost on a bad network, is stored once.
The database keeps a unique index on each nonce column; see alarms/idempotency.py and tips' replies."""
import re
import secrets

NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")


def new_nonce() -> str:
    """For a form rendered on the server (a page's script makes its own with crypto.getRandomValues)."""
    return secrets.token_urlsafe(24)


def well_formed(nonce) -> str | None:
    """The nonce when it looks like one, else None (and the submission is simply not deduplicated)."""
    return nonce if isinstance(nonce, str) and NONCE.match(nonce) else None
