"""Notice contexts: a notice as the public may see it, and as staff of its unit may work it."""
from functools import cache

from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from portal.core.permissions import Role, scoped_acl
from portal.core.resources import id_from_matchdict, load_row
from portal.notices import public_reading
from portal.notices.models import Notice


@cache
def public_notice_statement():
    """One query for the notice, its unit, its person and its photos (a few rows: one per photo),
    built once per process (not at import: the mappers are configured once every model is known):
    making the statement and its options costs about as much as running it."""
    return (select(Notice).where(Notice.id == bindparam("id"))
            .options(joinedload(Notice.media), joinedload(Notice.missing_person)))


class _ShownToThePublic:
    """What the public may see of a notice: anything not published does not exist for them, except a
    closed missing-person appeal, which stays reachable as a neutral "closed" page (people follow old
    links and posters) with nothing of the person on it. One rule for both ways of reading it."""

    __acl__ = []

    def _show(self, notice) -> None:
        if notice is None:
            raise HTTPNotFound()
        self.closed = notice.kind == "missing_person" and notice.state == "resolved"
        if not (notice.is_public or self.closed):
            raise HTTPNotFound()
        self.notice = notice


class PublicNoticeContext(_ShownToThePublic):
    """A notice as the public may see it, as an ORM object (a sighting is stored against it)."""

    def __init__(self, request):
        self._show(request.dbsession.execute(
            public_notice_statement(), {"id": id_from_matchdict(request)}).unique().scalar_one_or_none())


class NoticePageContext(_ShownToThePublic):
    """PublicNoticeContext for the answers that only show the notice (its page, poster and API
    detail), read with Core into plain records (public_reading.py) instead of ORM objects."""

    def __init__(self, request):
        self._show(public_reading.public_notice(request.dbsession, id_from_matchdict(request)))


class CapNoticeContext:
    """A notice as its CAP message shows it: also after it left the public site (its Cancel, which
    carries nothing of it). Which notices have a message at all is the view's (cap.message)."""

    __acl__ = []

    def __init__(self, request):
        self.notice = load_row(request, Notice, options=[joinedload(Notice.missing_person)])


class StaffNoticeContext:
    """A notice as staff see it: moderators of its unit or a unit above it may work on it."""

    def __init__(self, request):
        self.notice = load_row(request, Notice, options=[selectinload(Notice.media)])
        self.__acl__ = scoped_acl(self.notice.unit.ancestor_codes, roles=[Role.MODERATOR])
