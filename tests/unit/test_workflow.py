"""The one workflow engine: declarations are checked at start-up, and `apply` refuses, with one
exception type and without changing anything (state, version, audit), every step taken without its
permission, from the wrong state, at a stale version, without a required reason or against a guard,
for every workflow the portal declares. The domains' own tests check what each declaration says."""
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.alarms.workflow import ALARM_WORKFLOW
from portal.audit.models import AuditEvent
from portal.calls.invitations.workflow import INVITATION_WORKFLOW
from portal.calls.workflow import CALL_WORKFLOW
from portal.core.refused import Refused
from portal.missing.workflow import CHECKLIST_COMPLETE, MISSING_REQUEST_WORKFLOW
from portal.notices.workflow import (
    FOUR_EYES,
    NOTICE_UNCHANGED,
    NOTICE_WORKFLOW,
    REVISION_FOUR_EYES,
    REVISION_WORKFLOW,
    STAFF_WRITTEN,
)
from portal.sightings.workflow import SIGHTING_WORKFLOW
from portal.tips.workflow import ASSIGNED_HANDLER, REWARD_WORKFLOW, SECOND_OFFICER, THIRD_OFFICER, TIP_WORKFLOW
from portal.trips.workflow import TRIP_WORKFLOW
from portal.workflow import SYSTEM, Guard, LinkHolder, Transition, Workflow, WorkflowError
from tests.factories import Granting, make_officer, sign_in

WORKFLOWS = (NOTICE_WORKFLOW, REVISION_WORKFLOW, MISSING_REQUEST_WORKFLOW, SIGHTING_WORKFLOW, TIP_WORKFLOW, REWARD_WORKFLOW,
             ALARM_WORKFLOW, TRIP_WORKFLOW, CALL_WORKFLOW, INVITATION_WORKFLOW)
STEPS = [pytest.param(w, t, id=f"{w.name}.{t.name}") for w in WORKFLOWS for t in w.transitions]

# What each guard reads, set so that it lets the step through ("ok") or stops it ("fails"); `me` is
# the signed-in officer's id.
GUARD_FIELDS = {
    STAFF_WRITTEN: ({"kind": "wanted"}, {"kind": "missing_person"}),
    FOUR_EYES: ({"author_id": -1}, {"author_id": "me"}),
    REVISION_FOUR_EYES: ({"author_id": -1}, {"author_id": "me"}),
    NOTICE_UNCHANGED: ({"base_version": 4, "notice": SimpleNamespace(state="published", version=4)},
                       {"base_version": 4, "notice": SimpleNamespace(state="published", version=5)}),
    CHECKLIST_COMPLETE: ({"checklist_complete": True}, {"checklist_complete": False}),
    ASSIGNED_HANDLER: ({"assigned_to_id": "me"}, {"assigned_to_id": -1}),
    SECOND_OFFICER: ({"proposed_by_id": -1}, {"proposed_by_id": "me"}),
    THIRD_OFFICER: ({"proposed_by_id": -1, "approved_by_id": -2}, {"proposed_by_id": -1, "approved_by_id": "me"}),
}


@pytest.fixture
def me(dummy_request, dbsession, units):
    officer = make_officer(dbsession, units["county_a"], ["moderator", "handler", "dispatcher"], username="engine")
    sign_in(dummy_request, officer)
    return officer


def thing(transition, me, state=None, failing=None, **extra):
    """An object in a source state of `transition` whose guards pass, except `failing`."""
    fields = {"id": 7, "version": 3, "state": state or transition.sources[0]}
    for guard in transition.guards:
        ok, fails = GUARD_FIELDS[guard]
        fields.update(fails if guard is failing else ok)
    fields = {k: (me.id if v == "me" else v) for k, v in fields.items()}
    return SimpleNamespace(**{**fields, **extra})


def allowed(transition):
    """The call that holds the transition's permission: the worker for SYSTEM, else a context granting it."""
    if transition.permission == SYSTEM:
        return {"actor": "system"}
    return {"context": Granting(transition.permission)}


def audit_rows(dbsession):
    return dbsession.execute(select(func.count(AuditEvent.id))).scalar_one()


def refused_and_unchanged(dbsession, workflow, request, obj, name, status, **kw):
    before = (obj.state, obj.version, audit_rows(dbsession))
    with pytest.raises(Refused) as refused:
        workflow.apply(request, obj, name, **kw)
    assert refused.value.status == status
    assert (obj.state, obj.version, audit_rows(dbsession)) == before
    return refused.value


@pytest.mark.parametrize("workflow,transition", STEPS)
def test_every_step_moves_and_audits_when_every_check_passes(dummy_request, dbsession, me, workflow, transition):
    obj = thing(transition, me)
    workflow.apply(dummy_request, obj, transition.name, reason="because", version=3, **allowed(transition))
    assert obj.state == transition.target
    event = dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (event.action, event.object_id, event.from_state, event.to_state, event.reason) == (
        f"{workflow.name}.{transition.name}", "7", transition.sources[0], transition.target, "because")


@pytest.mark.parametrize("workflow,transition", STEPS)
def test_every_step_is_refused_without_its_permission(dummy_request, dbsession, me, workflow, transition):
    others = Granting(*{t.permission for w in WORKFLOWS for t in w.transitions} - {transition.permission})
    refused_and_unchanged(dbsession, workflow, dummy_request, thing(transition, me), transition.name, 403,
                          reason="because", context=others)
    if transition.permission != SYSTEM:  # the worker takes no officer's or link holder's step
        refused_and_unchanged(dbsession, workflow, dummy_request, thing(transition, me), transition.name, 403,
                              reason="because", actor="system", context=Granting(transition.permission))


