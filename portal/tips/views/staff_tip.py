"""One tip on the police side: a MultiFormView with one PageForm per action (a workflow step, the
reporter's contact, a message, a note, a link to a tip or a notice, a reward proposed, decided or
paid); the staff copies of its files and the audited download of a file's original. The forms are written by hand in
staff/tip.html and name themselves by `action`; every field is read through Deform and colander
(schemas in tips/handling_forms.py), the rules are in tips/handling.py and tips/rewards.py."""
import os

import colander
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from portal.abuse.ratelimit import RateLimited
from portal.audit import chain as audit
from portal.core.forms import MultiFormView, PageForm, field_messages, posted_text, typed_values
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.permissions import Permission
from portal.core.refused import Refused
from portal.media.openings import record_opening
from portal.media.responses import PRIVATE, copy_response
from portal.privacy.forms import reveal_schema
from portal.privacy.protected import MIN_REASON_LENGTH
from portal.tips import handling as tip_handling
from portal.tips import handling_forms as forms
from portal.tips import rewards as tip_rewards
from portal.tips.models import TipReward
from portal.tips.submission import text_in
from portal.tips.workflow import STATE_LABELS as TIP_STATE_LABELS

STEP_LABELS = {"triage": _("Accept for checking"), "transfer": _("Send to another unit"),
               "assign": _("Assign a handler"), "reassign": _("Give to another handler"),
               "start": _("Start working on it"), "dismiss": _("Dismiss"), "close": _("Close")}
STEP_HINTS = {"triage": _("Note (optional)"), "transfer": _("Why this unit is responsible"),
              "assign": _("Note (optional)"), "reassign": _("Why it changes hands"), "start": _("Note (optional)"),
              "dismiss": _("Why it needs no handling"), "close": _("What was done and found")}
STEP_DONE = {"triage": _("Accepted: the tip can now be assigned to a handler."),
             "transfer": _("Sent: the tip is now in the other unit's queue."),
             "assign": _("Assigned: the handler finds it under \"assigned to me\"."),
             "reassign": _("Given to the other handler."), "start": _("Started: the tip is in progress."),
             "dismiss": _("Dismissed: the tip is closed."), "close": _("Closed.")}
AUTHOR_LABELS = {"reporter": _("Reporter"), "officer": _("Officer"), "system": _("System line")}
NO_BUTTON = _("Choose one of the buttons on the page.")
# Where the template writes each form's message, by the form's `action` (the ones named per step,
# reward or file are worked out in TipPage.form_id).
FORM_IDS = {"reveal": "reveal_reason", "message": "message", "note": "note", "link_tip": "link-tip",
            "link_notice": "link-notice", "reward_propose": "reward-propose"}


def _hand_written(form):
    return form  # the template writes the form: it takes what was typed and the messages from it


def _empty_schema():
    return colander.SchemaNode(colander.Mapping())


