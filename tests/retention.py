"""What every retention test checks: files of one's own (so "gone" means this purge removed them) and
the one audit event of a purge run, with counts and no content."""
import itertools

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.media.models import Media
from tests.factories import jpeg_bytes

_colours = itertools.count(1)


def own_photo(dbsession, store, **kw) -> Media:
    """A stored photo whose bytes no other test row shares."""
    n = next(_colours)
    # Its own width: JPEG can give two near colours the same bytes, never two sizes.
    key, sha, size = store.put_bytes(jpeg_bytes(size=(16 + n % 400, 16 + n // 400)), ".jpg")
    media = Media(kind="image", sha256=sha, size=size, content_type="image/jpeg", original_key=key, **kw)
    dbsession.add(media)
    dbsession.flush()
    return media


def purge_events(dbsession, kind: str) -> list[AuditEvent]:
    return dbsession.execute(select(AuditEvent).where(AuditEvent.action == "retention.purge",
                                                      AuditEvent.object_type == kind)).scalars().all()


def assert_one_event(dbsession, kind: str, counts: str, *never: str) -> AuditEvent:
    """One audit event for the run, saying `counts`, naming none of `never` (content)."""
    (event,) = purge_events(dbsession, kind)
    assert (event.actor, event.officer_id, event.object_id) == ("system", None, "")
    assert counts in event.reason, event.reason
    for text in never:
        assert text not in event.reason, text
    return event
