"""The police side of tips: the unit-scoped queue, one tip with every action on it, and the staff
copies of its files. Thin: forms are read with schemas/tip_handling.py, the rules are in
services/tip_handling.py, tip_rewards.py and tip_queue.py."""
import os

import colander
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from portal.abuse.ratelimit import RateLimited
from portal.audit import chain as audit
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.pagination import BadCursor
from portal.core.permissions import Permission
from portal.core.refused import Refused
from portal.media.responses import PRIVATE, copy_response
from portal.privacy.forms import reveal_schema
from portal.privacy.protected import MIN_REASON_LENGTH, NO_REASON
from portal.tips import handling as tip_handling
from portal.tips import handling_forms as forms
from portal.tips import queue as tip_queue
from portal.tips import rewards as tip_rewards
from portal.tips.models import TipCategory, TipReward
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


# The queue ----------------------------------------------------------------------------------

def _queue_filters(request, categories) -> tuple[dict, tip_queue.QueueFilters]:
    """The filters from the query string; colander.Invalid for a bad or unknown value."""
    data = forms.parse_filters(request.GET)
    if data["category"] is not None and data["category"] not in {c.id for c in categories}:
        raise colander.Invalid(forms.filter_schema(), _("Choose a category from the list."))
    since, until = forms.utc_bounds(data)
    return data, tip_queue.QueueFilters(category_id=data["category"], state=data["state"], since=since, until=until,
                                        flagged=data["flagged"], danger=data["danger"], mine=data["mine"])


@view_config(route_name="staff_tips", renderer="staff/tips.html", permission=Permission.WORK_TIPS)
def tip_queue_page(request):
    db, officer = request.dbsession, request.identity
    categories = db.execute(TipCategory.in_order()).scalars().all()
    page = {"tips": [], "counts": None, "next_query": None, "query": {}, "typed": dict(request.GET),
            "filters": {}, "error": None, "categories": categories, "state_labels": TIP_STATE_LABELS,
            "category_name": lambda c: text_in(c.names, request.locale_name) or c.slug,
            "count_cap": tip_queue.COUNT_CAP}
    try:
        data, filters = _queue_filters(request, categories)
        scope = tip_queue.scope_of(db, officer)
        tips, cursor = tip_queue.page(db, officer, filters, cursor=request.GET.get("page") or None, scope=scope)
    except colander.Invalid as invalid:
        request.response.status_int = 400
        messages = invalid.asdict(translate=request.localizer.translate)
        return dict(page, error=" ".join(m for m in messages.values() if m))
    except BadCursor:
        request.response.status_int = 400
        return dict(page, error=_("This page link is not valid. Start again from the first page."))
    query = forms.canonical_query(data)
    return dict(page, tips=tips, filters=data, query=query,
                all_states={k: v for k, v in query.items() if k != "state"},  # the "all" link keeps the rest
                counts=tip_queue.counts(db, officer, filters, scope=scope),
                next_query=dict(query, page=cursor) if cursor else None)


# One tip ------------------------------------------------------------------------------------

def _page(request, context, tip, **extra):
    db, officer, locale = request.dbsession, request.identity, request.locale_name
    steps = tip_handling.steps_for(request, tip, context)
    names = {t.name for t in steps}
    rewards = tip_rewards.rewards(db, tip)
    page = {
        "tip": tip, "steps": steps, "category_name": text_in(tip.category.names, locale) or tip.category.slug,
        "answers": tip_handling.answers(tip, locale), "flag_reasons": tip_handling.flag_reasons(tip),
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
        "state_labels": TIP_STATE_LABELS, "outcome_labels": tip_handling.OUTCOME_LABELS,
        "dismiss_outcomes": tip_handling.DISMISS_OUTCOMES, "link_labels": tip_handling.LINK_LABELS,
        "flag_labels": tip_handling.FLAG_LABELS, "reward_labels": tip_rewards.STATE_LABELS,
        "step_labels": STEP_LABELS, "step_hints": STEP_HINTS, "author_labels": AUTHOR_LABELS,
        "message_text": lambda m: tip_handling.message_text(request, m), "text_in": text_in,
        "max_reward": forms.MAX_REWARD, "min_reveal": MIN_REASON_LENGTH,
        "contact": None, "errors": {}, "typed": {}, "alert": None,
    }
    page.update(extra)
    return page


