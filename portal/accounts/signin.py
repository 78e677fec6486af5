"""Staff sign-in: passwords, throttling (throttle.py), second factor. Every outcome is audited.

An unknown or inactive username takes the same path as a wrong password: the password is hashed
all the same, the same failure is counted and the same answer given, so no answer tells which
usernames exist."""
import enum
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from portal.accounts import throttle, totp
from portal.accounts.models import Officer
from portal.accounts.passwords import hash_password, needs_rehash, verify_password
from portal.accounts.policy import requires_totp
from portal.audit import chain as audit
from portal.core.meta import utcnow


class Outcome(enum.Enum):
    SIGNED_IN = "signed-in"
    NEEDS_TOTP = "needs-totp"
    NEEDS_ENROLMENT = "needs-enrolment"
    BAD_CREDENTIALS = "bad-credentials"


@dataclass
class SignInResult:
    outcome: Outcome
    officer: Officer | None = None


def find_officer(dbsession, username: str) -> Officer | None:
    return dbsession.execute(
        select(Officer).where(func.lower(Officer.username) == username.strip().lower())
    ).scalar_one_or_none()


def check_password(request, username: str, password: str) -> SignInResult:
    """First step: the password. Raises RateLimited while the username must wait (throttle.py)."""
    throttle.check_account(request, username)
    officer = find_officer(request.dbsession, username)
    ok = verify_password(officer.password_hash if officer else None, password)
    if officer is None or not officer.active:
        throttle.failed(request, username)
        audit.record(request, "signin.failed", officer=None, actor=f"unknown:{username[:60]}",
                     reason="unknown or inactive user")
        return SignInResult(Outcome.BAD_CREDENTIALS)
    if not ok:
        return _count_failure(request, officer)
    if needs_rehash(officer.password_hash):
        officer.password_hash = hash_password(password)
    if officer.totp_enabled:
        return SignInResult(Outcome.NEEDS_TOTP, officer)
    if requires_totp(request.registry.settings, officer.roles):
        return SignInResult(Outcome.NEEDS_ENROLMENT, officer)
    return complete(request, officer)


def check_totp(request, officer: Officer, code: str) -> SignInResult:
    """Second step: the one-time code; wrong codes count like wrong passwords."""
    throttle.check_account(request, officer.username)
    secret = request.registry["field_cipher"].decrypt(officer.totp_secret, "officer.totp")
    step = totp.accepted_step(secret, code, officer.totp_last_step)
    if step is None:
        return _count_failure(request, officer, what="code")
    officer.totp_last_step = step
    return complete(request, officer)


def enrol_totp(request, officer: Officer, secret: str, code: str) -> bool:
    """Turn on the second factor once the officer proves their app produces the right codes."""
    step = totp.accepted_step(secret, code, None)
    if step is None:
        return False
    officer.totp_secret = request.registry["field_cipher"].encrypt(secret, "officer.totp")
    officer.totp_enabled = True
    officer.totp_last_step = step
    audit.record(request, "totp.enrolled", officer=officer, object_type="officer", object_id=officer.id)
    return True


def complete(request, officer: Officer) -> SignInResult:
    officer.failed_logins = 0
    officer.locked_until = None
    officer.last_login_at = utcnow()
    throttle.succeeded(request, officer.username)
    audit.record(request, "signin", officer=officer, object_type="officer", object_id=officer.id)
    return SignInResult(Outcome.SIGNED_IN, officer)


def _count_failure(request, officer, what="password"):
    officer.failed_logins = (officer.failed_logins or 0) + 1
    audit.record(request, "signin.failed", officer=officer, object_type="officer",
                 object_id=officer.id, reason=f"wrong {what} ({officer.failed_logins})")
    wait = throttle.failed(request, officer.username)
    if wait:  # shown to administrators (officer list, dashboard); the limiter decides, not this
        was_locked = officer.is_locked()
        officer.locked_until = utcnow() + timedelta(seconds=wait)
        if not was_locked:
            audit.record(request, "officer.locked", officer=officer, object_type="officer",
                         object_id=officer.id, reason=f"sign-in slowed down for {wait} s")
    return SignInResult(Outcome.BAD_CREDENTIALS, officer)
