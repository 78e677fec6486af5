"""Staff sign-in: passwords, lockout, second factor. Every outcome is audited."""
import enum
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from portal.accounts import totp
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
    LOCKED = "locked"


@dataclass
class SignInResult:
    outcome: Outcome
    officer: Officer | None = None
    locked_minutes: int = 0


def _settings(request):
    s = request.registry.settings
    return int(s["portal.login.max_failures"]), int(s["portal.login.lockout_minutes"])


def find_officer(dbsession, username: str) -> Officer | None:
    return dbsession.execute(
        select(Officer).where(func.lower(Officer.username) == username.strip().lower())
    ).scalar_one_or_none()


def _minutes_left(officer) -> int:
    return max(1, int((officer.locked_until - utcnow()).total_seconds() // 60) + 1)


def check_password(request, username: str, password: str) -> SignInResult:
    """First step: the password. Failures count toward a lockout."""
    max_failures, lockout_minutes = _settings(request)
    officer = find_officer(request.dbsession, username)
    ok = verify_password(officer.password_hash if officer else None, password)
    if officer is None or not officer.active:
        audit.record(request, "signin.failed", officer=None, actor=f"unknown:{username[:60]}",
                     reason="unknown or inactive user")
        return SignInResult(Outcome.BAD_CREDENTIALS)
    if officer.is_locked():
        audit.record(request, "signin.refused-locked", officer=officer, object_type="officer",
                     object_id=officer.id)
        return SignInResult(Outcome.LOCKED, officer, _minutes_left(officer))
    if not ok:
        return _count_failure(request, officer, max_failures, lockout_minutes)
    if needs_rehash(officer.password_hash):
        officer.password_hash = hash_password(password)
    if officer.totp_enabled:
        return SignInResult(Outcome.NEEDS_TOTP, officer)
    if requires_totp(officer.roles):
        return SignInResult(Outcome.NEEDS_ENROLMENT, officer)
    return complete(request, officer)


def check_totp(request, officer: Officer, code: str) -> SignInResult:
    """Second step: the one-time code; wrong codes count toward the same lockout."""
    max_failures, lockout_minutes = _settings(request)
    if officer.is_locked():
        return SignInResult(Outcome.LOCKED, officer, _minutes_left(officer))
    secret = request.registry["field_cipher"].decrypt(officer.totp_secret, "officer.totp")
    step = totp.accepted_step(secret, code, officer.totp_last_step)
    if step is None:
        return _count_failure(request, officer, max_failures, lockout_minutes, what="code")
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
    audit.record(request, "signin", officer=officer, object_type="officer", object_id=officer.id)
    return SignInResult(Outcome.SIGNED_IN, officer)


def _count_failure(request, officer, max_failures, lockout_minutes, what="password"):
    officer.failed_logins = (officer.failed_logins or 0) + 1
    audit.record(request, "signin.failed", officer=officer, object_type="officer",
                 object_id=officer.id, reason=f"wrong {what} ({officer.failed_logins})")
    if officer.failed_logins >= max_failures:
        officer.locked_until = utcnow() + timedelta(minutes=lockout_minutes)
        officer.failed_logins = 0
        audit.record(request, "officer.locked", officer=officer, object_type="officer",
                     object_id=officer.id, reason=f"{max_failures} failed attempts")
        return SignInResult(Outcome.LOCKED, officer, lockout_minutes)
    return SignInResult(Outcome.BAD_CREDENTIALS, officer)

