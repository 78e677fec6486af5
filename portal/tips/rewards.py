"""Rewards for tips: the assigned handler proposes an amount with a reason, a second officer (a
moderator who is not the proposer) approves or refuses it with a reason, and it is paid at the
counter to whoever shows the tip's receipt code, by a third officer (neither the proposer nor the
approver), who records the payee's identity document (a protected field: sealed, shown only with a
reason, audited) and the amount handed over (at most the approved amount). Each step is audited
(REWARD_WORKFLOW); the reporter sees an approved reward and how to claim it on /status
(services/tips.visible_rewards).

Only one reward of a tip is open (proposed or approved) at a time. Paying checks the code against
this tip's receipt (a slow hash; each officer's attempts are rate-limited like the public's), and
the code itself is never stored or audited."""
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal.abuse.ratelimit import count_per_hour
from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.privacy import protected, receipts
from portal.tips import updates as tip_updates
from portal.tips.models import Tip, TipReward
from portal.tips.submission import SUBJECT_TYPE
from portal.tips.workflow import MODERATE, REWARD_STATE_LABELS, REWARD_WORKFLOW, is_assigned_handler

OPEN_STATES = ("proposed", "approved")
STATE_LABELS = REWARD_STATE_LABELS
STALE = REWARD_WORKFLOW.stale_message
WRONG_CODE = _("This is not the receipt code of this tip. Nothing was paid.")
PAYEE_LABEL = "tip_reward.payee_id"


def rewards(dbsession, tip: Tip) -> list[TipReward]:
    return list(dbsession.execute(
        select(TipReward).where(TipReward.tip_id == tip.id).order_by(TipReward.proposed_at, TipReward.id)
    ).scalars())


def open_reward(dbsession, tip: Tip) -> TipReward | None:
    return dbsession.execute(
        select(TipReward).where(TipReward.tip_id == tip.id, TipReward.state.in_(OPEN_STATES)).limit(1)
    ).scalar_one_or_none()


def rewardable(tip: Tip) -> bool:
    """Worked on, or closed as actionable: a dismissed tip earns nothing."""
    return tip.state == "in_progress" or (tip.state == "closed" and tip.outcome == "actionable")


def may_propose(request, tip: Tip, context) -> bool:
    return (rewardable(tip) and is_assigned_handler(request, tip, context)
            and open_reward(request.dbsession, tip) is None)


def may_decide(request, reward: TipReward, context) -> bool:
    """A second officer with the moderator's permission, never the proposer."""
    return reward.state in OPEN_STATES and REWARD_WORKFLOW.refusal(
        request, reward, "refuse", context=context, check_reason=False) is None


def may_pay(request, reward: TipReward, context) -> bool:
    return REWARD_WORKFLOW.refusal(request, reward, "pay", context=context) is None


def propose(request, tip: Tip, amount: int, reason: str, *, context) -> TipReward:
    if not is_assigned_handler(request, tip, context):
        raise Refused(_("Only the handler assigned to this tip can propose a reward."), 403)
    if not rewardable(tip):
        raise Refused(_("A reward can be proposed while the tip is in progress or once it is closed as "
                        "actionable."), 409)
    # Two proposals sent at once (a double click) must not both find no open reward: the second
    # waits here for the first to commit, then finds it (PostgreSQL; SQLite writes one at a time).
    request.dbsession.execute(select(Tip.id).where(Tip.id == tip.id).with_for_update())
    if open_reward(request.dbsession, tip) is not None:
        raise Refused(_("This tip already has an open reward: it must be paid or refused first."), 409)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Give a reason."), 400, "reason")
    reward = TipReward(tip_id=tip.id, state=REWARD_WORKFLOW.initial, amount=int(amount), reason=reason,
                       proposed_by_id=request.identity.id)
    request.dbsession.add(reward)
    request.dbsession.flush()
    audit.record(request, "tip_reward.proposed", object_type=REWARD_WORKFLOW.name, object_id=reward.id,
                 to_state=reward.state, reason=f"tip {tip.id}: {reward.amount} yuan: {reason}")
    return reward


def _step(request, reward: TipReward, name: str, reason: str, *, context, version, changes: dict) -> None:
    try:
        with request.dbsession.begin_nested():
            REWARD_WORKFLOW.apply(request, reward, name, reason=reason, context=context, version=version)
            for attribute, value in changes.items():
                setattr(reward, attribute, value)
            request.dbsession.flush()
    except StaleDataError:
        raise Refused(STALE, 409) from None


def decide(request, reward: TipReward, decision: str, reason: str, *, context, version) -> None:
    """Approve or refuse, with a reason; the proposer cannot decide on their own proposal."""
    if decision not in ("approve", "refuse"):
        raise Refused(_("Choose one of the buttons on the page."), 400)
    reason = (reason or "").strip()
    # A reason for either decision (the workflow asks one of a refusal only).
    refused = REWARD_WORKFLOW.refusal(request, reward, decision, reason=reason or "-", context=context,
                                      version=version)
    if refused is not None:
        raise refused
    if not reason:
        raise Refused(_("Give a reason."), 400, "reason")
    changes = {"decision_reason": reason}
    if decision == "approve":
        changes.update(approved_by_id=request.identity.id, approved_at=utcnow())
    _step(request, reward, decision, f"tip {reward.tip_id}: {reward.amount} yuan: {reason}", context=context,
          version=version, changes=changes)
    if decision == "approve":
        tip_updates.tell(request, request.dbsession.get(Tip, reward.tip_id), tip_updates.REWARD_APPROVED)


def pay(request, reward: TipReward, code: str, payee_id: str, amount_paid: int, *, context, version) -> None:
    """Mark an approved reward paid once the code the person shows is this tip's receipt, with the
    payee's identity document (sealed) and the amount handed over. RateLimited when the officer has
    tried too many codes this hour."""
    refused = REWARD_WORKFLOW.refusal(request, reward, "pay", context=context, version=version)
    if refused is not None:
        raise refused
    if not 0 < amount_paid <= reward.amount:
        raise Refused(_("The amount paid is at most the approved ${amount} yuan.", mapping={"amount": reward.amount}),
                      400, "amount_paid")
    count_per_hour(request, f"reward-pay:{request.identity.id}", "portal.reward.codes_per_hour")
    receipt = receipts.lookup(request.dbsession, request.registry["receipt_hasher"], code)
    if receipt is None or receipt.subject_type != SUBJECT_TYPE or receipt.subject_id != reward.tip_id:
        raise Refused(WRONG_CODE, 400, "code")
    _step(request, reward, "pay", f"tip {reward.tip_id}: {amount_paid} of {reward.amount} yuan paid against the "
          "tip's receipt; the payee's identity document recorded", context=context, version=version,
          changes={"paid_by_id": request.identity.id, "paid_at": utcnow(), "amount_paid": amount_paid,
                   "payee_id_sealed": protected.seal(request, payee_id, PAYEE_LABEL)})


def may_see_payee(request, reward: TipReward, context) -> bool:
    """Who may look up who received a reward (an audit of payments): a moderator of the tip's units."""
    return reward.payee_id_sealed is not None and bool(request.has_permission(MODERATE, context))


def reveal_payee(request, reward: TipReward, reason: str, *, context) -> str:
    if not may_see_payee(request, reward, context):
        raise Refused(_("Only a moderator of this tip's units can see who received a reward."), 403)
    return protected.reveal(request, reward.payee_id_sealed, officer=request.identity, label=PAYEE_LABEL,
                            object_type=REWARD_WORKFLOW.name, object_id=reward.id, reason=reason)
