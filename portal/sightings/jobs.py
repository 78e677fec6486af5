"""The sightings' worker job: retention. A sighting a moderator reviewed (or forwarded, or closed)
more than `portal.retention.sighting_days` ago, or any sighting on a notice that closed (resolved,
expired, retracted) that long ago, loses what the person wrote, where, their contact and their photo
(row and files), the moderator's free-text reason, the thread with the sender and the receipt (the
code then opens nothing). The row keeps its notice, unit, state and times,
so sightings per notice and per state can still be counted."""
from sqlalchemy import exists, or_, select

from portal.media.retention import delete_media
from portal.notices.models import Notice
from portal.notices.workflow import NOTICE_WORKFLOW
from portal.privacy import retention
from portal.sightings import thread
from portal.sightings.models import Sighting

SETTING = "portal.retention.sighting_days"


def purge_old(request, now=None) -> int:
    """Purge one batch of sightings past the retention period; one audit event with the counts."""
    run = retention.start(request, "sighting", SETTING, now)
    dbsession = request.dbsession
    notice_closed = exists(select(Notice.id).where(Notice.id == Sighting.notice_id,
                                                   Notice.state.in_(NOTICE_WORKFLOW.final),
                                                   Notice.updated_at <= run.before))
    reviewed = Sighting.state != "received"
    due = run.due(select(Sighting).where(Sighting.purged_at.is_(None),
                                         or_((reviewed) & (Sighting.updated_at <= run.before), notice_closed))
                  .order_by(Sighting.id))
    for sighting in due:
        media = sighting.media
        sighting.media_id = None
        sighting.media = None
        dbsession.flush()
        run.add("photos", delete_media(request, [media]))
        if sighting.contact is not None:
            run.add("contacts", 1)
        sighting.contact = None
        messages, receipts = thread.forget(dbsession, sighting)
        run.add("messages", messages)
        run.add("receipts", receipts)
        sighting.text = sighting.place = sighting.reason = ""
        sighting.lat = sighting.lon = sighting.accuracy_m = None
        sighting.purged_at = run.now
        run.rows += 1
    dbsession.flush()
    return run.report()
