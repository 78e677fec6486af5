"""The tip and reward workflows as declared: states, steps, who may take them and which need a reason.
How the engine applies, guards and audits a step is tested once, in tests/unit/test_workflow.py."""
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.refused import Refused
from portal.tips.models import REWARD_STATES, TIP_STATES
from portal.tips.workflow import REWARD_WORKFLOW, TIP_WORKFLOW
from tests.factories import Granting, make_officer, sign_in


def test_tip_declaration_matches_the_model_and_the_design():
    assert TIP_WORKFLOW.states == TIP_STATES
    assert (TIP_WORKFLOW.initial, TIP_WORKFLOW.final) == ("received", ("closed",))
    path = {t.name: (t.sources, t.target, t.permission, t.needs_reason) for t in TIP_WORKFLOW.transitions}
    assert path == {
        "triage": (("received",), "triaged", "moderate", False),
        "transfer": (("received", "triaged"), "received", "moderate", True),
        "assign": (("triaged",), "assigned", "moderate", False),
        "reassign": (("assigned", "in_progress"), "assigned", "moderate", True),
        "start": (("assigned",), "in_progress", "handle", False),
        "dismiss": (("received", "triaged"), "closed", "moderate", True),
        "close": (("assigned", "in_progress"), "closed", "handle", True),
    }


def test_reward_declaration_matches_the_model():
    assert REWARD_WORKFLOW.states == REWARD_STATES
    assert (REWARD_WORKFLOW.initial, set(REWARD_WORKFLOW.final)) == ("proposed", {"paid", "refused"})
    path = {t.name: (t.sources, t.target, t.needs_reason) for t in REWARD_WORKFLOW.transitions}
    assert path == {"approve": (("proposed",), "approved", False), "refuse": (("proposed", "approved"), "refused", True),
                    "pay": (("approved",), "paid", False)}


@pytest.mark.parametrize("state,moderator,handler", [
    ("received", ["triage", "transfer", "dismiss"], []),
    ("triaged", ["transfer", "assign", "dismiss"], []),
    ("assigned", ["reassign"], ["start", "close"]),
    ("in_progress", ["reassign"], ["close"]),
    ("closed", [], []),
])
def test_steps_open_from_each_state_by_permission(dummy_request, dbsession, units, state, moderator, handler):
    officer = make_officer(dbsession, units["county_a"], ["moderator", "handler"])
    request = sign_in(dummy_request, officer)
    tip = SimpleNamespace(state=state, assigned_to_id=officer.id)
    assert [t.name for t in TIP_WORKFLOW.available(request, tip, context=Granting("moderate"))] == moderator
    assert [t.name for t in TIP_WORKFLOW.available(request, tip, context=Granting("handle"))] == handler
    # Starting and closing are the assigned handler's alone.
    assert TIP_WORKFLOW.available(request, SimpleNamespace(state=state, assigned_to_id=-1),
                                  context=Granting("handle")) == []


@pytest.mark.parametrize("workflow,state,step,reason", [
    (TIP_WORKFLOW, "in_progress", "close", ""),
    (TIP_WORKFLOW, "triaged", "transfer", "  "),
    (TIP_WORKFLOW, "received", "dismiss", ""),
    (TIP_WORKFLOW, "assigned", "reassign", ""),
    (TIP_WORKFLOW, "received", "assign", "not triaged yet"),
    (TIP_WORKFLOW, "received", "close", "never assigned"),
    (TIP_WORKFLOW, "closed", "triage", "reopen"),
    (REWARD_WORKFLOW, "proposed", "pay", "not approved"),
    (REWARD_WORKFLOW, "approved", "refuse", ""),
    (REWARD_WORKFLOW, "paid", "refuse", "too late"),
])
def test_refused_steps_change_nothing(dummy_request, dbsession, workflow, state, step, reason):
    thing = SimpleNamespace(state=state, id=7, assigned_to_id=None, proposed_by_id=None)
    with pytest.raises(Refused):
        workflow.apply(dummy_request, thing, step, reason=reason, context=Granting("moderate", "handle"))
    assert thing.state == state
    assert dbsession.execute(select(AuditEvent)).first() is None
