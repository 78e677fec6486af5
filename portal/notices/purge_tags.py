"""The cache tags of public notice content (core/caching.py) and the purges that keep the caching
proxies exact. Every public answer about notices names what it shows:

- `notice-<id>`: a notice's page in every language, its poster, CAP message, API answer and its photos;
- `notice-list`: anything listing notices (home, the list, the API list, the feeds, the sitemap);
- `unit-<code>`: answers showing a unit's name or phone numbers (a notice's owning and verifying units);
- `unit-list`: answers listing every unit (the list's region filter, the API's document);
- `media-<id>`: a photo's public copies.

Kept in step by an after-flush hook: any ORM change to a notice, its missing-person details, its
photos (a photo moved off a notice changes both) or a unit queues a purge of the tags concerned in the
same transaction (outbox/purges.py), sent after the commit. Writes that bypass the ORM must call
`queue_notices` themselves."""
from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import Session, attributes, object_session

from portal.media.models import Media
from portal.notices.models import MissingPersonDetails, Notice
from portal.outbox import purges
from portal.units.models import Unit

LIST = "notice-list"
UNITS = "unit-list"
WATCHED = (Notice, MissingPersonDetails, Media, Unit)
# A notice in no other state was never on a public answer (a closed appeal keeps its neutral page).
PUBLIC_STATES = {"published", "resolved"}


def notice_tag(notice_id: int) -> str:
    return f"notice-{notice_id}"


def unit_tag(code) -> str:
    return f"unit-{code}"


def notice_tags(notice) -> tuple[str, ...]:
    """What a public answer about one notice shows (a Notice, or public_reading's PublicNotice)."""
    if isinstance(notice, Notice):  # the verifying unit by its id (the identity map), the relationship unloaded
        verifier = object_session(notice).get(Unit, notice.verified_by_unit_id) if notice.verified_by_unit_id else None
    else:
        verifier = notice.verified_by_unit
    return (notice_tag(notice.id), *(unit_tag(u.code) for u in (notice.unit, verifier) if u is not None))


def media_tags(media) -> tuple[str, ...]:
    return f"media-{media.id}", notice_tag(media.notice_id)


def queue_notices(session, notice_ids) -> None:
    """For changes made without the ORM: purge these notices' answers and the lists."""
    purges.queue(session, [LIST, *(notice_tag(i) for i in notice_ids)])


def _changed(session, obj) -> bool:
    return obj in session.new or obj in session.deleted or session.is_modified(obj, include_collections=False)


def _values(obj, key) -> set:
    """The attribute's values before and after the flush, read without loading anything."""
    history = attributes.get_history(obj, key, attributes.PASSIVE_NO_INITIALIZE)
    return {*(history.added or ()), *(history.deleted or ()), *(history.unchanged or ()), obj.__dict__.get(key)}


def _never_public(notice) -> bool:
    """A notice (or None: not loaded) neither before nor after this flush in a public state."""
    return notice is not None and not (_values(notice, "state") & PUBLIC_STATES)


def changed_tags(session) -> set[str]:
    tags = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        kind = type(obj)
        if kind not in WATCHED or not _changed(session, obj):
            continue
        if kind is Unit:
            tags.update(unit_tag(code) for code in _values(obj, "code") if code)
            tags.update((LIST, UNITS))
        elif kind is Media:
            notices = {i for i in _values(obj, "notice_id") if i is not None}
            if notices and not _never_public(obj.__dict__.get("notice")):  # only public notices' photos are
                tags.update({f"media-{obj.__dict__.get('id')}", LIST, *(notice_tag(i) for i in notices)})
        else:
            if _never_public(obj if kind is Notice else obj.__dict__.get("notice")):
                continue  # a draft, a family's request being checked: on no public answer
            key = "id" if kind is Notice else "notice_id"
            tags.update(notice_tag(i) for i in _values(obj, key) if i is not None)
            tags.add(LIST)
    return tags


@event.listens_for(Session, "after_flush")
def _purge_changed(session, _flush_context):
    tags = changed_tags(session)
    if tags:
        purges.queue(session, tags)
