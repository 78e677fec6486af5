"""Context factories every domain builds on: the public and staff roots, a row by the id in the URL,
and the context the staff navigation asks about a permission. Each domain's resources.py holds the
contexts of its own rows (with their ACLs); each domain's includeme registers its routes."""
from pyramid.authorization import Allow, Authenticated
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select

from portal.core.ids import record_id
from portal.core.permissions import ROLE_PERMISSIONS, Permission


class PublicRoot:
    __acl__ = []

    def __init__(self, request):
        self.request = request


class StaffRoot:
    """Staff pages that are not about one object: their role decides, lists are unit-scoped in
    the query."""

    # Not tip categories: those are for the root unit's administrators only (tips/resources.py).
    __acl__ = [(Allow, f"role:{role}", str(p)) for role, ps in ROLE_PERMISSIONS.items() for p in ps
               if p != Permission.MANAGE_CATEGORIES]
    __acl__.append((Allow, Authenticated, "account"))

    def __init__(self, request):
        self.request = request


def id_from_matchdict(request) -> int:
    row_id = record_id(request.matchdict.get("id", ""))
    if row_id is None:  # also "٣": \d in a route pattern matches any script's digits
        raise HTTPNotFound()
    return row_id


def load_row(request, model, options=()):
    """The row of `model` whose id is in the URL, or 404."""
    row = request.dbsession.execute(
        select(model).where(model.id == id_from_matchdict(request)).options(*options)
    ).unique().scalar_one_or_none()  # unique(): a joined collection repeats the row
    if row is None:
        raise HTTPNotFound()
    return row


def navigation_context(request, permission):
    """The context the staff navigation asks about a permission: StaffRoot (the role decides),
    unless a domain registered its own root for that permission (add_navigation_context)."""
    factory = request.registry.get("navigation_contexts", {}).get(permission, StaffRoot)
    return factory(request)


def add_navigation_context(config, permission, factory):
    """A domain whose pages sit under another root than StaffRoot says so here (tip categories)."""
    config.registry.setdefault("navigation_contexts", {})[permission] = factory


def includeme(config):
    config.add_directive("add_navigation_context", add_navigation_context)
