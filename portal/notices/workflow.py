"""The life of a notice other than a missing-person appeal (DESIGN.md section 4): an officer writes a
draft and sends it to review; a second officer approves it (four eyes) or sends it back with a
reason. A missing-person appeal follows its family's request instead (missing/workflow.py)."""
from portal.core.i18n import Labels, _
from portal.core.permissions import Permission
from portal.workflow import SYSTEM, Guard, Transition, Workflow

MODERATE = str(Permission.MODERATE)

STAFF_WRITTEN = Guard(
    lambda request, notice, context: notice.kind != "missing_person",
    _("Missing-person appeals are verified and closed in the missing-person requests queue, not here."), 400)
FOUR_EYES = Guard(
    lambda request, notice, context: getattr(request.identity, "id", None) != notice.author_id,
    _("Four eyes: you wrote this notice, so you cannot approve it. "
      "Another officer of this unit or a unit above it must approve it."), 403)

# The staff pages' names of the kinds (the public lists use plurals, notices/views/public.py).
KIND_LABELS = Labels({
    "missing_person": _("Missing person"),
    "wanted": _("Wanted suspect"),
    "lost_found": _("Lost or found item"),
    "case_appeal": _("Case appeal"),
    "vehicle": _("Wanted vehicle"),
    "reward_task": _("Reward task"),
})
STATE_LABELS = Labels({"draft": _("draft"), "in_review": _("in review"), "published": _("published"),
                "resolved": _("resolved"), "expired": _("expired"), "retracted": _("retracted")})

NOTICE_WORKFLOW = Workflow(
    name="notice",
    states=("draft", "in_review", "published", "resolved", "expired", "retracted"),
    initial="draft",
    final=("resolved", "expired", "retracted"),
    transitions=(
        Transition("submit", ("draft",), "in_review", MODERATE, guards=(STAFF_WRITTEN,)),
        Transition("request_changes", ("in_review",), "draft", MODERATE, needs_reason=True, guards=(STAFF_WRITTEN,)),
        Transition("approve", ("in_review",), "published", MODERATE, guards=(STAFF_WRITTEN, FOUR_EYES)),
        Transition("resolve", ("published",), "resolved", MODERATE, needs_reason=True, guards=(STAFF_WRITTEN,)),
        Transition("retract", ("published",), "retracted", MODERATE, needs_reason=True, guards=(STAFF_WRITTEN,)),
        # At its expiry time, by the worker only.
        Transition("expire", ("published",), "expired", SYSTEM, guards=(STAFF_WRITTEN,)),
    ),
    label=_("notice"),
    state_labels=STATE_LABELS,
)

# A change to a published notice (notices/revisions.py): approved by a second officer under the same
# permission and four eyes as the first publication, or rejected with a reason; a newer edit
# supersedes it. The engine's audit event names the revision; its reason holds the old and new values.
REVISION_FOUR_EYES = Guard(
    lambda request, revision, context: getattr(request.identity, "id", None) != revision.author_id,
    _("Four eyes: you proposed this change, so you cannot approve it. "
      "Another officer of this unit or a unit above it must approve it."), 403)
NOTICE_UNCHANGED = Guard(
    lambda request, revision, context: (revision.notice.state == "published"
                                        and revision.notice.version == revision.base_version),
    _("The notice changed after this change was proposed, so it was NOT applied. "
      "Edit the notice again from its current version."), 409)

REVISION_WORKFLOW = Workflow(
    name="notice_revision",
    states=("pending", "approved", "rejected", "superseded"),
    initial="pending",
    final=("approved", "rejected", "superseded"),
    transitions=(
        Transition("approve", ("pending",), "approved", MODERATE, guards=(REVISION_FOUR_EYES, NOTICE_UNCHANGED)),
        Transition("reject", ("pending",), "rejected", MODERATE, needs_reason=True),
        Transition("supersede", ("pending",), "superseded", MODERATE),
    ),
    label=_("change"),
    state_labels={"pending": _("waiting for approval"), "approved": _("approved"), "rejected": _("rejected"),
                  "superseded": _("replaced by a newer change")},
)
