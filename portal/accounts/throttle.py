"""Sign-in throttling by address and by username, counted in the rate limiter (memory or Redis) and
never in the officer's row, so a username that does not exist is throttled exactly like one that does.

- Each failed attempt (a wrong password or one-time code) counts for its address and for the
  username typed.
- An address with `portal.login.address_failures_per_hour` failures in the last hour is refused
  for the rest of that hour, whatever username it tries next: that stops a password sprayer.
- A username with `portal.login.max_failures` failures in the last hour waits
  `portal.login.backoff_seconds` after its newest failure, twice as long for each further failure,
  never longer than `portal.login.lockout_minutes`. The wait holds for addresses with failures of
  their own in the last hour; an address with none (the officer at their desk while someone
  elsewhere guesses their password) may still try, so no attack from elsewhere keeps an officer
  out, and one from the officer's own address keeps them out for a bounded time only.
"""
import math

from portal.abuse.ratelimit import RateLimited, minutes
from portal.core.i18n import _

WINDOW_SECONDS = 3600  # failures older than this are forgotten
RECORD_LIMIT = 1000  # failures are counted with a limit above anything read back
MAX_DOUBLINGS = 20

LOCKED = _("This account is locked after too many failed attempts. Try again in ${m} minutes "
           "or ask an administrator to unlock it.")
ADDRESS_LIMITED = _("Too many failed sign-ins from this address. Try again in ${m} minutes.")


def account_key(username: str) -> str:
    return f"login-failures:user:{(username or '').strip().lower()[:64]}"


def _address_key(request) -> str:
    return f"login-failures:address:{request.client_addr}"


def _setting(request, name) -> int:
    return int(request.registry.settings[f"portal.login.{name}"])


def check_address(request) -> None:
    """Refuse an address that failed too often in the last hour (before anything is read)."""
    limiter, key = request.rate_limiter, _address_key(request)
    count, _age = limiter.recent(key, WINDOW_SECONDS)
    if count >= _setting(request, "address_failures_per_hour"):
        wait = min(limiter.retry_after(key, WINDOW_SECONDS), WINDOW_SECONDS)
        raise RateLimited(wait, _(ADDRESS_LIMITED, mapping={"m": minutes(wait)}))


def account_wait(request, username: str) -> int:
    """Seconds this username must still wait, for an address that has failed lately."""
    count, age = request.rate_limiter.recent(account_key(username), WINDOW_SECONDS)
    over = count - _setting(request, "max_failures")
    if over < 0:
        return 0
    wait = min(_setting(request, "backoff_seconds") * 2 ** min(over, MAX_DOUBLINGS),
               _setting(request, "lockout_minutes") * 60)
    return max(0, math.ceil(wait - (age or 0)))


def check_account(request, username: str) -> None:
    """Refuse an attempt on a username that is waiting, unless this address has no failures lately."""
    wait = account_wait(request, username)
    if wait and request.rate_limiter.recent(_address_key(request), WINDOW_SECONDS)[0]:
        raise RateLimited(wait, _(LOCKED, mapping={"m": minutes(wait)}))


def failed(request, username: str) -> int:
    """Count one failure for the address and the username; the username's wait from now on."""
    request.rate_limiter.hit(_address_key(request), RECORD_LIMIT, WINDOW_SECONDS)
    request.rate_limiter.hit(account_key(username), RECORD_LIMIT, WINDOW_SECONDS)
    return account_wait(request, username)


def succeeded(request, username: str) -> None:
    """A complete sign-in (password and second factor) clears the username's failures."""
    request.rate_limiter.reset(account_key(username))


def unlock(request, username: str) -> None:
    request.rate_limiter.reset(account_key(username))
