"""The life of a tip and of its reward (DESIGN.md section 4).

Moderators triage the unit's incoming tips: they accept them for work, transfer them to the unit
that is really responsible, assign a handler, or dismiss them (spam, duplicate, unfounded). The
assigned handler works the tip and closes it with an outcome. Whatever moves a tip to another
unit or ends it carries a reason. Beyond the permission, guards say who: only the assigned handler
starts and closes a tip; a reward is decided by another officer than its proposer."""
from portal.core.i18n import _
from portal.core.permissions import Permission
from portal.workflow import Guard, Transition, Workflow

MODERATE = str(Permission.MODERATE)
HANDLE = str(Permission.HANDLE)

STATE_LABELS = {"received": _("received"), "triaged": _("triaged"), "assigned": _("assigned"),
                "in_progress": _("in progress"), "closed": _("closed")}
REWARD_STATE_LABELS = {"proposed": _("proposed"), "approved": _("approved"), "paid": _("paid"),
                       "refused": _("refused")}


def is_assigned_handler(request, tip, context) -> bool:
    """The officer signed in is the tip's handler and holds the handler's role in its unit scope."""
    officer = request.identity
    return (officer is not None and tip.assigned_to_id == officer.id
            and bool(request.has_permission(HANDLE, context)))


ASSIGNED_HANDLER = Guard(is_assigned_handler, _("Only the handler assigned to this tip can do this."), 403)
SECOND_OFFICER = Guard(
    lambda request, reward, context: getattr(request.identity, "id", None) != reward.proposed_by_id,
    _("A second officer must decide: you proposed this reward."), 403)
# Paying is a third officer's: the one who hands out money neither proposed nor approved it.
THIRD_OFFICER = Guard(
    lambda request, reward, context: getattr(request.identity, "id", None) not in (
        reward.proposed_by_id, reward.approved_by_id),
    _("A third officer pays: you proposed or approved this reward."), 403)

TIP_WORKFLOW = Workflow(
    name="tip",
    states=("received", "triaged", "assigned", "in_progress", "closed"),
    initial="received",
    final=("closed",),
    transitions=(
        Transition("triage", ("received",), "triaged", MODERATE),
        # To another unit: it arrives there as new, in that unit's queue.
        Transition("transfer", ("received", "triaged"), "received", MODERATE, needs_reason=True),
        Transition("assign", ("triaged",), "assigned", MODERATE),
        Transition("reassign", ("assigned", "in_progress"), "assigned", MODERATE, needs_reason=True),
        Transition("start", ("assigned",), "in_progress", HANDLE, guards=(ASSIGNED_HANDLER,)),
        # Moderators end what needs no handling (spam, duplicate, unfounded); handlers close their work.
        Transition("dismiss", ("received", "triaged"), "closed", MODERATE, needs_reason=True),
        Transition("close", ("assigned", "in_progress"), "closed", HANDLE, needs_reason=True,
                   guards=(ASSIGNED_HANDLER,)),
    ),
    label=_("tip"),
    state_labels=STATE_LABELS,
    stale_message=_("Someone else changed this tip meanwhile. Nothing was changed: check the page and try again."),
)

REWARD_WORKFLOW = Workflow(
    name="tip_reward",
    states=("proposed", "approved", "paid", "refused"),
    initial="proposed",
    final=("paid", "refused"),
    transitions=(
        Transition("approve", ("proposed",), "approved", MODERATE, guards=(SECOND_OFFICER,)),
        Transition("refuse", ("proposed", "approved"), "refused", MODERATE, needs_reason=True,
                   guards=(SECOND_OFFICER,)),
        # Paid at the counter to whoever shows the tip's receipt code (services/tip_rewards.py checks it).
        Transition("pay", ("approved",), "paid", MODERATE, guards=(THIRD_OFFICER,)),
    ),
    label=_("reward"),
    state_labels=REWARD_STATE_LABELS,
    stale_message=_("Someone else decided on this reward meanwhile. Nothing was changed: check the page."),
)
