from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.refused import Refused
from portal.sightings.models import SIGHTING_STATES
from portal.sightings.workflow import SIGHTING_WORKFLOW
from tests.factories import Granting


def test_declaration_matches_the_model_and_the_design():
    assert SIGHTING_WORKFLOW.states == SIGHTING_STATES
    assert (SIGHTING_WORKFLOW.initial, SIGHTING_WORKFLOW.final) == ("received", ("closed",))
    path = {t.name: (t.sources, t.target) for t in SIGHTING_WORKFLOW.transitions}
    assert path == {"review": (("received",), "reviewed"), "forward": (("reviewed",), "forwarded"),
                    "close": (("received", "reviewed", "forwarded"), "closed")}


def test_every_step_needs_a_reason_and_the_moderate_permission():
    assert all(t.needs_reason and t.permission == "moderate" for t in SIGHTING_WORKFLOW.transitions)


@pytest.mark.parametrize("state,open_steps", [
    ("received", ["review", "close"]),
    ("reviewed", ["forward", "close"]),
    ("forwarded", ["close"]),
    ("closed", []),
])
def test_steps_open_from_each_state(dummy_request, state, open_steps):
    steps = SIGHTING_WORKFLOW.available(dummy_request, SimpleNamespace(state=state), context=Granting("moderate"))
    assert [t.name for t in steps] == open_steps


def test_no_step_for_someone_without_the_permission(dummy_request):
    assert SIGHTING_WORKFLOW.available(dummy_request, SimpleNamespace(state="received"), context=Granting()) == []


def test_a_step_moves_and_audits_with_its_reason(dummy_request, dbsession):
    thing = SimpleNamespace(state="received", id=7)
    SIGHTING_WORKFLOW.apply(dummy_request, thing, "review", reason="  checked the camera  ", context=Granting("moderate"))
    assert thing.state == "reviewed"
    event = dbsession.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.object_type, event.object_id, event.from_state, event.to_state, event.reason) == (
        "sighting.review", "sighting", "7", "received", "reviewed", "checked the camera")


@pytest.mark.parametrize("state,step,reason", [
    ("received", "review", ""),
    ("received", "close", "   "),
    ("received", "forward", "not reviewed yet"),
    ("closed", "close", "again"),
    ("reviewed", "review", "twice"),
])
def test_refused_steps_change_nothing(dummy_request, dbsession, state, step, reason):
    thing = SimpleNamespace(state=state, id=7)
    with pytest.raises(Refused):
        SIGHTING_WORKFLOW.apply(dummy_request, thing, step, reason=reason, context=Granting("moderate"))
    assert thing.state == state
    assert dbsession.execute(select(AuditEvent)).first() is None