@view_config(route_name="staff_tip", renderer="staff/tip.html", permission=Permission.WORK_TIPS)
class TipPage(MultiFormView):
    """One tip with every action on it. A message about a field of the posted form is shown at that
    form, what was typed kept; anything else (not theirs to do, the tip changed meanwhile, a form no
    longer on the page) on top of the page. A refusal keeps nothing of the request."""

    def __init__(self, context, request):
        super().__init__(context, request)
        self.tip = context.tip
        self.reward: TipReward | None = None  # the one a decision or a payment is about

    # The forms ------------------------------------------------------------------------------------

    def posted_formid(self):
        return posted_text(self.request, "action")

    def forms(self):
        def one(action, schema, handler):
            return PageForm(action, schema, (("submit", ""),), {"submit": handler}, render=_hand_written)
        return [one("step", self._step_schema, self.take_step),
                one("reveal", reveal_schema, self.reveal),
                one("message", forms.message_schema, lambda data: self.post_message(data, internal=False)),
                one("note", forms.message_schema, lambda data: self.post_message(data, internal=True)),
                one("link_tip", forms.tip_link_schema, self.link_tip),
                one("link_notice", forms.notice_link_schema, self.link_notice),
                one("reward_propose", forms.proposal_schema, self.propose_reward),
                one("reward_decide", forms.decision_schema, self.decide_reward),
                one("reward_pay", forms.payment_schema, self.pay_reward),
                one("reward_payee", reveal_schema, self.reveal_payee)]

    def _step_name(self):
        name = posted_text(self.request, "step")
        return name if name in STEP_LABELS else None

    def _step_schema(self):
        """The posted step's fields; the unit, handler and outcome are choices from the page's lists."""
        name, db = self._step_name(), self.request.dbsession
        if name is None:  # refused in before(), or a page shown without a posted step
            return _empty_schema()
        units = [u.id for u in tip_handling.transfer_targets(db, self.tip)] if name == "transfer" else ()
        handlers = [h.id for h in tip_handling.handler_candidates(db, self.tip)] if name in ("assign", "reassign") \
            else ()
        return forms.step_schema(tip_handling.TIP_WORKFLOW.transition(name), unit_ids=units, handler_ids=handlers)

    def before(self):
        """What is refused before the posted fields are read: a step of no button, a page the tip has
        moved on from, an action not theirs on this tip, a reward not of this tip."""
        action, request, tip = (self.posted.formid if self.posted else None), self.request, self.tip
        if action == "step":
            if self._step_name() is None:
                raise Refused(NO_BUTTON, 400)
            tip_handling.check_version(tip, posted_text(request, "version", None))
        elif action in ("message", "note"):
            tip_handling.check_may_post(request, tip, self.context, internal=action == "note")
        elif action in ("link_tip", "link_notice"):
            tip_handling.check_may_link(request, tip, self.context)
        elif action in ("reward_decide", "reward_pay", "reward_payee"):
            reward_id = record_id(posted_text(request, "reward"))
            reward = request.dbsession.get(TipReward, reward_id) if reward_id is not None else None
            if reward is None or reward.tip_id != tip.id:
                raise Refused(NO_BUTTON, 400)
            self.reward = reward

    def other_post(self):
        raise Refused(NO_BUTTON, 400)

    # The page -------------------------------------------------------------------------------------

    def form_id(self):
        """The template's id of the posted form (its messages and what was typed go there)."""
        action = self.posted.formid
        if action == "step":
            return f"step-{posted_text(self.request, 'step')}"
        if action in ("reward_decide", "reward_pay", "reward_payee") and self.reward is not None:
            decision = posted_text(self.request, "decision")
            kind = {"reward_pay": "pay", "reward_payee": "payee"}.get(action) \
                or (decision if decision in ("approve", "refuse") else "approve")
            return f"reward-{kind}-{self.reward.id}"
        return FORM_IDS.get(action, "alert")

    def page(self, forms, error=None, contact=None, payee=None):
        request = self.request
        facts = self.facts()
        errors, typed, alert = {}, {}, None
        if self.failed:
            translate = request.localizer.translate
            posted = forms.get(self.posted.formid) if self.posted is not None else None
            text = translate(error) if error is not None or posted is None else \
                " ".join(field_messages(request, posted).values())
            where = self.form_id() if self.posted is not None else "alert"
            if posted is not None:
                typed = dict(typed_values(posted), form=where)
                if where == "reveal_reason":  # the shared reveal form (staff/_reveal.html) reads it by this name
                    typed["reveal_reason"] = typed.get("reason", "")
            if request.response.status_int == 400 and where in self._shown(facts):
                errors[where] = text
            else:  # not theirs, changed meanwhile, or its form is not on the page (any more)
                alert = text
        return {**facts, "contact": contact, "payee": payee or {}, "errors": errors, "typed": typed, "alert": alert}

    def _shown(self, facts) -> set:
        """The template's ids of the forms on the page (and of those whose message it shows anyway)."""
        shown = {"reveal_reason", "message", "reward-propose", *(f"step-{s.name}" for s in facts["steps"])}
        if facts["may_work"]:
            shown |= {"note", "link-tip", "link-notice"}
        for r in facts["rewards"]:
            if facts["may_decide"][r.id]:
                shown |= {f"reward-refuse-{r.id}"} | ({f"reward-approve-{r.id}"} if r.state == "proposed" else set())
            if facts["may_pay"][r.id]:
                shown.add(f"reward-pay-{r.id}")
            if facts["may_see_payee"][r.id]:
                shown.add(f"reward-payee-{r.id}")
        return shown

    def facts(self) -> dict:
        request, context, tip = self.request, self.context, self.tip
        db, officer, locale = request.dbsession, request.identity, request.locale_name
        steps = tip_handling.steps_for(request, tip, context)
        names = {t.name for t in steps}
        rewards = tip_rewards.rewards(db, tip)
        return {
            "tip": tip, "steps": steps, "category_name": text_in(tip.category.names, locale) or tip.category.slug,
            "answers": tip_handling.answers(tip, locale), "flag_reasons": tip_handling.flag_reasons(tip),
            "capture_km": tip_handling.capture_distances(tip),
            "first_files": [a for a in tip.attachments if a.message_id is None],
            "thread": tip_handling.thread(db, tip), "links": tip_handling.links(db, tip, officer),
            "history": tip_handling.history(db, tip), "rewards": rewards,
            "units": tip_handling.transfer_targets(db, tip) if "transfer" in names else [],
            "handlers": tip_handling.handler_candidates(db, tip) if names & {"assign", "reassign"} else [],
            "is_handler": tip_handling.is_assigned_handler(request, tip, context),
            "may_reveal": tip_handling.may_reveal(request, tip, context),
            "may_message": tip_handling.may_message_reporter(request, tip, context),
            "may_work": tip_handling.may_work_on(request, tip, context),
            "may_fetch_original": tip_handling.may_fetch_original(request, tip, context),
            "may_propose": tip_rewards.may_propose(request, tip, context),
            "may_decide": {r.id: tip_rewards.may_decide(request, r, context) for r in rewards},
            "may_pay": {r.id: tip_rewards.may_pay(request, r, context) for r in rewards},
            "may_see_payee": {r.id: tip_rewards.may_see_payee(request, r, context) for r in rewards},
            "state_labels": TIP_STATE_LABELS, "outcome_labels": tip_handling.OUTCOME_LABELS,
            "dismiss_outcomes": tip_handling.DISMISS_OUTCOMES, "link_labels": tip_handling.LINK_LABELS,
            "flag_labels": tip_handling.FLAG_LABELS, "reward_labels": tip_rewards.STATE_LABELS,
            "step_labels": STEP_LABELS, "step_hints": STEP_HINTS, "author_labels": AUTHOR_LABELS,
            "message_text": lambda m: tip_handling.message_text(request, m), "text_in": text_in,
            "max_reward": forms.MAX_REWARD, "min_reveal": MIN_REASON_LENGTH,
        }

    def _done(self, message, anchor=None):
        request = self.request
        request.session.flash(request.localizer.translate(message))
        return HTTPSeeOther(request.route_path("staff_tip", id=self.tip.id, _anchor=anchor))

    # One handler per action -----------------------------------------------------------------------

    def take_step(self, data):
        """A workflow step (triage, transfer, assign, start, dismiss, close) with its fields."""
        request, tip, name = self.request, self.tip, self._step_name()
        tip_handling.transition(request, tip, name, context=self.context, version=data["version"],
                                reason=data["reason"], unit_id=data.get("unit"), handler_id=data.get("handler"),
                                outcome=data.get("outcome"))
        request.session.flash(request.localizer.translate(STEP_DONE[name]))
        if not request.identity.unit.contains(tip.unit):  # sent out of this officer's units
            return HTTPSeeOther(request.route_path("staff_tips"))
        return HTTPSeeOther(request.route_path("staff_tip", id=tip.id))

    def reveal(self, data):
        """The reporter's contact, for the assigned handler, on a stated reason (audited first)."""
        contact = tip_handling.reveal_contact(self.request, self.tip, data["reason"], context=self.context)
        # Shown in this response only: no redirect, nothing kept in the session or the page.
        return self.show(contact=contact)

    def post_message(self, data, *, internal: bool):
        """A message to the reporter (on their /status page), or a note only officers see."""
        tip_handling.post_message(self.request, self.tip, data["body"], internal=internal, context=self.context)
        return self._done(_("Note saved: only officers see it.") if internal
                          else _("Sent: the reporter sees it on their status page."), anchor="thread")

    def link_tip(self, data):
        tip_handling.link_tip(self.request, self.tip, data["number"], data["kind"], context=self.context)
        return self._done(_("Linked."), anchor="links")

    def link_notice(self, data):
        tip_handling.link_notice(self.request, self.tip, data["number"], context=self.context)
        return self._done(_("Linked."), anchor="links")

    def propose_reward(self, data):
        """The assigned handler proposes a reward; a second officer decides on it."""
        tip_rewards.propose(self.request, self.tip, data["amount"], data["reason"], context=self.context)
        return self._done(_("Proposed: a second officer decides on it."), anchor="rewards")

    def decide_reward(self, data):
        """A second officer approves or refuses a proposed reward, with a reason."""
        tip_rewards.decide(self.request, self.reward, data["decision"], data["reason"], context=self.context,
                           version=data["version"])
        return self._done(_("Approved: the reporter is told how to claim it.") if data["decision"] == "approve"
                          else _("Refused."), anchor="rewards")

    def pay_reward(self, data):
        """An approved reward paid against the tip's receipt code, which the person shows."""
        try:
            tip_rewards.pay(self.request, self.reward, data["code"], data["payee_id"], data["amount_paid"],
                            context=self.context, version=data["version"])
        except RateLimited as limited:
            raise RateLimited(limited.retry_after, _("Too many receipt codes tried. Please wait a while and try "
                                                     "again.")) from None
        return self._done(_("Paid: recorded in the audit log."), anchor="rewards")

    def reveal_payee(self, data):
        """Who received a paid reward, for a moderator on a stated reason (audited first); shown in
        this response only."""
        payee = tip_rewards.reveal_payee(self.request, self.reward, data["reason"], context=self.context)
        return self.show(payee={self.reward.id: payee})


