"""The alarms' worker job: retention. An alarm that ended (closed or cancelled) more than
`portal.retention.alarm_days` ago loses what could identify or locate the person: the thread's words
and photos (rows and files), the track, the place, the coordinates, the sealed contact, and the
dispatcher's free-text note and outcome. The row keeps what statistics need: unit, kind, state (how it
ended), flag, the times and the number of thread lines."""
from sqlalchemy import delete, func, select, update

from portal.alarms import thread
from portal.alarms.models import Alarm, AlarmLocation, AlarmMessage
from portal.alarms.workflow import ALARM_WORKFLOW
from portal.media.models import Media
from portal.media.retention import delete_media
from portal.privacy import retention

SETTING = "portal.retention.alarm_days"


def purge_ended(request, now=None) -> int:
    """Purge one batch of ended alarms past the retention period; one audit event with the counts."""
    run = retention.start(request, "alarm", SETTING, now)
    dbsession = request.dbsession
    due = run.due(select(Alarm).where(Alarm.state.in_(ALARM_WORKFLOW.final), Alarm.purged_at.is_(None),
                                      Alarm.ended_at <= run.before).order_by(Alarm.ended_at, Alarm.id))
    for alarm in due:
        photos = dbsession.execute(select(Media).join(AlarmMessage, AlarmMessage.media_id == Media.id)
                                   .where(AlarmMessage.alarm_id == alarm.id)).scalars().all()
        lines = dbsession.execute(select(func.count()).select_from(AlarmMessage).where(
            AlarmMessage.alarm_id == alarm.id, AlarmMessage.sender != "system")).scalar_one()
        # Words and photos go; system lines are msgids (what happened) and keep them without parameters.
        dbsession.execute(update(AlarmMessage).where(AlarmMessage.alarm_id == alarm.id, AlarmMessage.sender != "system")
                          .values(text="", media_id=None))
        dbsession.execute(update(AlarmMessage).where(AlarmMessage.alarm_id == alarm.id, AlarmMessage.sender == "system",
                                                     AlarmMessage.params.is_not(None))
                          .values(text=str(thread.DELETED), params=None))
        positions = dbsession.execute(delete(AlarmLocation).where(AlarmLocation.alarm_id == alarm.id)).rowcount
        dbsession.expire(alarm, ["messages", "locations"])
        run.add("photos", delete_media(request, photos))
        run.add("thread lines emptied", lines)
        run.add("positions", positions)
        alarm.lat = alarm.lon = alarm.accuracy_m = alarm.located_at = None
        alarm.place = alarm.dispatch_note = alarm.outcome = ""
        alarm.sender_contact = None
        alarm.purged_at = run.now
        run.rows += 1
    dbsession.flush()
    return run.report()