def _refused(request, context, tip, form: str, message, status: int = 400, typed=None):
    """The page again with what was typed and why it was refused; nothing of it is kept. Bad input
    is shown at its form; anything else (not theirs to do, the tip changed meanwhile) on top of the
    page, as the form it came from may not be there any more."""
    request.tm.doom()
    request.response.status_int = status
    text = request.localizer.translate(message)
    if status != 400:
        return _page(request, context, tip, alert=text, typed=typed or {})
    return _page(request, context, tip, errors={form: text}, typed=dict(typed or {}, form=form))


def _invalid(request, context, tip, form, invalid, typed):
    messages = invalid.asdict(translate=request.localizer.translate)
    return _refused(request, context, tip, form, " ".join(m for m in messages.values() if m), 400, typed)


def _done(request, tip, message, anchor=None):
    request.session.flash(request.localizer.translate(message))
    return HTTPSeeOther(request.route_path("staff_tip", id=tip.id, _anchor=anchor))


@view_config(route_name="staff_tip", request_method="POST", request_param="action=step",
             renderer="staff/tip.html", permission=Permission.WORK_TIPS)
def take_step(context, request):
    """A workflow step on the tip (triage, transfer, assign, start, dismiss, close) with its fields."""
    tip = context.tip
    name = request.POST.get("step", "")
    form = f"step-{name}"
    typed = {k: request.POST.get(k, "") for k in ("reason", "unit", "handler", "outcome")}
    try:
        step = tip_handling.TIP_WORKFLOW.transition(name)
    except Refused:
        return _refused(request, context, tip, "alert", _("Choose one of the buttons on the page."), 400)
    try:
        units = [u.id for u in tip_handling.transfer_targets(request.dbsession, tip)] if name == "transfer" else ()
        handlers = ([h.id for h in tip_handling.handler_candidates(request.dbsession, tip)]
                    if name in ("assign", "reassign") else ())
        tip_handling.check_version(tip, request.POST.get("version"))
        data = forms.step_schema(step, unit_ids=units, handler_ids=handlers).deserialize(
            dict(typed, version=request.POST.get("version", "")))
        tip_handling.transition(request, tip, name, context=context, version=data["version"], reason=data["reason"],
                                unit_id=data.get("unit"), handler_id=data.get("handler"),
                                outcome=data.get("outcome"))
    except colander.Invalid as invalid:
        return _invalid(request, context, tip, form, invalid, typed)
    except Refused as refused:
        return _refused(request, context, tip, form, refused.message, refused.status, typed)
    request.session.flash(request.localizer.translate(STEP_DONE[name]))
    if not request.identity.unit.contains(tip.unit):  # sent out of this officer's units
        return HTTPSeeOther(request.route_path("staff_tips"))
    return HTTPSeeOther(request.route_path("staff_tip", id=tip.id))


@view_config(route_name="staff_tip", request_method="POST", request_param="action=reveal",
             renderer="staff/tip.html", permission=Permission.WORK_TIPS)
def reveal_contact(context, request):
    """The reporter's contact, for the assigned handler, on a stated reason (audited first)."""
    tip = context.tip
    typed = {"reveal_reason": request.POST.get("reason", "")}
    try:
        data = reveal_schema().deserialize({"reason": typed["reveal_reason"]})
        contact = tip_handling.reveal_contact(request, tip, data["reason"], context=context)
    except colander.Invalid:
        return _refused(request, context, tip, "reveal_reason", NO_REASON, 400, typed)
    except Refused as refused:
        return _refused(request, context, tip, "reveal_reason", refused.message, refused.status, typed)
    # Shown in this response only: no redirect, nothing kept in the session or the page.
    return _page(request, context, tip, contact=contact)


def _message(request, context, tip, internal: bool):
    form = "note" if internal else "message"
    typed = {"body": request.POST.get("body", "")}
    try:
        tip_handling.check_may_post(request, tip, context, internal=internal)  # before reading what was typed
        data = forms.message_schema().deserialize(typed)
        tip_handling.post_message(request, tip, data["body"], internal=internal, context=context)
    except colander.Invalid as invalid:
        return _invalid(request, context, tip, form, invalid, typed)
    except Refused as refused:
        return _refused(request, context, tip, form, refused.message, refused.status, typed)
    return _done(request, tip, _("Note saved: only officers see it.") if internal
                 else _("Sent: the reporter sees it on their status page."), anchor="thread")


@view_config(route_name="staff_tip", request_method="POST", request_param="action=message",
             renderer="staff/tip.html", permission=Permission.WORK_TIPS)