def _disposition(response, kind: str, tip_id: int, media_id: int, suffix: str) -> None:
    # A name of our own: never the reporter's file name, which may say who they are.
    response.content_disposition = f'{kind}; filename="tip-{tip_id}-{media_id}{suffix}"'


@view_config(route_name="staff_tip_media", request_method="GET", permission=Permission.WORK_TIPS)
def tip_media(context, request):
    """The staff copy of a file (?thumb=1: its thumbnail): a re-encoded photo, or a video or sound
    recording with its metadata blanked; ?play=1 the playable copy the worker made of a video or sound
    recording (?poster=1 its poster frame). The original stays as evidence. 404 for a file without
    such a copy (yet)."""
    media, thumb = context.media, request.GET.get("thumb") == "1"
    made = media.staff_copy if media.staff_copy is not None and media.staff_copy.state == "ready" else None
    if request.GET.get("play") == "1" or request.GET.get("poster") == "1":
        poster = request.GET.get("poster") == "1"
        key = (made.poster_key if poster else made.copy_key) if made is not None else None
        if key is None:
            raise HTTPNotFound()
        response = copy_response(request, media, key=key, content_type="image/jpeg" if poster else made.content_type)
        response.conditional_response = True  # byte ranges: a player seeks without loading it all
        _disposition(response, "inline", context.tip.id, media.id, os.path.splitext(key)[1])
        return response
    if media.public_key is None:
        raise HTTPNotFound()
    # Photos are re-encoded to JPEG (thumbnails too); a cleaned MP4/MOV/3GP/M4A keeps its container,
    # whose type was sniffed from the bytes.
    jpeg = thumb or media.kind == "image"
    response = copy_response(request, media, thumb=thumb, content_type="image/jpeg" if jpeg else media.content_type)
    record_opening(request, media, subject_type="tip", subject_id=context.tip.id,
                   variant="thumbnail" if thumb else "staff copy")
    suffix = ".jpg" if jpeg else os.path.splitext(media.public_key)[1]
    _disposition(response, "inline", context.tip.id, media.id, suffix)
    return response


