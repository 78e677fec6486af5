"""Contexts of families' missing-person requests and their photos, for the dispatchers who verify them."""
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select

from portal.core.permissions import Role, scoped_acl
from portal.core.resources import load_row
from portal.media.models import Media
from portal.missing.models import MissingPersonRequest


class MissingRequestContext:
    """A family's request: dispatchers of its command center (or a center above it) verify it."""

    def __init__(self, request):
        self.missing_request = load_row(request, MissingPersonRequest)
        self.__acl__ = scoped_acl(self.missing_request.command_unit.ancestor_codes, roles=[Role.DISPATCHER])


class MissingPhotoContext:
    """A photo of a family's request: its public copy is shown to the dispatchers who verify the
    request, also before publication (the original stays evidence, never served)."""

    def __init__(self, request):
        self.media = load_row(request, Media)
        self.missing_request = request.dbsession.execute(
            select(MissingPersonRequest).where(MissingPersonRequest.notice_id == self.media.notice_id)
        ).scalar_one_or_none() if self.media.notice_id is not None else None
        if self.missing_request is None:
            raise HTTPNotFound()
        self.__acl__ = scoped_acl(self.missing_request.command_unit.ancestor_codes, roles=[Role.DISPATCHER])
