"""Officers: sign-in with lockout and a second factor, roles in a unit, the security policy, and the
administrators' officer pages."""
from portal.accounts.policy import PortalSecurityPolicy
from portal.accounts.resources import OfficerContext
from portal.core.resources import StaffRoot


def includeme(config):
    config.set_security_policy(PortalSecurityPolicy())
    config.add_route("login", "/login")
    config.add_route("login_totp", "/login/totp")
    config.add_route("login_enrol", "/login/enrol")
    config.add_route("logout", "/logout")
    config.add_route("staff_account_totp", "/staff/account/totp", factory=StaffRoot)
    config.add_route("staff_account_password", "/staff/account/password", factory=StaffRoot)
    config.add_route("staff_officers", "/staff/officers", factory=StaffRoot)
    config.add_route("staff_officer_new", "/staff/officers/new", factory=StaffRoot)
    config.add_route("staff_officer", r"/staff/officers/{id:\d+}", factory=OfficerContext)
    config.scan(".views")
