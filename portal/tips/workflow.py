"""The life of a tip and of its reward (DESIGN.md section 4).

Moderators triage the unit's incoming tips: they accept them for work, transfer them to the unit
that is really responsible, assign a handler, or dismiss them (spam, duplicate, unfounded). The
assigned handler works the tip and closes it with an outcome. Whatever moves a tip to another
unit or ends it carries a reason. Who may act beyond the permission (only the assigned handler
starts and closes; the approver of a reward is not its proposer) is checked in services/tips.py."""
from portal.core.permissions import Permission
from portal.workflow import Transition, Workflow

MODERATE = str(Permission.MODERATE)
HANDLE = str(Permission.HANDLE)

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
        Transition("start", ("assigned",), "in_progress", HANDLE),
        # Moderators end what needs no handling (spam, duplicate, unfounded); handlers close their work.
        Transition("dismiss", ("received", "triaged"), "closed", MODERATE, needs_reason=True),
        Transition("close", ("assigned", "in_progress"), "closed", HANDLE, needs_reason=True),
    ),
)

REWARD_WORKFLOW = Workflow(
    name="tip_reward",
    states=("proposed", "approved", "paid", "refused"),
    initial="proposed",
    final=("paid", "refused"),
    transitions=(
        Transition("approve", ("proposed",), "approved", MODERATE),
        Transition("refuse", ("proposed", "approved"), "refused", MODERATE, needs_reason=True),
        # Paid at the counter to whoever shows the tip's receipt code (services/tip_rewards.py checks it).
        Transition("pay", ("approved",), "paid", MODERATE),
    ),
)
