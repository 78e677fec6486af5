"""The moderators' sighting queue and one sighting: steps with a reason, the contact on request, the
thread with the sender (their answers from /status, the moderators' messages to them)."""
import colander
from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.forms import MultiFormView, PageForm, field_messages, posted_text, typed_values
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.pagination import BadCursor
from portal.core.permissions import Permission
from portal.geo.position import distance_km
from portal.media.openings import record_opening
from portal.media.responses import copy_response
from portal.privacy.forms import reveal_schema
from portal.sightings import services as sightings
from portal.sightings import thread
from portal.sightings.forms import message_schema, step_schema
from portal.sightings.models import SIGHTING_STATES
from portal.sightings.workflow import STATE_LABELS

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
            "filters": filters, "query": query, "state_labels": STATE_LABELS,
            "answered": thread.answered(request.dbsession, [row.id for row in rows])}


def _history(request, sighting):
    return request.dbsession.execute(
        select(AuditEvent).where(AuditEvent.object_type == "sighting", AuditEvent.object_id == str(sighting.id))
        .order_by(AuditEvent.id)
    ).scalars().all()


@view_config(route_name="staff_sighting", renderer="staff/sighting.html", permission=Permission.MODERATE)
class SightingPage(MultiFormView):
    """One sighting: a hand-written form per open step (which step, and why), the form that shows
    the contact (with a reason, audited, in that one response only) and the message to the sender."""

    def __init__(self, context, request):
        super().__init__(context, request)
        self.sighting = context.sighting
        self.steps = sightings.transitions_for(request, self.sighting, context)

    def posted_formid(self):
        action = posted_text(self.request, "action")
        return action if action in ("reveal", "message") else "step"

    def forms(self):
        return [PageForm("step", self._step_schema, (("submit", ""),), {"submit": self.take_step},
                         render=lambda form: form),
                PageForm("reveal", reveal_schema, (("submit", ""),), {"submit": self.reveal},
                         render=lambda form: form),
                PageForm("message", message_schema, (("submit", ""),), {"submit": self.write},
                         render=lambda form: form)]

    def _step_schema(self):
        schema = step_schema([t.name for t in self.steps])
        # A step not open from this state: someone else was quicker.
        gone = _("This step is not possible any more: the sighting is now ${state}.",
                 mapping={"state": STATE_LABELS[self.sighting.state]})
        schema["step"].validator = colander.OneOf([t.name for t in self.steps], msg_err=gone)
        schema["step"].missing_msg = gone
        return schema

    def page(self, forms, error=None, contact=None):
        request, sighting = self.request, self.sighting
        step = forms["step"]
        step_errors = field_messages(request, step)
        if "step" in step_errors:  # the step is gone: that alone is worth saying
            step_errors = {"step": step_errors["step"]}
        errors, typed = dict(step_errors), dict(typed_values(step))
        for formid in ("reveal", "message"):
            errors.update({f"{formid}_{name}": text for name, text in field_messages(request, forms[formid]).items()})
            typed.update({f"{formid}_{name}": value for name, value in typed_values(forms[formid]).items()})
        if error is not None:  # a refusal about no field: on top of the form that was posted
            posted = self.posted.formid if self.posted is not None else "step"
            errors[{"reveal": "reveal_reason", "message": "message_body"}.get(posted, "step")] = \
                request.localizer.translate(error)
        return {"sighting": sighting, "steps": self.steps, "state_labels": STATE_LABELS, "step_labels": STEP_LABELS,
                "step_hints": STEP_HINTS, "history": _history(request, sighting), "contact": contact,
                "photo_km": _photo_km(sighting), "thread": thread.messages(request.dbsession, sighting),
                "may_write": thread.accepts_messages(sighting), "max_message": thread.MAX_MESSAGE,
                "sender_can_read": thread.has_receipt(request.dbsession, sighting),
                "errors": errors, "typed": typed}

    def take_step(self, data):
        request, sighting = self.request, self.sighting
        sightings.transition(request, sighting, data["step"], data["reason"])
        request.session.flash(request.localizer.translate(
            _("Saved: the sighting is now ${state}.", mapping={"state": STATE_LABELS[sighting.state]})))
        return HTTPSeeOther(request.route_path("staff_sighting", id=sighting.id))

    def write(self, data):
        request, sighting = self.request, self.sighting
        thread.write_to_sender(request, sighting, data["body"])
        request.session.flash(request.localizer.translate(
            _("Sent: the sender reads it on the status page with their receipt code.")))
        return HTTPSeeOther(request.route_path("staff_sighting", id=sighting.id))

    def reveal(self, data):
        contact = sightings.reveal_contact(self.request, self.sighting, data["reason"])
        # Shown in this response only: no redirect, nothing kept in the session.
        return self.show(contact=contact or {})


def _photo_km(sighting) -> float | None:
    """How far from the place the sender gave the photo's own GPS says it was taken."""
    media = sighting.media
    if media is None or None in (sighting.lat, sighting.lon, media.captured_lat, media.captured_lon):
        return None
    return distance_km(sighting.lat, sighting.lon, media.captured_lat, media.captured_lon)


@view_config(route_name="staff_sighting_photo", permission=Permission.MODERATE)
def sighting_photo(context, request):
    """The photo's re-encoded copy, for staff in scope only (the original stays as evidence)."""
    response = copy_response(request, context.sighting.media)
    record_opening(request, context.sighting.media, subject_type="sighting", subject_id=context.sighting.id,
                   variant="staff copy")
    return response
