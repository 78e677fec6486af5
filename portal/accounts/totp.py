"""Time-based one-time passwords (RFC 6238) for the officers' second factor."""
import time

import pyotp
import segno

ISSUER = "Safety Portal"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg_data_uri(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=4)


def accepted_step(secret: str, code: str, last_step: int | None, now: float | None = None):
    """Return the time step the code belongs to, or None when it is wrong or already used.

    One step of clock drift either way is accepted; a step at or before the last accepted one is
    refused so an observed code cannot be replayed."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    current = int(now // totp.interval)
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.at(step * totp.interval), code):
            return step
    return None
