"""What a careless or forged post does to the forms of a staff tip page (views/staff_tip.py): a file
part where text goes, a NUL, a field over its length, a step or a form the page does not offer. Each
gets a clear 4xx page with what was typed kept and nothing saved; a NUL is dropped and the rest
taken."""
from sqlalchemy import func, select
from webtest import Upload

from portal.audit.models import AuditEvent
from portal.tips.models import TipLink, TipMessage, TipReward
from tests.factories import make_tip
from tests.functional import test_staff_tips as staff_tips
from tests.functional.test_staff_tips import PHONE, assign, sign_in, step

# The tip page's fixtures: officers of every role around county A, and a tip with a contact and files.
officers, category, tip = staff_tips.officers, staff_tips.category, staff_tips.tip

NOT_TEXT = "Type this as text: a file cannot go here."


def token(testapp, tip_id):
    return testapp.get(f"/staff/tips/{tip_id}").html.select_one('input[name="csrf_token"]')["value"]


def saved(dbsession):
    """Everything a tip page's action writes: audit events, thread lines, links, rewards."""
    return tuple(dbsession.execute(select(func.count()).select_from(model)).scalar_one()
                 for model in (AuditEvent, TipMessage, TipLink, TipReward))


def file_part(text="Calling back about the van"):
    return Upload("reason.txt", text.encode(), "text/plain")


def started(testapp, dbsession, tip, officers):
    """The tip assigned to handler_county and started by them; they are signed in."""
    sign_in(testapp, "mod_county")
    assign(testapp, dbsession, tip, officers)
    sign_in(testapp, "handler_county")
    step(testapp, tip.id, "start")
    dbsession.refresh(tip)


def test_a_file_part_under_any_text_field_is_a_400_and_nothing_is_saved(testapp, dbsession, officers, tip):
    started(testapp, dbsession, tip, officers)
    twin = make_tip(dbsession, tip.unit)
    url, csrf = f"/staff/tips/{tip.id}", token(testapp, tip.id)
    before = saved(dbsession)
    posts = [
        [("action", "step"), ("step", "close"), ("version", str(tip.version)), ("outcome", "actionable"),
         ("reason", file_part())],
        [("action", "reveal"), ("reason", file_part())],
        [("action", "message"), ("body", file_part())],
        [("action", "note"), ("body", file_part())],
        [("action", "link_tip"), ("number", file_part(str(twin.id))), ("kind", "related")],
        [("action", "link_notice"), ("number", file_part("12"))],
        [("action", "reward_propose"), ("amount", file_part("100")), ("reason", "Led to the seizure.")],
    ]
    for fields in posts:
        refused = testapp.post(url, [("csrf_token", csrf), *fields], status=400)
        assert NOT_TEXT in refused.text, fields[0]
        assert PHONE not in refused.text and f"Tip {tip.id}" in refused.text
    assert saved(dbsession) == before
    dbsession.refresh(tip)
    assert (tip.state, tip.contact_viewed_at) == ("in_progress", None)


def test_a_file_part_in_a_reward_decision_or_payment_is_a_400(testapp, dbsession, officers, tip):
    started(testapp, dbsession, tip, officers)
    form = testapp.get(f"/staff/tips/{tip.id}").forms["reward-propose"]
    form["amount"], form["reason"] = "500", "Led to the seizure."
    form.submit(status=303)
    (reward,) = dbsession.execute(select(TipReward)).scalars().all()
    sign_in(testapp, "mod_county")
    url, csrf = f"/staff/tips/{tip.id}", token(testapp, tip.id)
    before = saved(dbsession)
    common = [("csrf_token", csrf), ("reward", str(reward.id)), ("version", str(reward.version))]
    refused = testapp.post(url, [*common, ("action", "reward_decide"), ("decision", "approve"),
                                 ("reason", file_part())], status=400)
    assert NOT_TEXT in refused.text
    assert refused.html.select_one(f"#reward-approve-{reward.id}-error") is not None  # at its form
    refused = testapp.post(url, [*common, ("action", "reward_pay"), ("code", file_part("1234"))], status=400)
    assert NOT_TEXT in refused.text
    assert saved(dbsession) == before
    dbsession.refresh(reward)
    assert reward.state == "proposed"


