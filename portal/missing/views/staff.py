"""Dispatchers verify families' missing-person requests: the unit-scoped queue, one request with
its checklist and steps, the family contact shown on demand (with a reason, audited), and the
photos' public copies before publication."""
import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from portal.core.i18n import _
from portal.core.pagination import BadCursor
from portal.core.permissions import Permission
from portal.core.refused import Refused
from portal.media.responses import copy_response
from portal.missing import services as missing
from portal.missing.forms import SEX_LABELS, ChecklistSchema, ReasonSchema
from portal.missing.models import MISSING_REQUEST_STATES

STATE_LABELS = {
    "submitted": _("Submitted"),
    "verifying": _("Verifying"),
    "published": _("Published"),
    "resolved": _("Resolved (found)"),
    "withdrawn": _("Withdrawn"),
    "rejected": _("Rejected"),
}
STEP_LABELS = {
    "start_verifying": _("Start verifying"),
    "publish": _("Publish province-wide"),
    "reject": _("Reject"),
    "withdraw": _("Withdraw (the family asked)"),
    "resolve": _("Close: person found"),
}
STEP_DONE = {
    "start_verifying": _("Verification started: call the family and the accepting unit, then record the checklist."),
    "publish": _("Published: the appeal is on the public pages, feeds and the API."),
    "reject": _("Rejected: the family sees your reason on the status page."),
    "withdraw": _("Withdrawn: the appeal is not shown to the public."),
    "resolve": _("Closed: the public page now says the appeal has ended; name and photos are removed."),
}


@view_config(route_name="staff_missing", renderer="staff/missing_list.html", permission=Permission.DISPATCH)
def missing_list(request):
    state = request.GET.get("state", "submitted")[:20]
    page = {"state": state, "state_labels": STATE_LABELS, "requests": [], "next_query": None, "error": None}
    if state not in MISSING_REQUEST_STATES:
        request.response.status_int = 400
        return dict(page, state="", error=_("Choose a state from the list."))
    try:
        rows, cursor = missing.queue_page(request.dbsession, request.identity, state=state,
                                          cursor=request.GET.get("page") or None)
    except BadCursor:
        request.response.status_int = 400
        return dict(page, error=_("This page link is not valid. Start again from the first page."))
    return dict(page, requests=rows, next_query={"state": state, "page": cursor} if cursor else None)


def _page(request, context, **values):
    missing_request = context.missing_request
    return {"mr": missing_request, "notice": missing_request.notice, "person": missing_request.notice.missing_person,
            "steps": missing.steps_for(request, missing_request, context), "state_labels": STATE_LABELS,
            "step_labels": STEP_LABELS, "sex_labels": SEX_LABELS, "contact": None, "error": None, **values}


@view_config(route_name="staff_missing_request", renderer="staff/missing_request.html",
             permission=Permission.DISPATCH)
def missing_request_page(context, request):
    if request.method != "POST":
        return _page(request, context)
    missing_request = context.missing_request
    action = request.POST.get("action", "")
    try:
        missing.check_version(missing_request, request.POST.get("version"))
        if action == "reveal":
            reason = ReasonSchema().deserialize({"reason": request.POST.get("reason", "")})["reason"]
            contact = missing.reveal_contact(request, missing_request, reason)
            request.response.cache_control = "no-store"
            return _page(request, context, contact=contact)
        if action == "checklist":
            values = ChecklistSchema().deserialize({k: request.POST.get(k, colander.null)
                                                    for k in ("family_confirmed", "unit_confirmed",
                                                              "verification_how")})
            missing.record_checklist(request, missing_request, family_confirmed=values["family_confirmed"],
                                     unit_confirmed=values["unit_confirmed"], how=values["verification_how"])
            request.session.flash(request.localizer.translate(_("Checklist saved.")))
        elif action in STEP_LABELS:
            missing.transition(request, missing_request, action, request.POST.get("reason", ""), context=context)
            request.session.flash(request.localizer.translate(STEP_DONE[action]))
        else:
            raise Refused(_("Choose one of the buttons on the page."))
    except colander.Invalid as invalid:
        request.response.status_int = 400
        messages = invalid.asdict(translate=request.localizer.translate)
        return _page(request, context, error=" ".join(messages.values()), action=action)
    except Refused as refused:
        request.response.status_int = refused.status
        return _page(request, context, error=refused.message, action=action)
    return HTTPSeeOther(request.route_path("staff_missing_request", id=missing_request.id))


@view_config(route_name="staff_missing_photo", permission=Permission.DISPATCH)
def missing_photo(context, request):
    """The public copy (or thumbnail) of a request's photo; the original is never served."""
    return copy_response(request, context.media, thumb=request.GET.get("size") == "thumb")
