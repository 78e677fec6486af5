"""The tip handling service: who may take which step, the checks each step makes, the race with
another save, the contact for the assigned handler only, the thread and the links."""
import json

import pytest
from sqlalchemy import func, select, update

from portal.accounts.policy import SESSION_KEY, auth_epoch
from portal.audit.models import AuditEvent
from portal.core.refused import Refused
from portal.tips import handling as tip_handling
from portal.tips.models import Tip, TipAnswer, TipMessage
from portal.tips.resources import TipContext
from tests.factories import make_category, make_notice, make_officer, make_tip


@pytest.fixture
def as_officer(dummy_request):
    """The dummy request with `officer` signed in, and the tip's context as the route builds it."""
    def sign_in(officer, tip):
        dummy_request.session[SESSION_KEY] = officer.id
        dummy_request.session["auth_epoch"] = auth_epoch(officer)
        assert dummy_request.identity is officer
        dummy_request.matchdict = {"id": str(tip.id)}
        return dummy_request, TipContext(dummy_request)
    return sign_in


@pytest.fixture
def people(dbsession, units):
    retired = make_officer(dbsession, units["county_a"], ["handler"], username="h_gone")
    retired.active = False
    return {
        "moderator": make_officer(dbsession, units["county_a"], ["moderator"], username="h_mod"),
        "handler": make_officer(dbsession, units["county_a"], ["handler"], username="h_handler"),
        "city_handler": make_officer(dbsession, units["city_a"], ["handler"], username="h_city_handler"),
        "top_handler": make_officer(dbsession, units["province"], ["handler"], username="h_top_handler"),
        "sibling_handler": make_officer(dbsession, units["city_b"], ["handler"], username="h_sibling"),
        "retired_handler": retired,
        "admin": make_officer(dbsession, units["county_a"], ["admin"], username="h_admin"),
    }


@pytest.fixture
def tip(dbsession, registry, units):
    return make_tip(dbsession, units["county_a"], cipher=registry["field_cipher"],
                    contact=json.dumps({"name": "Reporter Name", "phone": "13700000000"}))


def tip_events(dbsession):
    return dbsession.execute(select(func.count(AuditEvent.id)).where(AuditEvent.object_type == "tip")).scalar_one()


def take(as_officer, officer, tip, name, **kw):
    request, context = as_officer(officer, tip)
    kw.setdefault("version", tip.version)
    tip_handling.transition(request, tip, name, context=context, **kw)


def test_handler_candidates_are_active_handlers_of_the_unit_and_above(dbsession, people, tip):
    found = {o.username for o in tip_handling.handler_candidates(dbsession, tip)}
    assert found == {"h_handler", "h_city_handler", "h_top_handler"}


def test_steps_offered_by_role_and_assignment(dbsession, as_officer, people, tip):
    def names(who):
        request, context = as_officer(people[who], tip)
        return [t.name for t in tip_handling.steps_for(request, tip, context)]

    assert names("moderator") == ["triage", "transfer", "dismiss"]
    assert names("handler") == []
    take(as_officer, people["moderator"], tip, "triage")
    take(as_officer, people["moderator"], tip, "assign", handler_id=people["handler"].id)
    assert names("handler") == ["start", "close"]
    assert names("city_handler") == []  # can open the tip, but it is not theirs
    assert names("moderator") == ["reassign"]


@pytest.mark.parametrize("name,kw,field", [
    ("transfer", {"reason": "  ", "unit_id": "x"}, "reason"),
    ("transfer", {"reason": "Elsewhere"}, "unit"),
    ("dismiss", {"reason": "Spam", "outcome": "actionable"}, "outcome"),
])
def test_bad_step_input_is_refused_and_nothing_is_recorded(dbsession, as_officer, people, tip, name, kw, field):
    before = tip_events(dbsession)
    with pytest.raises(Refused) as refused:
        take(as_officer, people["moderator"], tip, name, **kw)
    assert (refused.value.status, refused.value.field) == (400, field)
    assert tip.state == "received" and tip_events(dbsession) == before


def test_transfer_to_its_own_unit_is_refused(dbsession, as_officer, people, tip):
    with pytest.raises(Refused, match="Choose the unit"):
        take(as_officer, people["moderator"], tip, "transfer", reason="Stay", unit_id=tip.unit_id)


@pytest.mark.parametrize("who", ["sibling_handler", "retired_handler", "moderator", "admin"])
def test_only_a_candidate_can_be_assigned(dbsession, as_officer, people, tip, who):
    take(as_officer, people["moderator"], tip, "triage")
    with pytest.raises(Refused, match="Choose a handler"):
        take(as_officer, people["moderator"], tip, "assign", handler_id=people[who].id)
    assert tip.assigned_to_id is None


def test_a_stale_version_and_a_lost_race_are_both_409(dbsession, as_officer, people, tip):
    with pytest.raises(Refused) as stale:
        take(as_officer, people["moderator"], tip, "triage", version=tip.version - 1)
    assert stale.value.status == 409
    with pytest.raises(Refused) as missing:
        take(as_officer, people["moderator"], tip, "triage", version=None)
    assert missing.value.status == 409
    # Another save lands between reading the tip and writing it: the version column catches it.
    before = tip_events(dbsession)
    dbsession.execute(update(Tip).where(Tip.id == tip.id).values(version=Tip.version + 1)
                      .execution_options(synchronize_session=False))  # this session has not seen it
    with pytest.raises(Refused) as lost:
        take(as_officer, people["moderator"], tip, "triage")
    assert lost.value.status == 409
    assert tip_events(dbsession) == before  # the audit event went with the undone step
    assert dbsession.execute(select(func.count(TipMessage.id))).scalar_one() == 0