def test_a_nul_is_dropped_and_the_rest_taken(testapp, dbsession, officers, tip):
    started(testapp, dbsession, tip, officers)
    url, csrf = f"/staff/tips/{tip.id}", token(testapp, tip.id)
    testapp.post(url, {"csrf_token": csrf, "action": "note", "body": "Same\x00 van as before."}, status=303)
    assert dbsession.execute(select(TipMessage.body).where(TipMessage.internal.is_(True))).scalar_one() \
        == "Same van as before."
    shown = testapp.post(url, {"csrf_token": csrf, "action": "reveal", "reason": "Call\x00 back about the van"},
                         status=200)
    assert PHONE in shown.text
    (event,) = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "protected.reveal")).scalars()
    assert event.reason == "tip.contact: Call back about the van"
    dbsession.refresh(tip)
    testapp.post(url, {"csrf_token": csrf, "action": "step", "step": "close", "version": str(tip.version),
                       "outcome": "actionable", "reason": "Seized\x00 it."}, status=303)
    dbsession.refresh(tip)
    assert (tip.state, tip.reason) == ("closed", "Seized it.")


def test_a_field_over_its_length_comes_back_typed_with_its_message(testapp, dbsession, officers, tip):
    started(testapp, dbsession, tip, officers)
    before = saved(dbsession)
    form = testapp.get(f"/staff/tips/{tip.id}").forms["message"]
    form["body"] = "x" * 4001
    refused = form.submit(status=400)
    assert "Please keep it under 4000 characters." in refused.text
    assert refused.forms["message"]["body"].value == "x" * 4001
    refused = step(testapp, tip.id, "close", status=400, outcome="actionable", reason="y" * 2001)
    assert "Please keep the reason under 2000 characters." in refused.text
    assert refused.forms["step-close"]["reason"].value == "y" * 2001
    assert refused.forms["step-close"]["outcome"].value == "actionable"
    form = testapp.get(f"/staff/tips/{tip.id}").forms["link-tip"]
    form["number"] = "12a"
    refused = form.submit(status=400)
    assert "digits only" in refused.text and refused.forms["link-tip"]["number"].value == "12a"
    assert saved(dbsession) == before
    dbsession.refresh(tip)
    assert tip.state == "in_progress"


def test_a_form_the_page_does_not_offer_answers_on_top_of_the_page(testapp, dbsession, officers, tip):
    """A step the page does not show (a forged or an old page), or no action at all: the message is
    on top, never lost with a form that is not there."""
    sign_in(testapp, "mod_county")
    url, csrf = f"/staff/tips/{tip.id}", token(testapp, tip.id)
    before = saved(dbsession)
    refused = testapp.post(url, {"csrf_token": csrf, "action": "step", "step": "assign", "version": str(tip.version),
                                 "handler": "999999"}, status=400)
    assert "step-assign" not in refused.forms
    alert = refused.html.select_one("p.alert-danger")
    assert alert is not None and "Choose a handler from the list." in alert.text
    for fields in ({"action": "fly"}, {}, {"action": "step", "step": "fly", "version": str(tip.version)}):
        refused = testapp.post(url, dict(fields, csrf_token=csrf), status=400)
        assert "Choose one of the buttons on the page." in refused.html.select_one("p.alert-danger").text
    refused = testapp.post(url, {"csrf_token": csrf, "action": "reward_decide", "reward": "1", "decision": "approve",
                                 "reason": "Fine."}, status=400)
    assert "Choose one of the buttons on the page." in refused.text
    assert saved(dbsession) == before
    dbsession.refresh(tip)
    assert tip.state == "received"


def test_a_step_not_open_from_the_state_changes_nothing(testapp, dbsession, officers, tip):
    sign_in(testapp, "mod_county")
    before = saved(dbsession)
    for name, extra in (("start", {}), ("close", {"outcome": "actionable", "reason": "Done."}),
                        ("reassign", {"handler": str(officers["handler"].id), "reason": "Leave."})):
        refused = testapp.post(f"/staff/tips/{tip.id}", dict(extra, csrf_token=token(testapp, tip.id), action="step",
                                                           step=name, version=str(tip.version)), status="*")
        assert refused.status_int in (403, 409), name
        assert "alert-danger" in refused.text
    assert saved(dbsession) == before
    dbsession.refresh(tip)
    assert (tip.state, tip.assigned_to_id) == ("received", None)
