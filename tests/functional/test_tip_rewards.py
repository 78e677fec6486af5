"""Rewards for tips: the assigned handler proposes, a second officer approves or refuses (never the
proposer), and a third officer (neither of them) pays it only against this tip's receipt code,
recording the payee's identity document (sealed, shown only with a reason) and the amount handed
over; each step audited."""
import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.privacy import receipts
from portal.tips.models import TipReward
from tests.factories import make_officer, make_tip
from tests.functional.helpers import login

PAYEE = "11010519491231002X"  # a resident ID number whose check character is right


@pytest.fixture
def officers(dbsession, units):
    return {
        # Moderator and handler at once: the one case where four eyes must be enforced by the rule.
        "handler": make_officer(dbsession, units["county_a"], ["moderator", "handler"], username="both_county"),
        "moderator": make_officer(dbsession, units["city_a"], ["moderator"], username="mod_city"),
        "cashier": make_officer(dbsession, units["city_a"], ["moderator"], username="cashier_city"),
        "other_handler": make_officer(dbsession, units["city_a"], ["handler"], username="handler_city"),
        "outsider": make_officer(dbsession, units["city_b"], ["moderator"], username="mod_b"),
    }


@pytest.fixture
def tip(dbsession, units, officers):
    return make_tip(dbsession, units["county_a"], state="in_progress", assigned_to=officers["handler"])


@pytest.fixture
def code(dbsession, registry, tip):
    return receipts.issue(dbsession, registry["receipt_hasher"], "tip", tip.id)


def sign_in(testapp, username):
    testapp.reset()
    return login(testapp, username)


def submit(testapp, tip_id, form_id, status=303, **fields):
    form = testapp.get(f"/staff/tips/{tip_id}").forms[form_id]
    for name, value in fields.items():
        form[name] = value
    return form.submit(status=status)


def reward_events(dbsession):
    return [(e.action, e.actor, e.from_state, e.to_state, e.reason) for e in dbsession.execute(
        select(AuditEvent).where(AuditEvent.object_type == "tip_reward").order_by(AuditEvent.id)).scalars()]


def only_reward(dbsession, tip):
    (reward,) = dbsession.execute(select(TipReward).where(TipReward.tip_id == tip.id)).scalars().all()
    dbsession.refresh(reward)
    return reward


def propose(testapp, tip, amount="2000", reason="Led to the seizure of 40 detonators."):
    sign_in(testapp, "both_county")
    return submit(testapp, tip.id, "reward-propose", amount=amount, reason=reason)


