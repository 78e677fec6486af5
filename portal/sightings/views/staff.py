"""The moderators' sighting queue and one sighting: steps with a reason, the contact on request."""
import colander
from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.pagination import BadCursor
from portal.core.permissions import Permission
from portal.core.refused import Refused
from portal.media.responses import copy_response
from portal.privacy.forms import reveal_schema
from portal.sightings import services as sightings
from portal.sightings.forms import step_schema
from portal.sightings.models import SIGHTING_STATES

STATE_LABELS = {"received": _("received"), "reviewed": _("reviewed"), "forwarded": _("forwarded"),
                "closed": _("closed")}
STEP_LABELS = {"review": _("Mark as reviewed"), "forward": _("Forward"), "close": _("Close")}
STEP_HINTS = {"review": _("What you checked and found"), "forward": _("To whom, and why"),
              "close": _("Why it is closed")}



def _filters(request):
    state = request.GET.get("state", "")
    notice = request.GET.get("notice", "").strip()
    if state and state not in SIGHTING_STATES:
        raise HTTPBadRequest(_("Choose a state from the list."))
    if notice and record_id(notice) is None:
        raise HTTPBadRequest(_("A notice number has digits only."))
    return {"state": state or None, "notice_id": record_id(notice) if notice else None}


@view_config(route_name="staff_sightings", renderer="staff/sightings.html", permission=Permission.MODERATE)
def sighting_queue(request):
    filters = _filters(request)
    officer = request.identity
    try:
        rows, next_cursor = sightings.queue(request.dbsession, officer, cursor=request.GET.get("page") or None,
                                            **filters)
    except BadCursor:
        raise HTTPBadRequest(_("This page link is not valid. Start again from the first page.")) from None
    query = {k: v for k, v in (("state", filters["state"]), ("notice", filters["notice_id"])) if v}
    return {"sightings": rows, "next_query": dict(query, page=next_cursor) if next_cursor else None,
            "counts": sightings.counts(request.dbsession, officer, notice_id=filters["notice_id"]),
            "filters": filters, "query": query, "state_labels": STATE_LABELS}


def _history(request, sighting):
    return request.dbsession.execute(
        select(AuditEvent).where(AuditEvent.object_type == "sighting", AuditEvent.object_id == str(sighting.id))
        .order_by(AuditEvent.id)
    ).scalars().all()


def _page(context, request, **extra):
    sighting = context.sighting
    page = {"sighting": sighting, "steps": sightings.transitions_for(request, sighting, context),
            "state_labels": STATE_LABELS, "step_labels": STEP_LABELS, "step_hints": STEP_HINTS,
            "history": _history(request, sighting), "contact": None,
            "errors": {}, "typed": {}}
    page.update(extra)
    return page


def _invalid(context, request, typed, messages, status=400):
    request.response.status_int = status
    return _page(context, request, typed=typed, errors=messages)


@view_config(route_name="staff_sighting", renderer="staff/sighting.html", permission=Permission.MODERATE)
def sighting_detail(context, request):
    if request.method != "POST":
        return _page(context, request)
    if request.POST.get("action") == "reveal":
        return _reveal(context, request)
    return _step(context, request)


def _step(context, request):
    sighting = context.sighting
    steps = [t.name for t in sightings.transitions_for(request, sighting, context)]
    typed = {"step": request.POST.get("step", ""), "reason": request.POST.get("reason", "")}
    try:
        data = step_schema(steps).deserialize(typed)
        sightings.transition(request, sighting, data["step"], data["reason"])
    except colander.Invalid as invalid:
        messages = invalid.asdict(translate=request.localizer.translate)
        if "step" in messages:  # a step not open from this state (someone else was quicker)
            messages = {"step": request.localizer.translate(
                _("This step is not possible any more: the sighting is now ${state}.",
                  mapping={"state": STATE_LABELS[sighting.state]}))}
        return _invalid(context, request, typed, messages)
    except Refused as refused:
        message = request.localizer.translate(refused.message)
        return _invalid(context, request, typed, {refused.field or "step": message}, status=refused.status)
    request.session.flash(request.localizer.translate(
        _("Saved: the sighting is now ${state}.", mapping={"state": STATE_LABELS[sighting.state]})))
    return HTTPSeeOther(request.route_path("staff_sighting", id=sighting.id))


def _reveal(context, request):
    typed = {"reveal_reason": request.POST.get("reason", "")}
    try:
        data = reveal_schema().deserialize({"reason": typed["reveal_reason"]})
        contact = sightings.reveal_contact(request, context.sighting, data["reason"])
    except colander.Invalid as invalid:
        messages = invalid.asdict(translate=request.localizer.translate)
        return _invalid(context, request, typed, {"reveal_reason": messages.get("reason", "")})
    except Refused as refused:
        return _invalid(context, request, typed, {"reveal_reason": request.localizer.translate(refused.message)},
                        status=refused.status)
    # Shown in this response only: no redirect, nothing kept in the session.
    return _page(context, request, contact=contact or {})


@view_config(route_name="staff_sighting_photo", permission=Permission.MODERATE)
def sighting_photo(context, request):
    """The photo's re-encoded copy, for staff in scope only (the original stays as evidence)."""
    return copy_response(request, context.sighting.media)
