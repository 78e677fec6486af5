"""The tips' worker job: retention. A tip closed more than `portal.retention.tip_days` ago loses the
reporter's protected contact and every file sent with it or with a later reply (attachment rows,
media rows and stored files, with the client's capture place and time). What statistics count stays:
category, units, state, outcome, the times (tips/stats.py reads nothing else), and the case record the
police wrote (description, answers, thread)."""
from sqlalchemy import select

from portal.media.models import Media
from portal.media.retention import delete_media
from portal.privacy import retention
from portal.tips.models import Tip, TipAttachment

SETTING = "portal.retention.tip_days"


def purge_closed(request, now=None) -> int:
    """Purge one batch of closed tips past the retention period; one audit event with the counts."""
    run = retention.start(request, "tip", SETTING, now)
    dbsession = request.dbsession
    due = run.due(select(Tip).where(Tip.state == "closed", Tip.purged_at.is_(None), Tip.closed_at <= run.before)
                  .order_by(Tip.closed_at, Tip.id))
    for tip in due:
        media = dbsession.execute(select(Media).join(TipAttachment, TipAttachment.media_id == Media.id)
                                  .where(TipAttachment.tip_id == tip.id)).scalars().all()
        tip.attachments.clear()  # delete-orphan: the attachment rows go first, then their media
        dbsession.flush()
        run.add("files", delete_media(request, media))
        if tip.contact is not None:
            run.add("contacts", 1)
        tip.contact = None
        tip.purged_at = run.now
        run.rows += 1
    dbsession.flush()
    return run.report()