def test_propose_approve_pay(testapp, dbsession, registry, officers, tip, code):
    propose(testapp, tip)
    reward = only_reward(dbsession, tip)
    assert (reward.state, reward.amount, reward.proposed_by_id) == ("proposed", 2000, officers["handler"].id)
    page = testapp.get(f"/staff/tips/{tip.id}")
    assert "reward-propose" not in page.forms  # one open reward per tip
    token = page.html.select_one('input[name="csrf_token"]')["value"]
    second = testapp.post(f"/staff/tips/{tip.id}", {"csrf_token": token, "action": "reward_propose", "amount": "300",
                                                    "reason": "Sent twice."}, status=409)
    assert "already has an open reward" in second.text
    assert f"reward-approve-{reward.id}" not in page.forms  # the proposer does not decide
    assert "A second officer" in page.text
    sign_in(testapp, "mod_city")
    submit(testapp, tip.id, f"reward-approve-{reward.id}", reason="Checked against the seizure report.")
    reward = only_reward(dbsession, tip)
    assert (reward.state, reward.approved_by_id, reward.decision_reason) == (
        "approved", officers["moderator"].id, "Checked against the seizure report.")
    assert reward.approved_at is not None
    # The approver cannot pay what they approved: a third officer pays.
    assert f"reward-pay-{reward.id}" not in testapp.get(f"/staff/tips/{tip.id}").forms
    sign_in(testapp, "both_county")  # nor the proposer
    assert f"reward-pay-{reward.id}" not in testapp.get(f"/staff/tips/{tip.id}").forms
    sign_in(testapp, "cashier_city")
    # At the counter: a wrong code (another tip's, or made up) pays nothing.
    other = make_tip(dbsession, tip.unit)
    other_code = receipts.issue(dbsession, registry["receipt_hasher"], "tip", other.id)
    for wrong in (other_code, "1234 5678 9012 3456", "not a code"):
        page = submit(testapp, tip.id, f"reward-pay-{reward.id}", status=400, code=wrong, payee_id=PAYEE,
                      amount_paid="2000")
        assert "not the receipt code of this tip" in page.text
        assert only_reward(dbsession, tip).state == "approved"
    spaced = " ".join(code[i:i + 4] for i in range(0, 16, 4))  # as printed on the receipt
    page = submit(testapp, tip.id, f"reward-pay-{reward.id}", code=spaced, payee_id=PAYEE, amount_paid="1500").follow()
    assert "Paid" in page.text and PAYEE not in page.text and "identity document recorded (protected)" in page.text
    reward = only_reward(dbsession, tip)
    assert (reward.state, reward.paid_by_id, reward.amount_paid) == ("paid", officers["cashier"].id, 1500)
    assert reward.paid_at is not None and PAYEE not in reward.payee_id_sealed
    assert reward_events(dbsession) == [
        ("tip_reward.proposed", "officer:both_county", "", "proposed",
         f"tip {tip.id}: 2000 yuan: Led to the seizure of 40 detonators."),
        ("tip_reward.approve", "officer:mod_city", "proposed", "approved",
         f"tip {tip.id}: 2000 yuan: Checked against the seizure report."),
        ("tip_reward.pay", "officer:cashier_city", "approved", "paid",
         f"tip {tip.id}: 1500 of 2000 yuan paid against the tip's receipt; the payee's identity document recorded"),
    ]
    assert not any(PAYEE in e[4] for e in reward_events(dbsession))
    assert not any(code in e[4] or spaced in e[4] for e in reward_events(dbsession))
    history = testapp.get(f"/staff/tips/{tip.id}").text
    assert "tip_reward.pay" in history and "tip_reward.proposed" in history
    # Paid is final; a new proposal is possible again (the tip is still being worked on).
    sign_in(testapp, "both_county")
    assert "reward-propose" in testapp.get(f"/staff/tips/{tip.id}").forms


def test_the_proposer_cannot_decide_even_as_a_moderator(testapp, dbsession, officers, tip):
    propose(testapp, tip)
    reward = only_reward(dbsession, tip)
    page = testapp.get(f"/staff/tips/{tip.id}")
    token = page.html.select_one('input[name="csrf_token"]')["value"]
    for decision in ("approve", "refuse"):
        refused = testapp.post(f"/staff/tips/{tip.id}", {
            "csrf_token": token, "action": "reward_decide", "reward": str(reward.id), "version": str(reward.version),
            "decision": decision, "reason": "Looks right to me."}, status=403)
        assert "A second officer must decide" in refused.text
    assert only_reward(dbsession, tip).state == "proposed"
    assert [e[0] for e in reward_events(dbsession)] == ["tip_reward.proposed"]


def test_refuse_with_a_reason_then_propose_again(testapp, dbsession, officers, tip):
    propose(testapp, tip, amount="50000")
    reward = only_reward(dbsession, tip)
    sign_in(testapp, "mod_city")
    page = submit(testapp, tip.id, f"reward-refuse-{reward.id}", status=400, reason="  ")
    assert "Give a reason" in page.text
    submit(testapp, tip.id, f"reward-refuse-{reward.id}", reason="Too much for a tip like this; propose 5,000.")
    reward = only_reward(dbsession, tip)
    assert (reward.state, reward.approved_by_id) == ("refused", None)
    assert f"reward-pay-{reward.id}" not in testapp.get(f"/staff/tips/{tip.id}").forms
    propose(testapp, tip, amount="5000")
    assert sorted(r.state for r in dbsession.execute(select(TipReward)).scalars()) == ["proposed", "refused"]


