"""A call ends with its alarm: a dispatcher closing the alarm on its page, or the sender cancelling it
on theirs, ends the alarm's open call in the same request (end reason alarm_ended, a system step in
the audit log), and both sides' polls say so. Alarms never import calls: the alarm's step fires
AlarmEnded (alarms/events.py), which calls subscribes to."""
import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.calls.models import Call
from tests.factories import make_alarm, make_officer
from tests.functional.helpers import login
from tests.functional.test_calls import SAME, base, lines, staff_post, start
from tests.functional.test_dispatcher_console import step_form


@pytest.fixture
def alarm(dbsession, units):
    make_officer(dbsession, units["city_a"], ["dispatcher"], username="disp_a")
    alarm, token = make_alarm(dbsession, units["county_a"], kind="video")
    alarm.token = token
    return alarm


def ended_call(dbsession, call_id):
    dbsession.expire_all()
    call = dbsession.get(Call, call_id)
    drop = dbsession.execute(select(AuditEvent).where(AuditEvent.object_type == "call", AuditEvent.action == "call.drop",
                                                      AuditEvent.object_id == str(call_id))).scalar_one_or_none()
    return call, drop


def test_closing_the_alarm_ends_its_answered_call(testapp, dbsession, alarm):
    call_id = start(testapp, alarm)["call"]["id"]
    login(testapp, "disp_a")
    assert staff_post(testapp, f"/staff/calls/{call_id}/answer")["call"]["state"] == "connected"
    form = step_form(testapp.get(f"/staff/alarms/{alarm.id}"), "close")
    form["reason"] = "Met the caller at the gate."
    form.submit(status=303)

    call, drop = ended_call(dbsession, call_id)
    assert (call.state, call.end_reason, call.alarm.state) == ("ended", "alarm_ended", "closed")
    assert call.ended_at is not None
    assert (drop.actor, drop.from_state, drop.to_state) == ("system", "connected", "ended")
    assert drop.reason == f"alarm {alarm.id} closed"
    # Both pages learn it from their next poll; the caller's says the alarm is over too.
    polled = testapp.get(f"{base(alarm)}/poll?call={call_id}&wait=0").json
    assert polled["call"]["state"] == "ended" and polled["alarm_open"] is False
    assert testapp.get(f"/staff/calls/{call_id}/poll?wait=0").json["call"]["state"] == "ended"
    assert lines(dbsession, alarm)[-1] == "The dispatcher closed this alarm."  # the alarm's line says it


def test_cancelling_the_alarm_ends_its_ringing_call(testapp, dbsession, alarm):
    call_id = start(testapp, alarm)["call"]["id"]
    page = testapp.get(f"/alarm/{alarm.token}").click("Cancel the alarm")
    page.forms[0].submit(status=303)

    call, drop = ended_call(dbsession, call_id)
    assert (call.state, call.end_reason, call.alarm.state) == ("ended", "alarm_ended", "cancelled")
    assert (drop.actor, drop.from_state) == ("system", "ringing")
    login(testapp, "disp_a")
    assert testapp.get("/staff/calls").json == {"calls": [], "ringing": 0}  # it rings no more
    testapp.post(base(alarm), headers=SAME, status=409)  # and no new call on an ended alarm
