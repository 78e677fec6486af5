"""sitemap.xml: the public pages and every notice in force, for search engines, so an appeal is found
by people searching the name or the place. Never a minor's appeal (a child's name and face should not
live on in search engines after the child is found): a missing person under 18 by age or birth date
is left out, and so is one whose age nobody stated."""
from datetime import date
from xml.etree import ElementTree

from sqlalchemy import and_, or_, select

from portal.core.meta import utcnow
from portal.notices.models import MissingPersonDetails, Notice
from portal.notices.reading import not_expired

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # the protocol's limit per file
ADULT_YEARS = 18
ElementTree.register_namespace("", SITEMAP_NS)  # once, at import: it changes a module-wide table


def _adult_clause(today: date):
    try:
        eighteen_years_ago = today.replace(year=today.year - ADULT_YEARS)
    except ValueError:  # 29 February
        eighteen_years_ago = today.replace(year=today.year - ADULT_YEARS, day=28)
    return or_(MissingPersonDetails.birth_date <= eighteen_years_ago,
               and_(MissingPersonDetails.birth_date.is_(None), MissingPersonDetails.age_min >= ADULT_YEARS))


def listed_notices(dbsession, limit: int) -> list[tuple[int, object]]:
    """(id, last change) of the notices in force that may be listed, newest first."""
    today = utcnow().date()
    query = (select(Notice.id, Notice.updated_at).outerjoin(MissingPersonDetails,
                                                           MissingPersonDetails.notice_id == Notice.id)
             .where(Notice.state == "published", not_expired(utcnow()),
                    or_(MissingPersonDetails.notice_id.is_(None), _adult_clause(today)))
             .order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit))
    return list(dbsession.execute(query).all())


def render(pages: list[str], notices: list[tuple[str, object]]) -> bytes:
    root = ElementTree.Element(f"{{{SITEMAP_NS}}}urlset")
    for loc in pages:
        ElementTree.SubElement(ElementTree.SubElement(root, f"{{{SITEMAP_NS}}}url"), f"{{{SITEMAP_NS}}}loc").text = loc
    for loc, changed in notices:
        url = ElementTree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = loc
        if changed is not None:
            ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = changed.strftime("%Y-%m-%dT%H:%M:%SZ")
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