@pytest.mark.parametrize("amount", ["0", "-5", "1000001", "12.5", "lots", ""])
def test_the_amount_is_whole_positive_and_bounded(testapp, dbsession, tip, amount):
    sign_in(testapp, "both_county")
    refused = submit(testapp, tip.id, "reward-propose", status=400, amount=amount, reason="Good tip.")
    assert "whole yuan, from 1 to 1000000" in refused.text
    assert refused.forms["reward-propose"]["reason"].value == "Good tip."
    assert dbsession.execute(select(TipReward)).first() is None


def test_only_the_assigned_handler_proposes(testapp, dbsession, officers, tip):
    for who in ("mod_city", "handler_city"):
        sign_in(testapp, who)
        page = testapp.get(f"/staff/tips/{tip.id}")
        assert "reward-propose" not in page.forms
        token = page.html.select_one('input[name="csrf_token"]')["value"]
        refused = testapp.post(f"/staff/tips/{tip.id}", {"csrf_token": token, "action": "reward_propose",
                                                         "amount": "100", "reason": "Me too."}, status=403)
        assert "Only the handler assigned" in refused.text
    assert dbsession.execute(select(TipReward)).first() is None


def test_a_dismissed_tip_earns_no_reward(testapp, dbsession, units, officers):
    spam = make_tip(dbsession, units["county_a"], state="closed", outcome="spam", assigned_to=officers["handler"])
    sign_in(testapp, "both_county")
    page = testapp.get(f"/staff/tips/{spam.id}")
    assert "reward-propose" not in page.forms
    token = page.html.select_one('input[name="csrf_token"]')["value"]
    testapp.post(f"/staff/tips/{spam.id}", {"csrf_token": token, "action": "reward_propose", "amount": "100",
                                            "reason": "Anyway."}, status=409)
    assert dbsession.execute(select(TipReward)).first() is None


def test_a_decision_on_a_stale_page_gets_409(testapp, dbsession, officers, tip):
    propose(testapp, tip)
    reward = only_reward(dbsession, tip)
    sign_in(testapp, "mod_city")
    old_page = testapp.get(f"/staff/tips/{tip.id}")
    submit(testapp, tip.id, f"reward-refuse-{reward.id}", reason="Not enough evidence yet.")
    form = old_page.forms[f"reward-approve-{reward.id}"]
    form["reason"] = "Fine."
    refused = form.submit(status=409)
    assert "Someone else decided on this reward meanwhile" in refused.text
    assert only_reward(dbsession, tip).state == "refused"


def test_receipt_codes_tried_at_the_counter_are_rate_limited(testapp, dbsession, registry, officers, tip, code,
                                                             monkeypatch):
    monkeypatch.setitem(registry.settings, "portal.reward.codes_per_hour", "2")
    propose(testapp, tip)
    reward = only_reward(dbsession, tip)
    sign_in(testapp, "mod_city")
    submit(testapp, tip.id, f"reward-approve-{reward.id}", reason="Fine.")
    sign_in(testapp, "cashier_city")
    for _ in range(2):
        submit(testapp, tip.id, f"reward-pay-{reward.id}", status=400, code="0000000000000000", payee_id=PAYEE)
    limited = submit(testapp, tip.id, f"reward-pay-{reward.id}", status=429, code=code, payee_id=PAYEE)
    assert "Too many receipt codes tried" in limited.text and int(limited.headers["Retry-After"]) > 0
    assert only_reward(dbsession, tip).state == "approved"


def test_another_units_officer_cannot_touch_the_reward(testapp, dbsession, officers, tip):
    propose(testapp, tip)
    sign_in(testapp, "mod_b")
    testapp.get(f"/staff/tips/{tip.id}", status=403)
    assert only_reward(dbsession, tip).state == "proposed"


