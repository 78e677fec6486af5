from pyramid.authorization import ACLHelper

from portal.accounts.policy import effective_principals, permissions_of, requires_totp
from portal.core.permissions import ROLE_PERMISSIONS, Permission, Role, scoped_acl, unit_principal


class FakeUnit:
    code = "990100"


class FakeOfficer:
    id = 3
    unit = FakeUnit()

    def __init__(self, roles):
        self.roles = set(roles)


class Context:
    def __init__(self, acl):
        self.__acl__ = acl


def permits(officer, acl, permission):
    return bool(ACLHelper().permits(Context(acl), effective_principals(officer), permission))


def test_unit_scope_reaches_down_not_up_or_sideways():
    county_of_city_a = scoped_acl(["990000", "990100", "990101"])
    province_object = scoped_acl(["990000"])
    city_b_object = scoped_acl(["990000", "990200"])
    moderator = FakeOfficer(["moderator"])
    assert permits(moderator, county_of_city_a, Permission.MODERATE)
    assert not permits(moderator, province_object, Permission.MODERATE)
    assert not permits(moderator, city_b_object, Permission.MODERATE)
    assert not permits(moderator, county_of_city_a, Permission.HANDLE)  # wrong role
    assert not permits(None, county_of_city_a, Permission.MODERATE)


def test_every_role_has_staff_and_only_admins_manage():
    for role, granted in ROLE_PERMISSIONS.items():
        assert Permission.STAFF in granted
        assert (Permission.MANAGE_OFFICERS in granted) == (role is Role.ADMIN)
    assert permissions_of(["moderator", "handler"]) == {"staff", "moderate", "handle", "work-tips", "view-stats",
                                                        "view-queue-stats"}
    # Every officer reads the queue statistics of their scope; only tip workers and admins the tips'.
    assert all(Permission.VIEW_QUEUE_STATS in granted for granted in ROLE_PERMISSIONS.values())
    assert Permission.VIEW_STATS not in ROLE_PERMISSIONS[Role.DISPATCHER]
    strict, demo = {"portal.totp.required_for": "reveal"}, {"portal.totp.required_for": "admin"}
    assert requires_totp(demo, ["admin"]) and not requires_totp(demo, ["moderator", "dispatcher"])
    for role in ("admin", "moderator", "handler", "dispatcher"):
        assert requires_totp(strict, [role])
    assert requires_totp({}, ["handler"])  # strict unless relaxed
    assert unit_principal("990100", "admin") in effective_principals(FakeOfficer(["admin"]))
