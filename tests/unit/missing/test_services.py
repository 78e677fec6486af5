"""The missing-request service: the verifying command center, the dispatchers' queue, and the
steps that change what the public sees."""
import pytest
from sqlalchemy import select

from portal.accounts.policy import SESSION_KEY, auth_epoch
from portal.audit.models import AuditEvent
from portal.core.refused import Refused
from portal.missing import services as missing
from portal.missing.resources import MissingRequestContext
from portal.missing.workflow import MISSING_REQUEST_WORKFLOW
from tests.factories import make_missing_request, make_officer, make_unit


def test_the_command_center_is_the_nearest_one_at_or_above_the_unit(dbsession, units):
    assert missing.command_unit_for(units["county_a"]) is units["city_a"]
    assert missing.command_unit_for(units["city_b"]) is units["city_b"]
    units["city_a"].is_command_center = False
    assert missing.command_unit_for(units["county_a"]) is units["province"]
    lone = make_unit(dbsession, "880000", name="Lone")
    lone.is_command_center = False
    assert missing.command_unit_for(lone) is lone  # no center anywhere: the root unit


def test_the_queue_is_scoped_oldest_first_and_paged_by_keyset(dbsession, registry, units):
    cipher = registry["field_cipher"]
    mine = [make_missing_request(dbsession, cipher, units["county_a"], units["city_a"]) for _ in range(3)]
    make_missing_request(dbsession, cipher, units["county_b"], units["city_b"])
    make_missing_request(dbsession, cipher, units["county_a"], units["city_a"], state="verifying")
    dispatcher = make_officer(dbsession, units["city_a"], ["dispatcher"])
    first, cursor = missing.queue_page(dbsession, dispatcher, state="submitted", size=2)
    second, end = missing.queue_page(dbsession, dispatcher, state="submitted", cursor=cursor, size=2)
    assert [r.id for r in first + second] == [r.id for r in mine] and end is None
    province = make_officer(dbsession, units["province"], ["dispatcher"])
    assert len(missing.queue_page(dbsession, province, state="submitted")[0]) == 4
    assert missing.queue_page(dbsession, make_officer(dbsession, units["county_a"], ["dispatcher"]),
                              state="submitted")[0] == []


def test_the_workflow_declaration_is_registered_and_closing_steps_need_reasons():
    needs = {t.name for t in MISSING_REQUEST_WORKFLOW.transitions if t.needs_reason}
    assert needs == {"reject", "withdraw", "resolve"}
    assert {t.permission for t in MISSING_REQUEST_WORKFLOW.transitions} == {"dispatch"}


@pytest.fixture
def dispatcher_request(dummy_request, dbsession, units):
    """The dummy request with a dispatcher of city A signed in (as the sign-in form leaves it)."""
    officer = make_officer(dbsession, units["city_a"], ["dispatcher"])
    dummy_request.session[SESSION_KEY] = officer.id
    dummy_request.session["auth_epoch"] = auth_epoch(officer)
    assert dummy_request.identity is officer
    return dummy_request


def in_context(request, missing_request):
    """The request with the context the request's staff route builds (the engine checks the role there)."""
    request.matchdict = {"id": str(missing_request.id)}
    request.context = MissingRequestContext(request)
    return request


def test_publish_is_refused_until_the_checklist_is_complete(dispatcher_request, dbsession, registry, units):
    mr = make_missing_request(dbsession, registry["field_cipher"], units["county_a"], units["city_a"],
                              state="verifying")
    with pytest.raises(Refused, match="checklist is complete"):
        missing.transition(in_context(dispatcher_request, mr), mr, "publish")
    with pytest.raises(Refused):  # a confirmation needs to say how
        missing.record_checklist(dispatcher_request, mr, family_confirmed=True, unit_confirmed=True, how=" ")
    missing.record_checklist(dispatcher_request, mr, family_confirmed=True, unit_confirmed=False, how="phone")
    with pytest.raises(Refused):
        missing.transition(in_context(dispatcher_request, mr), mr, "publish")
    missing.record_checklist(dispatcher_request, mr, family_confirmed=True, unit_confirmed=True, how="phone")
    missing.transition(in_context(dispatcher_request, mr), mr, "publish")
    assert (mr.state, mr.notice.state, mr.notice.verified_by_unit_id) == ("published", "published", units["city_a"].id)


def test_withdrawing_a_published_appeal_closes_it_like_a_resolution(dispatcher_request, dbsession, registry, units):
    mr = make_missing_request(dbsession, registry["field_cipher"], units["county_a"], units["city_a"],
                              state="published")
    with pytest.raises(Refused, match="Give a reason"):
        missing.transition(in_context(dispatcher_request, mr), mr, "withdraw", "  ")
    missing.transition(in_context(dispatcher_request, mr), mr, "withdraw", "The family asked to take it down.")
    assert (mr.state, mr.notice.state, mr.reason) == ("withdrawn", "resolved", "The family asked to take it down.")
    event = dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (event.action, event.from_state, event.to_state) == ("missing_request.withdraw", "published", "withdrawn")


def test_steps_from_the_wrong_state_are_refused(dispatcher_request, dbsession, registry, units):
    mr = make_missing_request(dbsession, registry["field_cipher"], units["county_a"], units["city_a"])
    for name, reason in (("resolve", "found"), ("publish", "")):
        with pytest.raises(Refused, match="not possible while the request is"):
            missing.transition(in_context(dispatcher_request, mr), mr, name, reason)
    with pytest.raises(Refused):
        missing.record_checklist(dispatcher_request, mr, family_confirmed=True, unit_confirmed=True, how="x")
    assert mr.state == "submitted"
