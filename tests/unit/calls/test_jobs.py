"""The calls' worker job (calls/jobs.py): calls whose caller's page stopped polling end (unanswered
or failed), fresh ones stay; calls whose alarm ended end with it, including one the alarm's own step
could not end because another request had just changed it; one call changed meanwhile does not stop
the round."""
from datetime import timedelta

from sqlalchemy import select, update

from portal.alarms import raising
from portal.audit.models import AuditEvent
from portal.calls import jobs as call_jobs
from portal.calls import services
from portal.calls.models import Call
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.scripts import worker
from tests.factories import make_alarm


def make_call(dbsession, units, *, seen_ago=0, answered=False, state="ringing"):
    alarm, _ = make_alarm(dbsession, units["county_a"], kind="video")
    now = utcnow()
    call = Call(alarm_id=alarm.id, kind="video", state=state, caller_seen_at=now - timedelta(seconds=seen_ago),
                answered_at=now if answered else None)
    dbsession.add(call)
    dbsession.flush()
    return call


def drops(dbsession):
    return dbsession.execute(select(AuditEvent).where(AuditEvent.action == "call.drop")
                             .order_by(AuditEvent.id)).scalars().all()


def test_calls_whose_caller_went_silent_end_and_fresh_ones_stay(dummy_request, dbsession, units):
    gone = int(dummy_request.registry.settings["portal.call.gone_seconds"])
    unanswered = make_call(dbsession, units, seen_ago=gone + 5)
    answered = make_call(dbsession, units, seen_ago=gone + 5, answered=True, state="connected")
    fresh = make_call(dbsession, units, seen_ago=gone - 20)
    ended = make_call(dbsession, units, seen_ago=gone * 10, state="ended")

    assert worker.JOBS["calls-end-gone"] is call_jobs.end_gone
    assert call_jobs.end_gone(dummy_request) == 2
    assert (unanswered.state, unanswered.end_reason) == ("ended", "unanswered")
    assert (answered.state, answered.end_reason) == ("ended", "failed")
    assert fresh.state == "ringing" and fresh.end_reason is None and ended.end_reason is None
    assert [(e.object_id, e.actor, e.reason) for e in drops(dbsession)] == [
        (str(c.id), "system", f"the caller's page did not poll for {gone} s") for c in (unanswered, answered)]
    assert "The call ended: the caller's page stopped answering." in [m.text for m in unanswered.alarm.messages]
    assert call_jobs.end_gone(dummy_request) == 0  # nothing left
    # Later the fresh one is gone too.
    assert call_jobs.end_gone(dummy_request, now=utcnow() + timedelta(seconds=gone)) == 1 and fresh.state == "ended"


def test_cancelling_the_alarm_ends_its_call_in_the_same_step(dummy_request, dbsession, units):
    call = make_call(dbsession, units)
    raising.cancel(dummy_request, call.alarm)
    assert (call.state, call.end_reason, call.alarm.state) == ("ended", "alarm_ended", "cancelled")
    assert drops(dbsession)[0].reason == f"alarm {call.alarm_id} cancelled"


def test_a_call_changed_meanwhile_does_not_stop_the_alarms_step_and_the_worker_ends_it(dummy_request, dbsession,
                                                                                      units):
    call = make_call(dbsession, units)
    # Another request answered it at this instant: the version this session holds is stale.
    dbsession.execute(update(Call.__table__).where(Call.__table__.c.id == call.id)
                      .values(state="connected", version=Call.__table__.c.version + 1))
    raising.cancel(dummy_request, call.alarm)
    assert call.alarm.state == "cancelled"  # the alarm's step went on
    dbsession.expire_all()
    assert call.state == "connected" and drops(dbsession) == []
    assert call_jobs.end_gone(dummy_request) == 1
    assert (call.state, call.end_reason) == ("ended", "alarm_ended")


def test_one_call_refused_meanwhile_does_not_stop_the_round(dummy_request, dbsession, units, monkeypatch):
    gone = int(dummy_request.registry.settings["portal.call.gone_seconds"])
    first, second = (make_call(dbsession, units, seen_ago=gone + 5) for _ in range(2))
    real = services.drop_gone

    def racing(request, call, reason):
        if call.id == first.id:
            raise Refused("someone else changed this meanwhile", 409)
        real(request, call, reason)

    monkeypatch.setattr(services, "drop_gone", racing)
    assert call_jobs.end_gone(dummy_request) == 1
    assert first.state == "ringing" and second.state == "ended"
