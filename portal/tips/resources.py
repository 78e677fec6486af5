"""Tip contexts: a tip and its files for the officers of its unit (or above), and the tip categories
for the root unit's administrators."""
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.core.permissions import Role, scoped_acl
from portal.core.resources import load_row
from portal.media.models import Media
from portal.tips.models import Tip, TipAttachment, TipCategory
from portal.units.resources import root_unit_codes


class TipCategoriesRoot:
    """Tip categories are the same province-wide, so only administrators of the root unit manage
    them: a city's or county's administrator would change the form of every other unit."""

    def __init__(self, request):
        self.request = request
        self.__acl__ = scoped_acl(root_unit_codes(request.dbsession), roles=[Role.ADMIN])


class TipCategoryContext(TipCategoriesRoot):
    """One tip category, for the root unit's administrators."""

    def __init__(self, request):
        super().__init__(request)
        self.category = load_row(request, TipCategory, options=[selectinload(TipCategory.questions)])


class TipContext:
    """A tip: moderators and handlers of its receiving unit or a unit above it. Only the assigned
    handler works it and sees the reporter's contact (services/tip_handling.py checks that)."""

    def __init__(self, request):
        self.tip = load_row(request, Tip, options=[joinedload(Tip.unit), joinedload(Tip.category)])
        self.__acl__ = scoped_acl(self.tip.unit.ancestor_codes, roles=[Role.MODERATOR, Role.HANDLER])


class TipMediaContext:
    """A file sent with a tip: the officers who may open the tip see its re-encoded copy."""

    def __init__(self, request):
        self.media = load_row(request, Media)
        self.attachment = request.dbsession.execute(
            select(TipAttachment).where(TipAttachment.media_id == self.media.id).options(joinedload(TipAttachment.tip))
        ).scalar_one_or_none()
        if self.attachment is None:
            raise HTTPNotFound()
        self.tip = self.attachment.tip
        self.__acl__ = scoped_acl(self.tip.unit.ancestor_codes, roles=[Role.MODERATOR, Role.HANDLER])