def original_allowed(media) -> bool:
    """The original is downloaded (audited) only when staff have nothing else to open: no copy could be
    made, or (files stored before staff copies) the format has none."""
    if media.staff_copy is not None:
        return media.staff_copy.state == "failed"
    return media.public_key is None


@view_config(route_name="staff_tip_media", request_method="POST", renderer="staff/tip.html",
             permission=Permission.WORK_TIPS)
class OriginalDownload(TipPage):
    """The original of a file that has no safe copy (a video or audio format we cannot clean), as a
    download, on a stated reason that goes to the audit log first; refused, the tip's page again."""

    def posted_formid(self):
        return "original"

    def forms(self):
        return [PageForm("original", reveal_schema, (("submit", ""),), {"submit": self.download},
                         render=_hand_written)]

    def before(self):
        if not tip_handling.may_fetch_original(self.request, self.tip, self.context):
            raise Refused(_("Only the handler assigned to this tip can download the original."), 403)
        if not original_allowed(self.context.media):
            raise Refused(_("This file has a safe copy: open that one. The original stays as evidence."), 400)

    def form_id(self):
        return f"original-{self.context.media.id}"

    def _shown(self, facts):
        media = self.context.media
        return {self.form_id()} if original_allowed(media) and facts["may_fetch_original"] else set()

    def download(self, data):
        request, media, tip = self.request, self.context.media, self.tip
        store = request.registry["media_store"]
        if not store.exists(media.original_key):
            raise HTTPNotFound()
        audit.record(request, "tip.media_original", object_type="tip", object_id=tip.id,
                     reason=f"media {media.id}: {data['reason']}")
        # Never rendered by the browser: a download, of a type it will not sniff or play inline.
        response = store.response(request, media.original_key, "application/octet-stream")
        response.cache_control = PRIVATE
        # The store's key ends in the extension of the sniffed type, never the name the reporter gave.
        _disposition(response, "attachment", tip.id, media.id, os.path.splitext(media.original_key)[1] or ".bin")
        return response
