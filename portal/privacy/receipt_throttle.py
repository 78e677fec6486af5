"""How /status slows down guessing without shutting out a campus or a mobile carrier's shared address.

A flat "20 look-ups per hour per address" refuses every family behind one carrier address once a few
of them mistype. Instead, only WRONG codes count, per address and per code prefix (the first four
digits), and past a free allowance each one doubles a wait (`first_delay` .. `max_delay` seconds).
While a wait is due, a code is only checked once it has been paid for, in one of two ways:

- work: the form's proof of work (static/js/pow.js) at a difficulty that takes a phone about the wait
  (`hashes_per_second`); work cannot be shared between guesses, each challenge is used once;
- time: without JavaScript, the form must have been open for the wait. Waiting costs nothing, so only
  one such check per address is let through per wait (a slot): sending many forms at once gains nothing.

A right code is never refused for being right: it is checked as soon as its wait is paid, it adds
nothing to anyone's count, and once opened the browser's session remembers it (a keyed tag, never the
code), so the reporter's answers and later look-ups from that session skip the wait altogether. A
wrong code and a paid-for check look the same to a guesser whatever the count."""
import hashlib
import hmac
import math

from portal.abuse import pow as pow_service
from portal.core.i18n import _
from portal.core.refused import Refused

WINDOW_SECONDS = 3600  # wrong codes older than this are forgotten
PREFIX_DIGITS = 4
OPENED_SESSION_KEY = "receipts_opened"
MAX_OPENED = 8  # codes one browser session remembers as opened
TAG_LABEL = b"portal.receipt.opened-tag.v1"

SLOWED = _("Several wrong receipt codes were tried recently from your connection or for codes like yours. To "
           "protect everyone's codes, checks are slowed down for a while: wait ${seconds} seconds and press the "
           "button again. With JavaScript on, the page prepares the check by itself and the button is ready when "
           "it is done. Your code is kept below.")


class Slowed(Refused):
    """A 429: a check asked for before its wait was paid. The code was not looked at."""

    def __init__(self, seconds: int):
        seconds = max(1, int(math.ceil(seconds)))
        super().__init__(_(SLOWED, mapping={"seconds": seconds}), 429)
        self.retry_after = seconds


def _setting(request, name: str) -> float:
    return float(request.registry.settings[f"portal.receipt.{name}"])


def prefix_of(code: str | None) -> str | None:
    """The prefix a well-formed, normalized code is counted under; None for anything else."""
    return code[:PREFIX_DIGITS] if code else None


def _keys(request, prefix: str | None) -> list[tuple[str, int]]:
    keys = [(f"receipt-wrong:addr:{request.client_addr}", int(_setting(request, "free_wrong_per_address")))]
    if prefix is not None:
        keys.append((f"receipt-wrong:prefix:{prefix}", int(_setting(request, "free_wrong_per_prefix"))))
    return keys


def delay_after(wrong: int, free: int, first: float, most: float) -> float:
    """The wait owed after `wrong` wrong codes of which `free` cost nothing: first, 2x first, 4x... up to most."""
    if wrong < free:
        return 0.0
    return min(most, first * 2 ** min(wrong - free, 32))


def wait_due(request, prefix: str | None) -> float:
    """Seconds still owed before a code can be checked: the largest of the address's and the prefix's
    waits, each counted from that key's latest wrong code."""
    first, most = _setting(request, "first_delay_seconds"), _setting(request, "max_delay_seconds")
    due = 0.0
    for key, free in _keys(request, prefix):
        wrong, since_last = request.rate_limiter.recent(key, WINDOW_SECONDS)
        if wrong:
            due = max(due, delay_after(wrong, free, first, most) - (since_last or 0.0))
    return max(0.0, due)


def bits_for(request, seconds: float) -> int:
    """The proof-of-work difficulty that takes a phone about `seconds` (0: none)."""
    if seconds <= 0:
        return 0
    return max(1, min(pow_service.MAX_BITS, round(math.log2(seconds * _setting(request, "hashes_per_second")))))


def paid(request, proof: str | None, seconds: float) -> bool:
    """Whether `proof` (the form's ``challenge:nonce``) pays a wait of `seconds`: solved at the matching
    difficulty, or (no JavaScript) open that long and the address's single slot for this wait is free."""
    work = pow_service.payment(request, proof or "", bits_for(request, seconds), seconds)
    if work == "solved":
        return True
    if work == "waited":
        slot = f"receipt-slot:{request.client_addr}"
        return request.rate_limiter.hit(slot, 1, max(1.0, seconds))
    return False


def record_wrong(request, prefix: str | None) -> None:
    for key, _free in _keys(request, prefix):
        request.rate_limiter.hit(key, 10_000, WINDOW_SECONDS)  # a count, not a limit


def _tag(request, code_hash: str) -> str:
    key = hmac.new(request.registry.settings["portal.session_secret"].encode(), TAG_LABEL, hashlib.sha256).digest()
    return hmac.new(key, code_hash.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def was_opened(request, code_hash: str) -> bool:
    session = getattr(request, "session", None)
    return session is not None and _tag(request, code_hash) in session.get(OPENED_SESSION_KEY, ())


def remember_opened(request, code_hash: str) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    tag = _tag(request, code_hash)
    opened = [t for t in session.get(OPENED_SESSION_KEY, ()) if t != tag]
    session[OPENED_SESSION_KEY] = (opened + [tag])[-MAX_OPENED:]
