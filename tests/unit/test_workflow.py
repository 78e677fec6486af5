from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.workflow import Transition, TransitionRefused, Workflow, WorkflowError


def small(**changes):
    spec = dict(
        name="thing",
        states=("new", "open", "closed"),
        initial="new",
        final=("closed",),
        transitions=(
            Transition("open", ("new",), "open", "moderate"),
            Transition("close", ("new", "open"), "closed", "moderate", needs_reason=True),
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


def test_apply_moves_state_and_writes_an_audit_event(dummy_request, dbsession):
    workflow = small()
    thing = SimpleNamespace(id=7, state="new")
    workflow.apply(dummy_request, thing, "open", actor="system")
    assert thing.state == "open"
    event = dbsession.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.object_type, event.object_id, event.from_state, event.to_state) == (
        "thing.open", "thing", "7", "new", "open")


def test_refusals_change_nothing(dummy_request, dbsession):
    workflow = small()
    thing = SimpleNamespace(id=7, state="open")
    with pytest.raises(TransitionRefused, match="cannot open"):
        workflow.apply(dummy_request, thing, "open", actor="system")
    with pytest.raises(TransitionRefused, match="needs a reason"):
        workflow.apply(dummy_request, thing, "close", reason="  ", actor="system")
    with pytest.raises(TransitionRefused, match="no transition"):
        workflow.apply(dummy_request, thing, "explode", actor="system")
    assert thing.state == "open"
    assert dbsession.execute(select(AuditEvent)).first() is None


def test_available_respects_state_and_permission():
    workflow = small()
    thing = SimpleNamespace(state="new")
    assert [t.name for t in workflow.available(thing)] == ["open", "close"]
    assert workflow.available(thing, permits=lambda p: p != "moderate") == []
