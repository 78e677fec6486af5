"""Pre-rendered public notice pages (the HTML page per language, the API answer per language), kept
per notice so that a notice opened for the first time in a while costs one row read, not a render.
services/notice_pages.py renders, stores and serves them.

Exactness rests on a stamp per notice, not on deleting rows alone. A page is stored with the stamp
its renderer read *before* it read the notice; any change to what the page shows bumps the stamp
(and deletes the rows) in the changing transaction; a row is served only while its stamp is the
notice's current one. So a render that raced with a change (read the old notice, stored after the
change committed) leaves a row that is never served. A notice without a stamp row has stamp 0.

Kept in step by an after-flush hook, like the search index: any ORM change to a notice, its
missing-person details, its photos (including a photo moved off it) or its unit (names and
phones appear on the page) bumps the notices concerned. Writes that bypass the ORM must call
`bump` themselves."""
from datetime import datetime
from itertools import chain

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, delete, event, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, attributes, mapped_column

from portal.core.meta import Base, UTCDateTime, utcnow
from portal.media.models import Media
from portal.notices.models import MissingPersonDetails, Notice
from portal.units.models import Unit


class NoticePage(Base):
    __tablename__ = "notice_pages"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True,
                                           autoincrement=False)
    # What and for whom: "html:zh_CN", "api:en", ...
    variant: Mapped[str] = mapped_column(String(24), primary_key=True)
    # The code, templates, catalogs and settings it was rendered with (services/notice_pages.code_version):
    # a deploy that changes any of them never serves rows of the old one.
    code_version: Mapped[str] = mapped_column(String(16))
    stamp: Mapped[int] = mapped_column(Integer)
    # zlib-compressed: the headers the application gave the page but its length (a JSON list of
    # [name, value]), a newline, the body rendered for a placeholder origin that is replaced by the
    # request's at serve time. About 2.5 KB for a page, 0.8 KB for an API answer (a third of their size).
    content: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(32))
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NoticePageStamp(Base):
    __tablename__ = "notice_page_stamps"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True,
                                           autoincrement=False)
    stamp: Mapped[int] = mapped_column(Integer)


def _bump_stamps(connection, notices) -> None:
    """Stamp + 1 for each notice `notices` (a select of notice ids) names; notices gone are skipped."""
    module = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = module.insert(NoticePageStamp).from_select(["notice_id", "stamp"], notices.add_columns(literal(1)))
    connection.execute(statement.on_conflict_do_update(
        index_elements=["notice_id"], set_={"stamp": NoticePageStamp.stamp + 1}))
    connection.execute(delete(NoticePage).where(NoticePage.notice_id.in_(notices)))


def bump(connection, notice_ids=(), unit_ids=()) -> None:
    """Make every stored page of these notices (and of the published notices of these units) stale,
    and delete them. Call in the transaction of the change."""
    ids = sorted(set(notice_ids))
    if ids:
        _bump_stamps(connection, select(Notice.id).where(Notice.id.in_(ids)))
    units = sorted(set(unit_ids))
    if units:
        # Only published notices can have pages served; others are bumped when they are published.
        _bump_stamps(connection, select(Notice.id).where(
            Notice.state == "published", or_(Notice.unit_id.in_(units), Notice.verified_by_unit_id.in_(units))))


def _changed(session, obj) -> bool:
    return obj in session.new or obj in session.deleted or session.is_modified(obj, include_collections=False)


def _changed_ids(session) -> tuple[set[int], set[int]]:
    notice_ids, unit_ids = set(), set()
    fresh = {obj.__dict__.get("id") for obj in session.new if type(obj) is Notice}
    for obj in chain(session.new, session.dirty, session.deleted):
        kind = type(obj)
        if kind not in (Notice, MissingPersonDetails, Media, Unit) or not _changed(session, obj):
            continue
        if kind is Unit:
            if obj not in session.new:
                unit_ids.add(obj.__dict__.get("id"))
            continue
        key = "id" if kind is Notice else "notice_id"
        # Read without loading anything; a photo moved to another notice changes both.
        history = attributes.get_history(obj, key, attributes.PASSIVE_NO_INITIALIZE)
        notice_ids.update(history.added or (), history.deleted or (), history.unchanged or ())
        notice_ids.add(obj.__dict__.get(key))
    notice_ids.discard(None)
    unit_ids.discard(None)
    return notice_ids - fresh, unit_ids


@event.listens_for(Session, "after_flush")
def _keep_pages_in_step(session, _flush_context):
    notice_ids, unit_ids = _changed_ids(session)
    if notice_ids or unit_ids:
        bump(session.connection(), notice_ids, unit_ids)
