"""Every permission and which role holds it, declared once."""
import enum


class Permission(enum.StrEnum):
    STAFF = "staff"  # any signed-in officer: dashboard, own account
    MODERATE = "moderate"  # review public content in the unit's queues
    HANDLE = "handle"  # work assigned tips, see protected reporter contact
    WORK_TIPS = "work-tips"  # open the unit's tip queue and its tips (moderators and handlers)
    DISPATCH = "dispatch"  # take alarms, verify missing-person requests
    MANAGE_UNITS = "manage-units"
    MANAGE_OFFICERS = "manage-officers"
    VIEW_AUDIT = "view-audit"
    MANAGE_CATEGORIES = "manage-categories"  # tip categories and their questions
    VIEW_STATS = "view-stats"  # tip statistics of the officer's unit and the units below it
    # Statistics of notices, families' requests, sightings and alarms, of the same scope: counts and
    # durations only, which every officer's work needs (dispatchers' alarms and requests too).
    VIEW_QUEUE_STATS = "view-queue-stats"


class Role(enum.StrEnum):
    MODERATOR = "moderator"
    HANDLER = "handler"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.MODERATOR: frozenset({Permission.STAFF, Permission.MODERATE, Permission.WORK_TIPS, Permission.VIEW_STATS,
                               Permission.VIEW_QUEUE_STATS}),
    Role.HANDLER: frozenset({Permission.STAFF, Permission.HANDLE, Permission.WORK_TIPS, Permission.VIEW_STATS,
                             Permission.VIEW_QUEUE_STATS}),
    Role.DISPATCHER: frozenset({Permission.STAFF, Permission.DISPATCH, Permission.VIEW_QUEUE_STATS}),
    Role.ADMIN: frozenset(
        {
            Permission.STAFF,
            Permission.MANAGE_UNITS,
            Permission.MANAGE_OFFICERS,
            Permission.VIEW_AUDIT,
            Permission.MANAGE_CATEGORIES,
            Permission.VIEW_STATS,
            Permission.VIEW_QUEUE_STATS,
        }
    ),
}

# Permissions whose holders may see protected fields (contacts) with a reason: sightings (moderate),
# tips (handle), alarms and families' requests (dispatch).
REVEAL_PERMISSIONS = frozenset({Permission.MODERATE, Permission.HANDLE, Permission.DISPATCH})

# Roles whose holders must sign in with a second factor, by `portal.totp.required_for`: "reveal"
# (the default, required in production) is every role that can reveal protected fields and the
# administrators; "admin" (a local demo only) is the administrators alone.
TOTP_REQUIRED_ROLES = {
    "reveal": frozenset({Role.ADMIN} | {role for role, granted in ROLE_PERMISSIONS.items()
                                        if granted & REVEAL_PERMISSIONS}),
    "admin": frozenset({Role.ADMIN}),
}


def unit_principal(unit_code: str, role: str) -> str:
    """The principal an officer holds for a role in their unit."""
    return f"unit:{unit_code}:{role}"


def scoped_acl(unit_ancestor_codes, roles=tuple(Role)):
    """ACL for an object owned by a unit: officers of that unit or any unit above it get the
    permissions of their roles. This is the whole of unit scope."""
    acl = []
    for code in unit_ancestor_codes:
        for role in roles:
            for permission in sorted(ROLE_PERMISSIONS[Role(role)]):
                acl.append(("Allow", unit_principal(code, role), str(permission)))
    return acl
