"""Photos of staff-written notices: which photos a notice shows, in which order (the first is the
main photo: list cards, poster, Open Graph), each with its alt text.

A photo set ("plan") is a list of {"id": media id, "alt": alt text, and "taken_on": the ISO day the
photo was taken when it is known}, main photo first. That is
also how a pending revision stores it (revisions.py, the pseudo-field "photos"): photos added to a
published notice are stored at once (original as evidence, public copies without metadata:
media/uploads.py) but stay unattached (no notice_id, so media/views never serves them) until another
officer approves the change; approving attaches the new set and detaches the photos it leaves out.
Detached photos are never deleted here: they are evidence of what was published."""
import hashlib
from datetime import date
from functools import lru_cache

from sqlalchemy import select

from portal.core.i18n import _
from portal.core.refused import Refused
from portal.media.models import Media
from portal.media.uploads import UploadLimits, store_photos

FIELD = "photos"  # the pseudo-field of revisions and of `editing.update`'s "changed"
MAX_PHOTOS = 10
MAX_ALT = 255
PHOTO_LIMITS = UploadLimits(max_count=MAX_PHOTOS)
PHOTOS_CHANGED = _("The photos of this notice changed after you opened the form, so your changes were NOT "
                   "saved. Check the photos, then save again.")
TOO_MANY = _("A notice can show at most ${n} photos: remove some first.", mapping={"n": MAX_PHOTOS})


def _entry(media_id: int, alt: str, taken_on) -> dict:
    # "taken_on" only where known, so sets (and revisions) stored before it existed compare equal.
    entry = {"id": media_id, "alt": alt}
    if taken_on:
        entry["taken_on"] = taken_on.isoformat() if isinstance(taken_on, date) else str(taken_on)
    return entry


def current(notice) -> list[dict]:
    """The photos the notice shows now, main first."""
    return [_entry(m.id, m.alt_text or "", m.taken_on) for m in sorted(notice.media, key=lambda m: (m.position, m.id))]


def arrange(rows: list[dict], new_ids: list[int], new_alt: str = "", new_taken_on=None) -> list[dict]:
    """The photo set an edit form asks for. `rows` are the photos the form showed, each with "id",
    "position" (the officer's order number; the lowest is the main photo), "alt" and "remove";
    equal numbers keep the form's order. Photos just uploaded (`new_ids`) follow in the order they
    were chosen, with `new_alt` as their alt text."""
    kept = sorted((row for row in rows if not row.get("remove")),
                  key=lambda row: (row["position"], rows.index(row)))
    plan = [_entry(row["id"], (row.get("alt") or "").strip()[:MAX_ALT], row.get("taken_on")) for row in kept]
    plan += [_entry(media_id, (new_alt or "").strip()[:MAX_ALT], new_taken_on) for media_id in new_ids]
    return plan


def check_rows(rows: list[dict], base: list[dict]) -> None:
    """The form's rows must name exactly the photos it was built from (a forged or stale form names
    others); the version checks catch most stale forms before this."""
    if sorted(row["id"] for row in rows) != sorted(photo["id"] for photo in base):
        raise Refused(PHOTOS_CHANGED, 409)


def store_new(request, checked: list, *, alt: str) -> list[Media]:
    """Store checked uploads (media/uploads.py) as unattached Media rows with ids."""
    rows = store_photos(request, checked) if checked else []
    for media in rows:
        media.alt_text = (alt or "").strip()[:MAX_ALT]
        request.dbsession.add(media)
    request.dbsession.flush()
    return rows


def planned(request, notice, values: dict, base: list[dict]) -> list[dict]:
    """The photo set an edit asks for: the form's rows checked against `base` (the set it showed),
    new uploads stored (unattached). Raises Refused for a forged set or one with too many photos."""
    rows = values.get(FIELD) or []
    check_rows(rows, base)
    checked = values.get("new_photos") or []
    if len([r for r in rows if not r.get("remove")]) + len(checked) > MAX_PHOTOS:
        raise Refused(TOO_MANY, 400, field="new_photos")
    new = store_new(request, checked, alt=values.get("new_photos_alt") or notice.title)
    return arrange(rows, [m.id for m in new], values.get("new_photos_alt") or notice.title,
                   values.get("new_photos_taken_on"))


def apply(dbsession, notice, plan: list[dict]) -> None:
    """Make the notice show `plan`: attach its photos in order, detach the others (kept as evidence)."""
    wanted = {photo["id"]: (position, photo["alt"], photo.get("taken_on")) for position, photo in enumerate(plan)}
    rows = {m.id: m for m in dbsession.execute(select(Media).where(Media.id.in_(list(wanted)))).scalars()}
    if set(rows) != set(wanted) or any(m.notice_id not in (None, notice.id) for m in rows.values()):
        raise Refused(PHOTOS_CHANGED, 409)
    for media in list(notice.media):
        if media.id not in wanted:
            notice.media.remove(media)  # notice_id becomes NULL: no longer served, still stored
    for media_id, (position, alt, taken_on) in wanted.items():
        media = rows[media_id]
        media.position, media.alt_text = position, alt
        media.taken_on = date.fromisoformat(taken_on) if taken_on else None
        if media.notice_id is None:
            notice.media.append(media)
    notice.media.sort(key=lambda m: m.position)


def summary(plan) -> str:
    """A photo set in words, for the staff page's list of changes."""
    if not plan:
        return ""
    return " · ".join(f"{n}. #{photo['id']}" + (f" ({photo['alt']})" if photo.get("alt") else "")
                      + (f" [{photo['taken_on']}]" if photo.get("taken_on") else "")
                      for n, photo in enumerate(plan, start=1))


def visible_to_staff(notice, pending_plan) -> set[int]:
    """Media ids staff of the notice may see: its photos and those of its pending change."""
    return {m.id for m in notice.media} | {photo["id"] for photo in pending_plan or ()}


@lru_cache(maxsize=512)
def _digest(path_key: tuple) -> tuple[int, str]:
    store, key = path_key
    sha1, size = hashlib.sha1(usedforsecurity=False), 0
    with store.open(key) as stored:
        while chunk := stored.read(64 * 1024):
            sha1.update(chunk)
            size += len(chunk)
    return size, sha1.hexdigest()


def public_copy_facts(store, media) -> tuple[int, str] | None:
    """(size in bytes, SHA-1 hex) of a photo's public copy, as CAP 1.2 <size> and <digest> want
    them; None when the copy is missing. Keys are content addresses, so a cached answer never goes stale."""
    if not media.public_key:
        return None
    try:
        return _digest((store, media.public_key))
    except (FileNotFoundError, OSError):
        return None