@pytest.mark.parametrize("value", ["\u00b2", "\u0663", "99999999999", "", "x"])  # "²".isdigit() but int("²") fails
def test_a_reward_number_that_is_no_id_is_refused_clearly(testapp, dbsession, officers, tip, value):
    propose(testapp, tip)
    reward = only_reward(dbsession, tip)
    sign_in(testapp, "mod_city")
    page = testapp.get(f"/staff/tips/{tip.id}")
    token = page.html.select_one('input[name="csrf_token"]')["value"]
    refused = testapp.post(f"/staff/tips/{tip.id}", {"csrf_token": token, "action": "reward_decide", "reward": value,
                                                     "version": str(reward.version), "decision": "approve",
                                                     "reason": "Checked."}, status=400)
    assert "Choose one of the buttons on the page." in refused.text
    assert only_reward(dbsession, tip).state == "proposed"


def _approved(testapp, dbsession, tip):
    propose(testapp, tip)
    reward = only_reward(dbsession, tip)
    sign_in(testapp, "mod_city")
    submit(testapp, tip.id, f"reward-approve-{reward.id}", reason="Checked against the seizure report.")
    return reward


def test_the_approver_cannot_pay_even_by_posting_the_form(testapp, dbsession, officers, tip, code):
    reward = _approved(testapp, dbsession, tip)
    page = testapp.get(f"/staff/tips/{tip.id}")
    token = page.html.select_one('input[name="csrf_token"]')["value"]
    refused = testapp.post(f"/staff/tips/{tip.id}", {"csrf_token": token, "action": "reward_pay", "reward": reward.id,
                                                     "version": reward.version, "code": code, "payee_id": PAYEE,
                                                     "amount_paid": "2000"}, status=403)
    assert "A third officer pays" in refused.text
    assert only_reward(dbsession, tip).state == "approved"


@pytest.mark.parametrize("payee_id,amount,message", [
    ("110105194912310021", "2000", "This resident ID number is not valid"),  # wrong check character
    ("ab", "2000", "Type the number of the identity document"),
    ("E1234567<script>", "2000", "Type the number of the identity document"),
    (PAYEE, "2001", "at most the approved 2000 yuan"),
    (PAYEE, "0", "Give the amount handed over in whole yuan"),
])
def test_a_payment_with_a_bad_document_or_amount_is_refused_with_the_form_kept(testapp, dbsession, officers, tip, code,
                                                                                payee_id, amount, message):
    reward = _approved(testapp, dbsession, tip)
    sign_in(testapp, "cashier_city")
    page = submit(testapp, tip.id, f"reward-pay-{reward.id}", status=400, code=code, payee_id=payee_id,
                  amount_paid=amount)
    assert message in page.text
    assert page.html.select_one(f"#reward-pay-{reward.id}-payee")["value"] == payee_id.strip()
    reward = only_reward(dbsession, tip)
    assert (reward.state, reward.payee_id_sealed, reward.amount_paid) == ("approved", None, None)


def test_who_received_a_reward_is_shown_to_a_moderator_only_with_a_reason_and_audited(testapp, dbsession, officers,
                                                                                       tip, code):
    reward = _approved(testapp, dbsession, tip)
    sign_in(testapp, "cashier_city")
    submit(testapp, tip.id, f"reward-pay-{reward.id}", code=code, payee_id=PAYEE, amount_paid="2000")
    sign_in(testapp, "mod_city")
    page = submit(testapp, tip.id, f"reward-payee-{reward.id}", status=400, reason="no")
    assert PAYEE not in page.text
    page = submit(testapp, tip.id, f"reward-payee-{reward.id}", status=200, reason="Quarterly audit of payments")
    assert PAYEE in page.text and "this viewing is in the audit log" in page.text
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "protected.reveal",
                                                       AuditEvent.object_type == "tip_reward")).scalar_one()
    assert event.actor == "officer:mod_city" and event.reason == "tip_reward.payee_id: Quarterly audit of payments"
    assert PAYEE not in testapp.get(f"/staff/tips/{tip.id}").text  # shown in that response only
    sign_in(testapp, "handler_city")  # a handler without the moderator's role sees that it was recorded, no more
    page = testapp.get(f"/staff/tips/{tip.id}")
    assert f"reward-payee-{reward.id}" not in page.forms and "identity document recorded" in page.text
