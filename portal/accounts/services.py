"""Creating and changing officers; every admin change is audited (never the password itself)."""
from portal.accounts import throttle
from portal.accounts.models import Officer
from portal.accounts.passwords import MIN_LENGTH, hash_password, verify_password
from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.refused import Refused


def check_password_strength(password: str, username: str, field: str = "password") -> None:
    """Refuse a password that is too short or holds the username, at the form's `field`."""
    if len(password) < MIN_LENGTH:
        raise Refused(_("The password needs at least ${n} characters.", mapping={"n": MIN_LENGTH}), 400, field)
    if username and username.lower() in password.lower():
        raise Refused(_("The password must not contain the username."), 400, field)


def create(dbsession, *, username, password, unit, roles, display_name="", request=None) -> Officer:
    check_password_strength(password, username)
    officer = Officer(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        unit=unit,
        active=True,
    )
    officer.set_roles(roles)
    dbsession.add(officer)
    dbsession.flush()
    if request is not None:
        audit.record(request, "officer.created", object_type="officer", object_id=officer.id,
                     reason=f"unit {unit.code}; roles {', '.join(sorted(officer.roles)) or '-'}")
    else:
        audit.append(dbsession, "officer.created", actor="system", object_type="officer",
                     object_id=officer.id,
                     reason=f"unit {unit.code}; roles {', '.join(sorted(officer.roles)) or '-'}")
    return officer


def update(request, officer: Officer, *, display_name, unit, roles, active, new_password=None,
           reset_totp=False, unlock=False) -> list[str]:
    if new_password:  # refused before anything changes
        check_password_strength(new_password, officer.username, "new_password")
    changes = []
    if display_name != officer.display_name:
        officer.display_name = display_name
        changes.append("display name")
    if unit.id != officer.unit_id:
        changes.append(f"unit {officer.unit.code} -> {unit.code}")
        officer.unit = unit
    if set(roles) != officer.roles:
        changes.append(f"roles {','.join(sorted(officer.roles)) or '-'} -> {','.join(sorted(roles)) or '-'}")
        officer.set_roles(roles)
    if active != officer.active:
        officer.active = active
        changes.append("activated" if active else "deactivated")
        if not active:
            officer.end_all_sessions()
    if new_password:
        officer.password_hash = hash_password(new_password)
        officer.end_all_sessions()
        changes.append("password reset")
    if reset_totp and officer.totp_enabled:
        officer.totp_enabled = False
        officer.totp_secret = None
        officer.totp_last_step = None
        officer.end_all_sessions()
        changes.append("two-step sign-in reset")
    if unlock and (officer.locked_until is not None or officer.failed_logins
                   or throttle.account_wait(request, officer.username)):
        officer.locked_until = None
        officer.failed_logins = 0
        throttle.unlock(request, officer.username)
        changes.append("unlocked")
    if changes:
        audit.record(request, "officer.changed", object_type="officer", object_id=officer.id,
                     reason="; ".join(changes))
    return changes


def change_own_password(request, officer: Officer, current: str, new: str) -> None:
    """The officer's own new password, given the current one. Every session of the officer ends
    (the caller signs this one in again); a wrong current password counts as a failed sign-in."""
    throttle.check_account(request, officer.username)
    if not verify_password(officer.password_hash, current):
        throttle.failed(request, officer.username)
        audit.record(request, "signin.failed", object_type="officer", object_id=officer.id,
                     reason="wrong current password on a password change")
        raise Refused(_("The current password is not right."), 400, "current_password")
    check_password_strength(new, officer.username, "new_password")
    officer.password_hash = hash_password(new)
    officer.end_all_sessions()
    audit.record(request, "officer.password-changed", object_type="officer", object_id=officer.id)


def username_taken(dbsession, username: str) -> bool:
    from sqlalchemy import func, select

    return dbsession.execute(
        select(Officer.id).where(func.lower(Officer.username) == username.lower())
    ).first() is not None