def test_the_contact_for_the_assigned_handler_only(dbsession, as_officer, people, tip):
    take(as_officer, people["moderator"], tip, "triage")
    for who in ("moderator", "handler"):  # not assigned yet: nobody
        request, context = as_officer(people[who], tip)
        with pytest.raises(Refused) as refused:
            tip_handling.reveal_contact(request, tip, "Need to call them", context=context)
        assert refused.value.status == 403
    take(as_officer, people["moderator"], tip, "assign", handler_id=people["handler"].id)
    request, context = as_officer(people["handler"], tip)
    with pytest.raises(Refused):
        tip_handling.reveal_contact(request, tip, "no", context=context)
    assert tip.contact_viewed_at is None
    contact = tip_handling.reveal_contact(request, tip, "Need to call them", context=context)
    assert contact == {"name": "Reporter Name", "phone": "13700000000"} and tip.contact_viewed_at is not None
    take(as_officer, people["handler"], tip, "close", outcome="unfounded", reason="Nothing found.")
    with pytest.raises(Refused, match="only while the tip is being handled"):
        tip_handling.reveal_contact(request, tip, "Need to call them again", context=context)


def test_notes_and_links_come_from_those_working_an_open_tip(dbsession, as_officer, people, units, tip):
    other, notice = make_tip(dbsession, units["county_a"]), make_notice(dbsession, units["county_a"])

    def attempts(who):
        """What `who` may add to the tip: (internal note, message, link to a tip, link to a notice)."""
        request, context = as_officer(people[who], tip)
        tries = (lambda: tip_handling.post_message(request, tip, "Note", internal=True, context=context),
                 lambda: tip_handling.post_message(request, tip, "Question", internal=False, context=context),
                 lambda: tip_handling.link_tip(request, tip, other.id, "related", context=context),
                 lambda: tip_handling.link_notice(request, tip, notice.id, context=context))
        answers = []
        for attempt in tries:
            savepoint = dbsession.begin_nested()
            try:
                attempt()
                answers.append("ok")
            except Refused as refused:
                answers.append(refused.status)
            finally:
                savepoint.rollback()  # only whether it was allowed matters here
        return answers

    take(as_officer, people["moderator"], tip, "triage")
    take(as_officer, people["moderator"], tip, "assign", handler_id=people["handler"].id)
    assert attempts("moderator") == attempts("handler") == ["ok"] * 4
    assert attempts("city_handler") == [403] * 4  # may open the tip, is not working it
    for who, may in (("handler", True), ("city_handler", False), ("moderator", False)):
        request, context = as_officer(people[who], tip)
        assert tip_handling.may_fetch_original(request, tip, context) is may, who
    take(as_officer, people["handler"], tip, "close", outcome="actionable", reason="Seized.")
    assert attempts("moderator") == attempts("handler") == [409] * 4
    assert dbsession.execute(select(func.count(TipMessage.id)).where(TipMessage.author == "officer")).scalar_one() == 0


def test_system_lines_are_translated_when_shown_officers_text_is_not(dummy_request, dbsession, tip, monkeypatch):
    system = TipMessage(tip_id=tip.id, author="system", body=str(tip_handling.SYSTEM_TEXTS["close"]))
    written = TipMessage(tip_id=tip.id, author="officer", body="Your tip was closed.")
    # The localizer is shared by every request in its language: patched for this test only.
    monkeypatch.setattr(dummy_request.localizer, "translate", lambda s: f"[{s}]")
    assert tip_handling.message_text(dummy_request, system) == "[Your tip was closed. Thank you for your help.]"
    assert tip_handling.message_text(dummy_request, written) == "Your tip was closed."


def test_answers_show_labels_and_choices_in_the_language_and_danger(dbsession, units):
    category = make_category(dbsession, questions=[
        {"key": "kind", "kind": "choice", "labels": {"en": "Kind", "zh_CN": "种类"},
         "choices": [{"value": "pistol", "labels": {"en": "Pistol", "zh_CN": "手枪"}}], "danger_values": ["pistol"]},
        {"key": "count", "kind": "number", "labels": {"zh_CN": "数量"}},
    ])
    tip = make_tip(dbsession, units["city_a"], category)
    kind, count = category.questions
    dbsession.add_all([TipAnswer(tip=tip, question=count, value="2"), TipAnswer(tip=tip, question=kind, value="pistol")])
    dbsession.flush()
    dbsession.refresh(tip)
    assert tip_handling.answers(tip, "en") == [{"label": "Kind", "text": "Pistol", "danger": True},
                                               {"label": "数量", "text": "2", "danger": False}]
    assert tip_handling.answers(tip, "zh_CN")[0]["text"] == "手枪"


def test_links_show_both_ways_and_hide_what_the_officer_may_not_open(dbsession, as_officer, people, units, tip):
    upstairs = make_tip(dbsession, units["city_a"])
    request, context = as_officer(make_officer(dbsession, units["city_a"], ["moderator"]), tip)
    tip_handling.link_tip(request, tip, upstairs.id, "related", context=context)
    tip_handling.link_notice(request, tip, make_notice(dbsession, units["city_a"]).id, context=context)
    from_city = tip_handling.links(dbsession, upstairs, request.identity)
    assert [(link["kind"], link["number"], link["tip"] is tip) for link in from_city] == [("related", tip.id, True)]
    from_county = tip_handling.links(dbsession, tip, people["moderator"])
    assert [(link["kind"], link.get("number"), link.get("tip")) for link in from_county][0] == (
        "related", upstairs.id, None)  # the county cannot open the city's tip: its number only
    assert from_county[1]["kind"] == "notice"
