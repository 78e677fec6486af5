"""One public notice read with Core into plain, frozen records: what its page, its poster and the API
detail show (issue 14: loading the notice, its person, photos and units through the ORM was about a
sixth of the page's CPU, and its objects' reference cycles fed the garbage collector).

The records carry the attribute names of the ORM's (Notice, MissingPersonDetails, Media), so the
templates, page_extras, api_json and purge_tags read either; public fields only. The units come from
the units' directory (units/directory.py), whose copy a page may show up to its MAX_AGE old: the page
carries the units' tags, purged after a unit's change and again seconds later. One statement, built
once per process: the notice with its person, one row per photo in Notice.media's order."""
from dataclasses import dataclass, make_dataclass
from functools import cache

from sqlalchemy import bindparam, select

from portal.media.models import Media
from portal.notices.models import MissingPersonDetails, Notice
from portal.units.directory import UnitName, directory, unit_name

NOTICE_COLUMNS = ("id", "kind", "state", "title", "body", "unit_id", "published_at", "updated_at", "expires_at",
                  "verified_by_unit_id", "verified_at", "caution", "suspect_description", "item_description",
                  "found_place", "vehicle_plate", "vehicle_make", "vehicle_model", "vehicle_colour", "reward_amount",
                  "reward_conditions")
PERSON_COLUMNS = ("notice_id", "full_name", "sex", "age_min", "age_max", "height_min_cm", "height_max_cm",
                  "weight_min_kg", "weight_max_kg", "build", "hair", "eyes", "clothing", "distinguishing_marks",
                  "languages", "medical_needs", "medical_needs_public", "last_seen_at", "last_seen_place",
                  "last_seen_lat", "last_seen_lon", "last_seen_precision", "circumstances")
PHOTO_COLUMNS = ("id", "width", "height", "alt_text", "taken_on")

PublicPhoto = make_dataclass("PublicPhoto", PHOTO_COLUMNS, frozen=True, slots=True)
PublicPerson = make_dataclass("PublicPerson", PERSON_COLUMNS, frozen=True, slots=True,
                              namespace={"age": MissingPersonDetails.age, "is_minor": MissingPersonDetails.is_minor})


@dataclass(frozen=True, slots=True)
class _Related:
    unit: UnitName
    verified_by_unit: UnitName | None
    missing_person: PublicPerson | None
    media: tuple[PublicPhoto, ...]


PublicNotice = make_dataclass("PublicNotice", NOTICE_COLUMNS, bases=(_Related,), frozen=True, slots=True,
                              namespace={"is_public": Notice.is_public})
PublicNotice.__doc__ = "A notice as the public may see it, with its units, person and photos."
for _record in (PublicPhoto, PublicPerson, PublicNotice):
    _record.__module__ = __name__

_NOTICE_END = len(NOTICE_COLUMNS)
_PERSON_END = _NOTICE_END + len(PERSON_COLUMNS)
_UNIT, _VERIFIER = NOTICE_COLUMNS.index("unit_id"), NOTICE_COLUMNS.index("verified_by_unit_id")


@cache
def notice_statement():
    """Of the tables' columns, not the mapped attributes: a statement naming any of those runs through
    the ORM's execution even when it returns rows. Built once per process: SQLAlchemy's compiled
    cache is keyed per statement, and building this one cost about as much as running it."""
    notices, people, media = Notice.__table__.c, MissingPersonDetails.__table__.c, Media.__table__.c
    return (select(*(notices[name] for name in NOTICE_COLUMNS), *(people[name] for name in PERSON_COLUMNS),
                   *(media[name] for name in PHOTO_COLUMNS))
            .select_from(Notice.__table__
                         .outerjoin(MissingPersonDetails.__table__, people.notice_id == notices.id)
                         .outerjoin(Media.__table__, media.notice_id == notices.id))
            .where(notices.id == bindparam("id"))
            .order_by(media.position, media.id))


def public_notice(dbsession, notice_id: int) -> PublicNotice | None:
    """The notice whatever its state (the caller decides what the public may see), or None."""
    rows = dbsession.execute(notice_statement(), {"id": notice_id}).all()
    if not rows:
        return None
    first = rows[0]
    person = first[_NOTICE_END:_PERSON_END]
    photos = tuple(PublicPhoto(*row[_PERSON_END:]) for row in rows if row[_PERSON_END] is not None)
    units = directory(dbsession)
    verifier = first[_VERIFIER]
    return PublicNotice(unit_name(dbsession, units, first[_UNIT]),
                        unit_name(dbsession, units, verifier) if verifier is not None else None,
                        PublicPerson(*person) if person[0] is not None else None, photos, *first[:_NOTICE_END])