@pytest.mark.parametrize("workflow,transition", STEPS)
def test_every_step_is_refused_from_every_other_state(dummy_request, dbsession, me, workflow, transition):
    for state in set(workflow.states) - set(transition.sources):
        refused_and_unchanged(dbsession, workflow, dummy_request, thing(transition, me, state=state),
                              transition.name, 409, reason="because", **allowed(transition))


@pytest.mark.parametrize("workflow,transition", STEPS)
def test_every_step_is_refused_at_a_stale_version(dummy_request, dbsession, me, workflow, transition):
    for seen in (2, None):
        refused_and_unchanged(dbsession, workflow, dummy_request, thing(transition, me), transition.name, 409,
                              reason="because", version=seen, **allowed(transition))


@pytest.mark.parametrize("workflow,transition", [s for s in STEPS if s.values[1].needs_reason])
def test_every_step_that_needs_a_reason_is_refused_without_one(dummy_request, dbsession, me, workflow, transition):
    for reason in ("", "   ", None):
        refused = refused_and_unchanged(dbsession, workflow, dummy_request, thing(transition, me), transition.name,
                                        400, reason=reason, **allowed(transition))
        assert refused.field == "reason"


@pytest.mark.parametrize("workflow,transition,guard", [
    pytest.param(w, t, g, id=f"{w.name}.{t.name}.{i}")
    for w in WORKFLOWS for t in w.transitions for i, g in enumerate(t.guards)])
def test_every_guard_refuses_its_step(dummy_request, dbsession, me, workflow, transition, guard):
    refused = refused_and_unchanged(dbsession, workflow, dummy_request, thing(transition, me, failing=guard),
                                    transition.name, guard.status, reason="because", **allowed(transition))
    assert refused.message == guard.message


def test_every_declared_guard_is_covered_here():
    declared = {g for w in WORKFLOWS for t in w.transitions for g in t.guards}
    assert declared == set(GUARD_FIELDS)


def test_an_unknown_step_is_refused(dummy_request, dbsession, me):
    obj = SimpleNamespace(id=7, version=3, state="received")
    refused_and_unchanged(dbsession, TIP_WORKFLOW, dummy_request, obj, "explode", 400, context=Granting("moderate"))


def test_a_link_holder_takes_only_the_links_steps(dummy_request, dbsession, me):
    alarm = SimpleNamespace(id=7, version=3, state="new")
    refused_and_unchanged(dbsession, ALARM_WORKFLOW, dummy_request, alarm, "acknowledge", 403, actor="public",
                          context=LinkHolder("alarm-sender"))
    ALARM_WORKFLOW.apply(dummy_request, alarm, "cancel", actor="public", context=LinkHolder("alarm-sender"))
    assert alarm.state == "cancelled"


def test_available_lists_what_the_caller_may_do_now(dummy_request, me):
    tip = SimpleNamespace(state="assigned", assigned_to_id=-1)
    assert [t.name for t in TIP_WORKFLOW.available(dummy_request, tip, context=Granting("moderate", "handle"))] == [
        "reassign"]  # start and close are the assigned handler's
    tip.assigned_to_id = me.id
    assert [t.name for t in TIP_WORKFLOW.available(dummy_request, tip, context=Granting("moderate", "handle"))] == [
        "reassign", "start", "close"]
    assert TIP_WORKFLOW.available(dummy_request, tip, context=Granting()) == []


def small(**changes):
    spec = dict(
        name="thing",
        states=("new", "open", "closed"),
        initial="new",
        final=("closed",),
        transitions=(
            Transition("open", ("new",), "open", "moderate"),
            Transition("close", ("new", "open"), "closed", "moderate", needs_reason=True,
                       guards=(Guard(lambda request, obj, context: True, "never"),)),
        ),
    )
    spec.update(changes)
    return Workflow(**spec)


@pytest.mark.parametrize("changes,problem", [
    ({"states": ("new", "open", "closed", "open")}, "declared twice"),
    ({"initial": "nowhere"}, "not a declared state"),
    ({"transitions": (Transition("open", ("new",), "gone", "p"),)}, "unknown states"),
    ({"transitions": (Transition("open", ("new",), "open", "p"), Transition("close", ("open",), "closed", "p"),
                      Transition("reopen", ("closed",), "open", "p"))}, "leaves a final state"),
    ({"transitions": (Transition("close", ("new",), "closed", "p"),)}, "unreachable"),
    ({"transitions": (Transition("open", ("new",), "open", "p"),
                      Transition("close", ("new",), "closed", "p"))}, "no way out"),
    ({"transitions": (Transition("open", ("new",), "open", ""), Transition("close", ("open",), "closed", "p"))},
     "no permission"),
])
def test_inconsistent_declarations_are_refused_at_start(changes, problem):
    with pytest.raises(WorkflowError, match=problem):
        small(**changes)


def test_the_audit_reason_may_say_more_than_the_reason(dummy_request, dbsession, me):
    obj = SimpleNamespace(id=7, version=3, state="open")
    small().apply(dummy_request, obj, "close", reason="dup", audit_reason="duplicate of 6: dup",
                  context=Granting("moderate"))
    event = dbsession.execute(select(AuditEvent)).scalar_one()
    assert (event.reason, event.actor) == ("duplicate of 6: dup", "officer:engine")


def test_available_may_list_steps_a_guard_still_stops(dummy_request, me):
    request = SimpleNamespace(state="verifying", checklist_complete=False)
    grants = Granting("dispatch")
    assert "publish" not in [t.name for t in MISSING_REQUEST_WORKFLOW.available(dummy_request, request, context=grants)]
    assert "publish" in [t.name for t in MISSING_REQUEST_WORKFLOW.available(dummy_request, request, context=grants,
                                                                           check_guards=False)]
