"""Proof of work instead of a third-party CAPTCHA.

A challenge is ``v1.<id>.<issued>.<bits>.<signature>``: a random id, the Unix time it was issued and
the difficulty, signed with a key derived from the session secret. The browser (static/js/pow.js)
finds a nonce such that sha256(challenge + ":" + nonce) starts with `bits` zero bits; the form sends
``challenge:nonce`` (schemas/pow.py). Each challenge id is accepted once, remembered through the rate
limiter backend, so with Redis a replay is refused on every server.

A browser without JavaScript sends the challenge without a nonce: that is allowed (``verify`` returns
False, the caller applies the stricter no-JavaScript limit) once the form has been open for
``portal.pow.min_fill_seconds``."""
import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from portal.core.i18n import _
from portal.core.refused import Refused

VERSION = "v1"
KEY_LABEL = b"portal.pow.challenge-key.v1"  # keeps this key apart from every other use of the secret
MAX_AGE_SECONDS = 2 * 3600  # a form open longer than this gets a fresh challenge
CLOCK_SKEW_SECONDS = 60  # several servers' clocks may differ a little
MAX_NONCE_CHARS = 32  # pow.js sends a decimal counter; anything longer is not ours
MAX_BITS = 32

FORGED = _("The form's security check is not valid. Please send the form again.")
EXPIRED = _("The form was open too long and its security check has expired. Please send it again.")
WRONG = _("The form's security check was not solved. Please wait until the form is ready and send it again.")
REPLAYED = _("This form was already sent once. If you did not get a receipt code, please send it again.")
TOO_FAST = _("The form was sent too quickly. Please check what you wrote, wait a few seconds and send it again.")


class PowRefused(Refused, ValueError):
    """A proof of work we will not take: a 400 refusal whose message says why, for the person."""

    def __init__(self, message):
        super().__init__(message, 400)


@dataclass(frozen=True)
class Challenge:
    id: str
    issued: int
    bits: int
    value: str


def _key(settings) -> bytes:
    return hmac.new(settings["portal.session_secret"].encode("utf-8"), KEY_LABEL, hashlib.sha256).digest()


def _sign(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def difficulty(settings) -> int:
    return max(0, min(MAX_BITS, int(settings["portal.pow.bits"])))


def issue(request, now: float | None = None, bits: int | None = None) -> str:
    """A fresh signed challenge for one rendering of a form (at the setting's difficulty unless told)."""
    settings = request.registry.settings
    issued = int(time.time() if now is None else now)
    bits = difficulty(settings) if bits is None else max(0, min(MAX_BITS, int(bits)))
    body = f"{VERSION}.{secrets.token_urlsafe(12)}.{issued}.{bits}"
    return f"{body}.{_sign(_key(settings), body)}"


def parse(request, challenge: str) -> Challenge:
    """The challenge if our signature on it verifies; PowRefused(FORGED) otherwise."""
    parts = (challenge or "").split(".")
    if len(parts) != 5 or parts[0] != VERSION or not challenge.isascii():
        raise PowRefused(FORGED)
    body = ".".join(parts[:4])
    if not hmac.compare_digest(_sign(_key(request.registry.settings), body), parts[4]):
        raise PowRefused(FORGED)
    try:
        return Challenge(id=parts[1], issued=int(parts[2]), bits=int(parts[3]), value=challenge)
    except ValueError as exc:  # signed by us, so this does not happen; refuse rather than crash
        raise PowRefused(FORGED) from exc


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


def is_solution(challenge: str, nonce: str, bits: int) -> bool:
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    return leading_zero_bits(digest) >= bits


def verify(request, value: str, now: float | None = None) -> bool:
    """Check the ``challenge:nonce`` a form sent. True: solved. False: no nonce (no JavaScript) and
    the form was open long enough; the caller applies the no-JavaScript limit. Raises PowRefused for
    a forged or tampered challenge, a wrong nonce, an expired or reused challenge, or a no-JavaScript
    submission faster than a person fills the form in."""
    settings = request.registry.settings
    now = time.time() if now is None else now
    challenge_value, _sep, nonce = (value or "").partition(":")
    challenge = parse(request, challenge_value)
    age = now - challenge.issued
    # A challenge easier than the current setting was issued before the setting was raised.
    if age > MAX_AGE_SECONDS or challenge.bits < difficulty(settings):
        raise PowRefused(EXPIRED)
    if age < -CLOCK_SKEW_SECONDS:
        raise PowRefused(FORGED)
    if nonce:
        if len(nonce) > MAX_NONCE_CHARS or not nonce.isascii() or not is_solution(
                challenge.value, nonce, challenge.bits):
            raise PowRefused(WRONG)
    elif age < float(settings["portal.pow.min_fill_seconds"]):
        raise PowRefused(TOO_FAST)
    # Remembered for as long as the challenge could still be accepted; the first use wins.
    if not request.rate_limiter.hit(f"pow:{challenge.id}", 1, MAX_AGE_SECONDS + CLOCK_SKEW_SECONDS):
        raise PowRefused(REPLAYED)
    return bool(nonce)


def payment(request, value: str, bits: int, min_wait: float, now: float | None = None) -> str | None:
    """What a form's ``challenge:nonce`` pays for a check that costs `bits` of work or `min_wait`
    seconds: "solved", "waited" (no nonce, the form open that long), or None (not enough, forged,
    expired or already used). Never raises: an unpaid check is answered by the caller."""
    now = time.time() if now is None else now
    challenge_value, _sep, nonce = (value or "").partition(":")
    try:
        challenge = parse(request, challenge_value)
    except PowRefused:
        return None
    age = now - challenge.issued
    if age > MAX_AGE_SECONDS or age < -CLOCK_SKEW_SECONDS:
        return None
    if nonce:
        if (challenge.bits < bits or len(nonce) > MAX_NONCE_CHARS or not nonce.isascii()
                or not is_solution(challenge.value, nonce, challenge.bits)):
            return None
        answer = "solved"
    elif age >= min_wait:
        answer = "waited"
    else:
        return None
    if not request.rate_limiter.hit(f"pow:{challenge.id}", 1, MAX_AGE_SECONDS + CLOCK_SKEW_SECONDS):
        return None  # each challenge pays once
    return answer


def solve(challenge: str, bits: int | None = None) -> str:
    """A nonce for the challenge, the way pow.js finds one (for tests and the bench)."""
    if bits is None:
        bits = int(challenge.split(".")[3])
    counter = 0
    while not is_solution(challenge, str(counter), bits):
        counter += 1
    return str(counter)
