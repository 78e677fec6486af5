"""The life of a notice other than a missing-person appeal (DESIGN.md section 4)."""
from portal.core.permissions import Permission
from portal.workflow import Transition, Workflow

MODERATE = str(Permission.MODERATE)

NOTICE_WORKFLOW = Workflow(
    name="notice",
    states=("draft", "in_review", "published", "resolved", "expired", "retracted"),
    initial="draft",
    final=("resolved", "expired", "retracted"),
    transitions=(
        Transition("submit", ("draft",), "in_review", MODERATE),
        Transition("request_changes", ("in_review",), "draft", MODERATE, needs_reason=True),
        Transition("approve", ("in_review",), "published", MODERATE),
        Transition("resolve", ("published",), "resolved", MODERATE, needs_reason=True),
        Transition("retract", ("published",), "retracted", MODERATE, needs_reason=True),
        Transition("expire", ("published",), "expired", MODERATE),
    ),
)
