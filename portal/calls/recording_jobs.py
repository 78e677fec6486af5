"""The calls' worker jobs for recordings: a recording whose page went silent (closed, phone seized,
battery gone) becomes final with what arrived; and the alarm retention rule reaches the recordings:
an alarm that ended more than `portal.retention.alarm_days` ago loses its recordings' chunks (stored
files and rows). Each recording's row stays, marked purged, with its counts, times and final hash.

Alarms sit below calls and never import them, so this is a job of its own beside alarms/jobs.py,
with the same setting and the same cut-off (the alarm's end)."""
from datetime import timedelta

from sqlalchemy import select

from portal.alarms.jobs import SETTING as ALARM_RETENTION
from portal.alarms.models import Alarm
from portal.alarms.workflow import ALARM_WORKFLOW
from portal.calls import evidence
from portal.calls.models import CallRecording
from portal.calls.recording import finalize
from portal.core.meta import utcnow
from portal.privacy import retention

BATCH = 50  # a silent recording's final hash reads its chunks again: a few per round


def finalize_silent(request, now=None) -> int:
    """Open recordings with no chunk for `portal.call.recording_idle_minutes` become final."""
    now = now or utcnow()
    idle = timedelta(minutes=float(request.registry.settings["portal.call.recording_idle_minutes"]))
    due = request.dbsession.execute(
        select(CallRecording).where(CallRecording.state == "open", CallRecording.last_chunk_at < now - idle)
        .order_by(CallRecording.last_chunk_at, CallRecording.id).limit(BATCH)
    ).scalars().all()
    for recording in due:
        finalize(request, recording, "idle")
    return len(due)


def purge_recordings(request, now=None) -> int:
    """One batch of recordings of alarms past the alarm retention period; one audit event with counts."""
    run = retention.start(request, "call_recording", ALARM_RETENTION, now)
    due = run.due(select(CallRecording).join(Alarm, Alarm.id == CallRecording.alarm_id)
                  .where(Alarm.state.in_(ALARM_WORKFLOW.final), Alarm.ended_at <= run.before,
                         CallRecording.purged_at.is_(None))
                  .order_by(Alarm.ended_at, CallRecording.id))
    for recording in due:
        chunks, files = evidence.purge(request, recording)
        run.add("chunks", chunks)
        run.add("files", files)
        run.rows += 1
    request.dbsession.flush()
    return run.report()
