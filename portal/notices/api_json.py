"""Notices as the API shows them: public fields only, never police-only or protected ones."""
from portal.core.links import public_url
from portal.notices import medical, places
from portal.notices.editing import KIND_FIELDS


def _time(value):
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _unit(request, unit):
    return {"code": unit.code, "name": unit.name(request.locale_name), "phone": unit.phone_110}


def _photo(request, media, main=False):
    return {
        "main": main,
        "url": public_url(request, "media", id=media.id, variant="public"),
        "thumbnail_url": public_url(request, "media", id=media.id, variant="thumb"),
        "width": media.width,
        "height": media.height,
        "alt": media.alt_text,
        "taken_on": media.taken_on.isoformat() if media.taken_on else None,
    }


def summary(request, notice) -> dict:
    return {
        "id": notice.id,
        "kind": notice.kind,
        "status": "published",
        "title": notice.title,
        "unit": _unit(request, notice.unit),
        "published_at": _time(notice.published_at),
        "updated_at": _time(notice.updated_at),
        "url": public_url(request, "notice", id=notice.id),
        "thumbnail_url": public_url(request, "media", id=notice.media[0].id, variant="thumb") if notice.media else None,
    }


def detail(request, notice) -> dict:
    body = summary(request, notice)
    body.update(
        text=notice.body,
        photos=[_photo(request, m, main=n == 0) for n, m in enumerate(notice.media)],
        poster_url=public_url(request, "notice_poster", id=notice.id),
        missing_person=_missing_person(request, notice),
        kind_details={name: getattr(notice, name) for name in KIND_FIELDS.get(notice.kind, ())},
        verified=_verified(request, notice),
        expires_at=_time(notice.expires_at),
    )
    return body


def _verified(request, notice):
    """The badge: the unit whose officer approved the notice (four eyes), or the command center that
    verified a missing-person appeal with the family and the accepting unit, and when."""
    if notice.verified_by_unit_id is None or notice.verified_at is None:
        return None
    return {"unit": _unit(request, notice.verified_by_unit), "at": _time(notice.verified_at)}


def closed(notice) -> dict:
    """All that is left of a closed missing-person appeal."""
    return {"id": notice.id, "kind": notice.kind, "status": "closed"}


def _missing_person(request, notice):
    details = notice.missing_person
    if details is None:
        return None
    return {
        "name": details.full_name,
        "sex": details.sex,
        # One number only where the range is one year (kept for older readers); else null.
        "age": details.age_min if details.age_min == details.age_max else None,
        "age_min": details.age_min,
        "age_max": details.age_max,
        "height_min_cm": details.height_min_cm,
        "height_max_cm": details.height_max_cm,
        "weight_min_kg": details.weight_min_kg,
        "weight_max_kg": details.weight_max_kg,
        "build": details.build,
        "hair": details.hair,
        "eyes": details.eyes,
        "clothing": details.clothing,
        "distinguishing_marks": details.distinguishing_marks,
        "languages": details.languages,
        "medical_needs": medical.public_text(request, details),
        "last_seen_at": _time(details.last_seen_at),
        "last_seen_place": details.last_seen_place,
        "last_seen_point": places.public_point(details),
        "vehicle": {name: getattr(notice, f"vehicle_{name}") for name in ("make", "model", "colour", "plate")},
        "circumstances": details.circumstances,
    }
