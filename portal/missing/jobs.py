"""The family requests' worker job: retention. A request that ended (resolved, rejected or withdrawn)
more than `portal.retention.missing_days` ago loses the family's sealed contact, the dispatcher's
note of how it was verified, and the appeal's photos (rows and stored files; a resolved appeal's photos
have already left every public output). An appeal that was never published (rejected, withdrawn) also
loses the person's description: name, looks, where and when last seen, circumstances, birth date. The
request keeps its units, state, times and the reason the family was given on /status; a published
appeal's text stays as the record of what the police published."""
from sqlalchemy import select

from portal.media.models import Media
from portal.media.retention import delete_media
from portal.missing.models import MissingPersonRequest
from portal.missing.services import _title
from portal.privacy import retention

SETTING = "portal.retention.missing_days"
ENDED = ("resolved", "rejected", "withdrawn")


def purge_ended(request, now=None) -> int:
    """Purge one batch of ended family requests past the retention period; one audit event with counts."""
    run = retention.start(request, "missing_request", SETTING, now)
    dbsession = request.dbsession
    due = run.due(select(MissingPersonRequest).where(
        MissingPersonRequest.state.in_(ENDED), MissingPersonRequest.purged_at.is_(None),
        MissingPersonRequest.updated_at <= run.before).order_by(MissingPersonRequest.id))
    for missing in due:
        photos = dbsession.execute(select(Media).where(Media.notice_id == missing.notice_id)).scalars().all()
        run.add("photos", delete_media(request, photos))
        dbsession.expire(missing.notice, ["media"])
        run.add("contacts", 1 if missing.family_contact else 0)
        if missing.notice.published_at is None:
            run.add("descriptions", _forget_person(missing.notice))
        missing.family_contact = ""
        missing.verification_how = ""
        if missing.notice.missing_person is not None:  # protected like the contact: gone with it
            missing.notice.missing_person.medical_needs = None
            missing.notice.missing_person.medical_needs_public = False
        missing.purged_at = run.now
        run.rows += 1
    dbsession.flush()
    return run.report()


def _forget_person(notice) -> int:
    """Blank who the person is in a never-published appeal (the draft notice and its details)."""
    notice.title, notice.body = _title(""), ""
    details = notice.missing_person
    if details is None:
        return 0
    for name in ("full_name", "build", "hair", "eyes", "clothing", "distinguishing_marks", "last_seen_place",
                 "languages", "circumstances"):
        setattr(details, name, "")
    for name in ("vehicle_make", "vehicle_model", "vehicle_colour", "vehicle_plate"):
        setattr(notice, name, "")
    details.birth_date = details.last_seen_at = details.last_seen_lat = details.last_seen_lon = None
    return 1
