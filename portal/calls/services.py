"""What each side does with a call: the caller starts it from the alarm's page and may hang up; a
dispatcher of the alarm's command center answers (the first one wins), holds, resumes, ends and takes
snapshots of the video into the alarm's photos. Every step goes through CALL_WORKFLOW (audited) and
leaves a line in the alarm's thread, so both sides and the record say what happened."""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.alarms import dispatch
from portal.alarms.models import CALL_KINDS, Alarm, AlarmMessage
from portal.alarms.raising import is_open as alarm_is_open
from portal.alarms.workflow import SENDER
from portal.audit import chain as audit
from portal.calls.models import Call
from portal.calls.workflow import CALL_WORKFLOW, OPEN
from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.media.uploads import UploadLimits, check_photos, store_photos
from portal.workflow import LinkHolder

SNAPSHOT_LIMITS = UploadLimits(max_count=1)
# Thread lines (English source text, translated for each reader: alarms/thread.py).
LINES = {
    "started": _("A call was started from the alarm page."),
    "answer": _("A dispatcher answered the call."),
    "hold": _("The dispatcher put the call on hold. Stay on this page: they will come back."),
    "resume": _("The dispatcher is back on the call."),
    "end": _("The dispatcher ended the call. The alarm stays open; you can still write here."),
    "hang_up": _("The caller ended the call."),
    "drop": _("The call ended: the caller's page stopped answering."),
    "failed": _("The call's media could not connect. The alarm stays open as a text alarm."),
    "no_camera": _("The camera or microphone was not allowed on the caller's phone: text only."),
    "snapshot": _("The dispatcher kept a picture of the video."),
}


def open_call(dbsession, alarm: Alarm) -> Call | None:
    return dbsession.execute(
        select(Call).where(Call.alarm_id == alarm.id, Call.state.in_(OPEN)).order_by(Call.id.desc()).limit(1)
    ).scalar_one_or_none()


def latest_call(dbsession, alarm: Alarm) -> Call | None:
    return dbsession.execute(
        select(Call).where(Call.alarm_id == alarm.id).order_by(Call.id.desc()).limit(1)).scalar_one_or_none()


def _line(dbsession, alarm: Alarm, key: str) -> None:
    dbsession.add(AlarmMessage(alarm_id=alarm.id, sender="system", text=str(LINES[key])))
    alarm.updated_at = utcnow()


def start(request, alarm: Alarm) -> Call:
    """The caller's page has its camera or microphone: ring the command center. An open call of this
    alarm is returned as it is (a reload, a second press); an ended alarm rings nobody (409)."""
    if alarm.kind not in CALL_KINDS:
        raise Refused(_("This alarm was sent as a text alarm. Send a new alarm to call."), 409)
    if not alarm_is_open(alarm):
        raise Refused(_("This alarm has ended. In danger again? Send a new alarm or call 110."), 409)
    dbsession = request.dbsession
    call = open_call(dbsession, alarm)
    if call is not None:
        return call
    call = Call(alarm_id=alarm.id, kind=alarm.kind, state=CALL_WORKFLOW.initial, caller_seen_at=utcnow())
    dbsession.add(call)
    dbsession.flush()
    _line(dbsession, alarm, "started")
    audit.record(request, "call.started", officer=None, actor="public", object_type="call", object_id=call.id,
                 to_state=call.state, reason=f"alarm {alarm.id}; kind {call.kind}; unit {alarm.unit.code}")
    return call


def answer(request, call: Call) -> Call:
    """The first dispatcher to answer takes the call; another's answer is Refused (409) naming them."""
    officer = request.identity
    if call.state != "ringing" and call.officer is not None:
        raise Refused(_("${name} already took this call.", mapping={"name": call.officer.display_name}), 409)
    CALL_WORKFLOW.apply(request, call, "answer")
    call.officer_id, call.answered_at, call.dispatcher_seen_at = officer.id, utcnow(), utcnow()
    alarm = call.alarm
    if alarm.state == "new":  # answering the call is receiving the alarm
        dispatch.transition(request, alarm, "acknowledge")
    _line(request.dbsession, alarm, "answer")
    request.dbsession.flush()
    return call


def dispatcher_step(request, call: Call, name: str) -> Call:
    """hold, resume or end, by a dispatcher of the call's center."""
    CALL_WORKFLOW.apply(request, call, name)
    if name == "end":
        _ended(call, "dispatcher")
    _line(request.dbsession, call.alarm, name)
    request.dbsession.flush()
    return call


def hang_up(request, call: Call) -> Call:
    CALL_WORKFLOW.apply(request, call, "hang_up", actor="public", context=LinkHolder(SENDER))
    _ended(call, "caller")
    _line(request.dbsession, call.alarm, "hang_up")
    request.dbsession.flush()
    return call


def drop_gone(request, call: Call, reason: str) -> None:
    """The worker: the caller's page has not polled for a while (closed, network lost)."""
    CALL_WORKFLOW.apply(request, call, "drop", actor="system", reason=reason)
    _ended(call, "unanswered" if call.answered_at is None else "failed")
    _line(request.dbsession, call.alarm, "drop")


def _ended(call: Call, why: str) -> None:
    call.ended_at, call.end_reason = utcnow(), why


def report(request, alarm: Alarm, call: Call | None, event) -> None:
    """What the caller's page saw: the media connected or failed (of a call), or no camera or
    microphone was allowed (before any call rang). Each is told once (a repeat changes nothing)."""
    if event == "connected" and call is not None:
        if call.connected_at is None:
            call.connected_at = utcnow()
        return
    if event not in ("failed", "no_camera") or (event == "failed" and call is None):
        raise Refused(_("This is not a signal of a call."), 400)
    text = str(LINES[event])
    already = request.dbsession.execute(select(AlarmMessage.id).where(
        AlarmMessage.alarm_id == alarm.id, AlarmMessage.sender == "system", AlarmMessage.text == text,
        AlarmMessage.created_at >= (call.created_at if call is not None else alarm.created_at)).limit(1)).first()
    if already is None:
        _line(request.dbsession, alarm, event)


def snapshot(request, call: Call, fields) -> AlarmMessage:
    """A still of the caller's video, taken by the dispatcher: kept with the alarm's photos (the
    original as evidence, re-encoded copies for the page), and a line in the thread."""
    if call.state in CALL_WORKFLOW.final:
        raise Refused(CALL_WORKFLOW.final_message, 409)
    (media,) = store_photos(request, check_photos(list(fields), SNAPSHOT_LIMITS))
    media.notice_id = None
    request.dbsession.add(media)
    message = AlarmMessage(alarm_id=call.alarm_id, sender="dispatcher", officer_id=request.identity.id,
                           media=media, text=str(LINES["snapshot"]))
    request.dbsession.add(message)
    request.dbsession.flush()
    audit.record(request, "call.snapshot", object_type="call", object_id=call.id,
                 reason=f"alarm {call.alarm_id}; media {media.id}")
    return message


def seen(call: Call, side: str) -> None:
    setattr(call, f"{side}_seen_at", utcnow())


def gone_calls(dbsession, seconds: int, *, now=None) -> list[Call]:
    """Open calls whose caller's page has not polled for `seconds` (for the worker)."""
    horizon = (now or utcnow()) - timedelta(seconds=seconds)
    return dbsession.execute(
        select(Call).where(Call.state.in_(OPEN), Call.caller_seen_at < horizon)
        .options(selectinload(Call.alarm)).order_by(Call.id).limit(200)
    ).scalars().all()