def message_reporter(context, request):
    """A message to the reporter, shown on their /status page."""
    return _message(request, context, context.tip, internal=False)


@view_config(route_name="staff_tip", request_method="POST", request_param="action=note",
             renderer="staff/tip.html", permission=Permission.WORK_TIPS)
def internal_note(context, request):
    """A note only officers see."""
    return _message(request, context, context.tip, internal=True)


def _link(request, context, tip, to_notice: bool):
    form = "link-notice" if to_notice else "link-tip"
    typed = {"number": request.POST.get("number", ""), "kind": request.POST.get("kind", "")}
    try:
        tip_handling.check_may_link(request, tip, context)  # before reading what was typed
        if to_notice:
            data = forms.notice_link_schema().deserialize({"number": typed["number"]})
            tip_handling.link_notice(request, tip, data["number"], context=context)
        else:
            data = forms.tip_link_schema().deserialize(typed)
            tip_handling.link_tip(request, tip, data["number"], data["kind"], context=context)
    except colander.Invalid as invalid:
        return _invalid(request, context, tip, form, invalid, typed)
    except Refused as refused:
        return _refused(request, context, tip, form, refused.message, refused.status, typed)
    return _done(request, tip, _("Linked."), anchor="links")


@view_config(route_name="staff_tip", request_method="POST", request_param="action=link_tip",
             renderer="staff/tip.html", permission=Permission.WORK_TIPS)
def link_tip(context, request):
    return _link(request, context, context.tip, to_notice=False)


@view_config(route_name="staff_tip", request_method="POST", request_param="action=link_notice",
             renderer="staff/tip.html", permission=Permission.WORK_TIPS)
def link_notice(context, request):
    return _link(request, context, context.tip, to_notice=True)


def _reward_of(request, tip):
    reward_id = record_id(request.POST.get("reward", ""))
    reward = request.dbsession.get(TipReward, reward_id) if reward_id is not None else None
    if reward is None or reward.tip_id != tip.id:
        raise Refused(_("Choose one of the buttons on the page."), 400)
    return reward


def _reward_refused(request, context, form, failure, typed):
    """A reward action that did not happen: the page again at its form, with what was typed."""
    tip = context.tip
    if isinstance(failure, colander.Invalid):
        return _invalid(request, context, tip, form, failure, typed)
    if isinstance(failure, RateLimited):
        request.response.headers["Retry-After"] = str(failure.retry_after)
        return _refused(request, context, tip, form, _("Too many receipt codes tried. Please wait a while and "
                                                       "try again."), 429, typed)
    return _refused(request, context, tip, form, failure.message, failure.status, typed)


def _reward_typed(request):
    return {k: request.POST.get(k, "") for k in ("amount", "reason", "decision")}


@view_config(route_name="staff_tip", request_method="POST", request_param="action=reward_propose",
             renderer="staff/tip.html", permission=Permission.WORK_TIPS)
def propose_reward(context, request):
    """The assigned handler proposes a reward; a second officer decides on it."""
    typed = _reward_typed(request)
    try:
        data = forms.proposal_schema().deserialize({"amount": typed["amount"], "reason": typed["reason"]})
        tip_rewards.propose(request, context.tip, data["amount"], data["reason"], context=context)
    except (colander.Invalid, Refused) as failure:
        return _reward_refused(request, context, "reward-propose", failure, typed)
    return _done(request, context.tip, _("Proposed: a second officer decides on it."), anchor="rewards")


@view_config(route_name="staff_tip", request_method="POST", request_param="action=reward_decide",
             renderer="staff/tip.html", permission=Permission.WORK_TIPS)
def decide_reward(context, request):
    """A second officer approves or refuses a proposed reward, with a reason."""
    typed, form = _reward_typed(request), "alert"
    try:
        reward = _reward_of(request, context.tip)
        decision = typed["decision"] if typed["decision"] in ("approve", "refuse") else "approve"
        form = f"reward-{decision}-{reward.id}"
        data = forms.decision_schema().deserialize(
            {"version": request.POST.get("version", ""), "decision": typed["decision"], "reason": typed["reason"]})
        tip_rewards.decide(request, reward, data["decision"], data["reason"], context=context,
                           version=data["version"])
    except (colander.Invalid, Refused) as failure:
        return _reward_refused(request, context, form, failure, typed)
    return _done(request, context.tip, _("Approved: the reporter is told how to claim it.")
                 if data["decision"] == "approve" else _("Refused."), anchor="rewards")


