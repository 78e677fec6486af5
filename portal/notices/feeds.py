"""Atom 1.0 feeds of published notices; a closed missing-person appeal appears only as closed. The CAP
index also lists, for `portal.cap.cancel_days`, the Cancel of every notice that left the public site."""
import xml.etree.ElementTree as ET

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from portal.core.meta import utcnow
from portal.notices.models import Notice
from portal.notices.reading import not_expired

ATOM = "http://www.w3.org/2005/Atom"


def feed_notices(dbsession, limit: int = 50):
    """Published notices and closed appeals, most recently changed first."""
    closed = and_(Notice.kind == "missing_person", Notice.state == "resolved")
    return dbsession.execute(
        select(Notice).where(or_(and_(Notice.state == "published", not_expired(utcnow())), closed))
        .options(selectinload(Notice.media))
        .order_by(Notice.updated_at.desc(), Notice.id.desc()).limit(limit)
    ).scalars().all()


def cap_notices(dbsession, now, cancel_for, limit: int = 100):
    """Public notices, and notices that left the public site less than `cancel_for` ago (their Cancel),
    most recently changed first. A notice retracted before it was ever public has no alert to cancel."""
    since = now - cancel_for
    ended = or_(
        and_(Notice.state.in_(("resolved", "expired", "retracted")), Notice.published_at.is_not(None),
             Notice.ended_at > since),
        # Past its expiry time before the worker marked it expired.
        and_(Notice.state == "published", Notice.expires_at <= now, Notice.expires_at > since),
    )
    return dbsession.execute(
        select(Notice).where(or_(and_(Notice.state == "published", not_expired(now)), ended))
        .order_by(Notice.updated_at.desc(), Notice.id.desc()).limit(limit)
    ).scalars().all()


def is_closed(notice) -> bool:
    return notice.kind == "missing_person" and notice.state == "resolved"


def atom_time(value) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _sub(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def atom_feed(*, feed_id, title, self_url, site_url, entries, updated) -> bytes:
    """entries: dicts with id, title, url, updated, published, summary, author, category, links."""
    # Plain tag names under an xmlns attribute: the document's default namespace is Atom's, with no
    # prefixes (ElementTree's default_namespace option refuses the plain attribute names Atom uses).
    feed = ET.Element("feed", xmlns=ATOM)
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title)
    _sub(feed, "updated", atom_time(updated))
    _sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    _sub(feed, "link", rel="alternate", href=site_url, type="text/html")
    for item in entries:
        entry = _sub(feed, "entry")
        _sub(entry, "id", item["id"])
        _sub(entry, "title", item["title"])
        _sub(entry, "updated", atom_time(item["updated"]))
        if item.get("published"):
            _sub(entry, "published", atom_time(item["published"]))
        _sub(_sub(entry, "author"), "name", item["author"])
        _sub(entry, "link", rel="alternate", href=item["url"], type="text/html")
        for link in item.get("links", ()):
            _sub(entry, "link", **link)
        if item.get("category"):
            _sub(entry, "category", term=item["category"])
        if item.get("summary"):
            _sub(entry, "summary", item["summary"], type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
