"""Pyramid 2 security policy: the session names the officer, the officer's roles in their unit
become principals, and context ACLs decide."""
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.request import RequestLocalCache
from sqlalchemy import select

from portal.accounts.models import Officer
from portal.core.permissions import ROLE_PERMISSIONS, TOTP_REQUIRED_ROLES, Role, unit_principal

SESSION_KEY = "officer_id"


class PortalSecurityPolicy:
    def __init__(self):
        self.helper = ACLHelper()
        # Pyramid asks for the identity at every permission check (a staff page makes a dozen: the
        # navigation alone); it is read once per request and session state (sign-in, sign-out,
        # a changed second factor) and kept for the rest of the request.
        self._identities = RequestLocalCache()

    def identity(self, request):
        key = (request.session.get(SESSION_KEY), request.session.get("auth_epoch"))
        cached = self._identities.get(request)
        if cached is self._identities.NO_VALUE or cached[0] != key:
            cached = (key, self._load_identity(request))
            self._identities.set(request, cached)
        return cached[1]

    def _load_identity(self, request):
        officer_id = request.session.get(SESSION_KEY)
        if officer_id is None:
            return None
        officer = request.dbsession.execute(
            select(Officer).where(Officer.id == officer_id)
        ).scalar_one_or_none()
        # A deactivated officer loses a running session at the next request. A slowed-down sign-in
        # does not: failed guesses from elsewhere must not end the officer's work.
        if officer is None or not officer.active:
            return None
        if request.session.get("auth_epoch") != auth_epoch(officer):
            return None
        # A role that needs a second factor and none set up (a role just granted, a stricter setting):
        # not signed in; the next sign-in sets it up before anything else.
        if not officer.totp_enabled and requires_totp(request.registry.settings, officer.roles):
            return None
        return officer

    def authenticated_userid(self, request):
        officer = request.identity
        return None if officer is None else officer.id

    def permits(self, request, context, permission):
        return self.helper.permits(context, effective_principals(request.identity), permission)

    def remember(self, request, officer, **kw):
        request.session.invalidate()  # a new session on sign-in: no fixation
        request.session[SESSION_KEY] = officer.id
        request.session["auth_epoch"] = auth_epoch(officer)
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
        return []


def auth_epoch(officer) -> str:
    """What a session must still match to stay signed in: the officer's session generation (counted
    up by signing out, a new password, deactivation), the password and the second factor. Any
    change ends every session signed in before it, on the server: a kept cookie is worth nothing."""
    return f"{officer.session_generation or 0}:{officer.password_hash[-16:]}:{int(officer.totp_enabled)}"


def effective_principals(officer) -> list[str]:
    principals = [Everyone]
    if officer is None:
        return principals
    principals += [Authenticated, f"officer:{officer.id}"]
    for role in sorted(officer.roles):
        principals.append(f"role:{role}")
        principals.append(unit_principal(officer.unit.code, role))
    return principals


def requires_totp(settings, roles) -> bool:
    """Whether holders of these roles must sign in with a second factor (portal.totp.required_for)."""
    required = TOTP_REQUIRED_ROLES[str(settings.get("portal.totp.required_for", "reveal")).strip()]
    return bool(set(roles) & {str(r) for r in required})


def permissions_of(roles) -> set[str]:
    granted = set()
    for role in roles:
        granted |= {str(p) for p in ROLE_PERMISSIONS.get(Role(role), ())}
    return granted