@view_config(route_name="staff_tip", request_method="POST", request_param="action=reward_pay",
             renderer="staff/tip.html", permission=Permission.WORK_TIPS)
def pay_reward(context, request):
    """An approved reward paid against the tip's receipt code, which the person shows."""
    typed, form = _reward_typed(request), "alert"
    try:
        reward = _reward_of(request, context.tip)
        form = f"reward-pay-{reward.id}"
        data = forms.payment_schema().deserialize({"version": request.POST.get("version", ""),
                                                   "code": request.POST.get("code", "")})
        tip_rewards.pay(request, reward, data["code"], context=context, version=data["version"])
    except (colander.Invalid, Refused, RateLimited) as failure:
        return _reward_refused(request, context, form, failure, typed)
    return _done(request, context.tip, _("Paid: recorded in the audit log."), anchor="rewards")


@view_config(route_name="staff_tip", request_method="GET", renderer="staff/tip.html", permission=Permission.WORK_TIPS)
def tip_page(context, request):
    return _page(request, context, context.tip)


@view_config(route_name="staff_tip", request_method="POST", renderer="staff/tip.html",
             permission=Permission.WORK_TIPS)
def unknown_action(context, request):
    """A post naming no action of this page (the views above match theirs by `action`)."""
    return _refused(request, context, context.tip, "alert", _("Choose one of the buttons on the page."), 400)


# Its files ----------------------------------------------------------------------------------

def _disposition(response, kind: str, tip_id: int, media_id: int, suffix: str) -> None:
    # A name of our own: never the reporter's file name, which may say who they are.
    response.content_disposition = f'{kind}; filename="tip-{tip_id}-{media_id}{suffix}"'


@view_config(route_name="staff_tip_media", request_method="GET", permission=Permission.WORK_TIPS)
def tip_media(context, request):
    """The staff copy of a file (?thumb=1: its thumbnail): a re-encoded photo, or a video or sound
    recording with its metadata blanked; the original stays as evidence. 404 for a file without a
    safe copy."""
    media, thumb = context.media, request.GET.get("thumb") == "1"
    if media.public_key is None:
        raise HTTPNotFound()
    # Photos are re-encoded to JPEG (thumbnails too); a cleaned MP4/MOV/3GP/M4A keeps its container,
    # whose type was sniffed from the bytes.
    jpeg = thumb or media.kind == "image"
    response = copy_response(request, media, thumb=thumb, content_type="image/jpeg" if jpeg else media.content_type)
    suffix = ".jpg" if jpeg else os.path.splitext(media.public_key)[1]
    _disposition(response, "inline", context.tip.id, media.id, suffix)
    return response


@view_config(route_name="staff_tip_media", request_method="POST", renderer="staff/tip.html",
             permission=Permission.WORK_TIPS)
def tip_media_original(context, request):
    """The original of a file that has no safe copy (a video or audio format we cannot clean), as
    a download, on a stated reason that goes to the audit log first."""
    media, tip = context.media, context.tip
    form = f"original-{media.id}"
    typed = {form: request.POST.get("reason", "")}
    if not tip_handling.may_fetch_original(request, tip, context):
        return _refused(request, context, tip, "alert", _("Only the handler assigned to this tip can download the "
                                                       "original."), 403, typed)
    if media.public_key is not None:
        return _refused(request, context, tip, "alert", _("This file has a safe copy: open that one. The original "
                                                       "stays as evidence."), 400, typed)
    try:
        reason = reveal_schema().deserialize({"reason": typed[form]})["reason"]
    except colander.Invalid:
        return _refused(request, context, tip, form, _("Give a reason (at least ${n} characters).",
                                                       mapping={"n": MIN_REASON_LENGTH}), 400, typed)
    store = request.registry["media_store"]
    if not store.exists(media.original_key):
        raise HTTPNotFound()
    audit.record(request, "tip.media_original", object_type="tip", object_id=tip.id,
                 reason=f"media {media.id}: {reason}")
    # Never rendered by the browser: a download, of a type it will not sniff or play inline.
    response = store.response(request, media.original_key, "application/octet-stream")
    response.cache_control = PRIVATE
    # The store's key ends in the extension of the sniffed type, never the name the reporter gave.
    _disposition(response, "attachment", tip.id, media.id, os.path.splitext(media.original_key)[1] or ".bin")
    return response
