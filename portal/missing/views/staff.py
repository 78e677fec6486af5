"""Dispatchers verify families' missing-person requests: the unit-scoped queue, one request with
its checklist and steps, the family contact shown on demand (with a reason, audited), and the
photos' public copies before publication."""
import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from portal.core.forms import MultiFormView, PageForm, field_messages, posted_text, typed_values
from portal.core.i18n import _
from portal.core.pagination import BadCursor
from portal.core.permissions import Permission
from portal.core.refused import Refused
from portal.media.openings import record_opening
from portal.media.responses import copy_response
from portal.missing import corrections
from portal.missing import services as missing
from portal.missing.forms import SEX_LABELS, ChecklistSchema, ReasonSchema
from portal.missing.models import MISSING_REQUEST_STATES
from portal.notices import medical, places

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


def _version_node():
    # Sent by every form of the page; checked before anything else (core.forms.MultiFormView.before).
    return colander.SchemaNode(colander.String(), name="version", missing=None)


@view_config(route_name="staff_missing_request", renderer="staff/missing_request.html",
             permission=Permission.DISPATCH)
class MissingRequestPage(MultiFormView):
    """One request: the form that shows the family contact (a reason, audited, in that response
    only), the checklist, and a form per step. The forms are written by hand in the template and
    posted with `action` naming them; every message goes on top of the page."""

    def __init__(self, context, request):
        super().__init__(context, request)
        self.missing_request = context.missing_request

    def posted_formid(self):
        return posted_text(self.request, "action") or posted_text(self.request, "__formid__")

    def before(self):
        missing.check_version(self.missing_request, posted_text(self.request, "version", None))

    def forms(self):
        def hand_written(form):
            return form
        steps = [PageForm(name, _step_schema, (("submit", ""),), {"submit": self._step(name)}, render=hand_written)
                 for name in STEP_LABELS]
        return [PageForm("reveal", _with_version(ReasonSchema), (("submit", ""),), {"submit": self.reveal},
                         render=hand_written),
                PageForm("reveal_medical", _with_version(ReasonSchema), (("submit", ""),),
                         {"submit": self.reveal_medical}, render=hand_written),
                PageForm("details", corrections.schema, (("save", _("Save the corrections")),),
                         {"save": self.save_details}, appstruct=corrections.current(self.missing_request)),
                PageForm("checklist", _with_version(ChecklistSchema), (("submit", ""),),
                         {"submit": self.save_checklist}, render=hand_written),
                *steps]

    def other_post(self):
        raise Refused(_("Choose one of the buttons on the page."))

    def page(self, forms, error=None, contact=None, medical_needs=None):
        request, missing_request = self.request, self.missing_request
        posted = self.posted.formid if self.posted is not None else posted_text(request, "action")
        # The hand-written forms come as Deform forms; the corrections form as its HTML (messages at its fields).
        hand_written = posted in forms and not isinstance(forms[posted], str)
        typed = typed_values(forms[posted]) if hand_written else {}
        if error is not None:
            error = request.localizer.translate(error)
        elif self.failed and hand_written:
            error = " ".join(field_messages(request, forms[posted]).values())
        elif self.failed:
            error = request.localizer.translate(_("Please correct the marked fields."))
        return {"mr": missing_request, "notice": missing_request.notice,
                "person": missing_request.notice.missing_person,
                "steps": missing.steps_for(request, missing_request, self.context), "state_labels": STATE_LABELS,
                "step_labels": STEP_LABELS, "sex_labels": SEX_LABELS, "contact": contact, "error": error,
                "action": posted if self.failed else None, "typed": typed, "medical_needs": medical_needs,
                "details_form": forms["details"] if missing_request.state in corrections.OPEN_STATES else None,
                "precision_labels": places.PRECISION_LABELS}

    def reveal(self, data):
        contact = missing.reveal_contact(self.request, self.missing_request, data["reason"])
        self.request.response.cache_control = "no-store"
        return self.show(contact=contact)

    def reveal_medical(self, data):
        person = self.missing_request.notice.missing_person
        text = medical.reveal(self.request, person, object_type=missing.SUBJECT_TYPE,
                              object_id=self.missing_request.id, reason=data["reason"])
        self.request.response.cache_control = "no-store"
        return self.show(medical_needs=text)

    def save_details(self, data):
        request = self.request
        changed = corrections.correct(request, self.missing_request, data)
        request.session.flash(request.localizer.translate(
            _("Corrections saved.") if changed else _("Nothing was changed.")))
        return self._done()

    def save_checklist(self, data):
        request = self.request
        missing.record_checklist(request, self.missing_request, family_confirmed=data["family_confirmed"],
                                 unit_confirmed=data["unit_confirmed"], how=data["verification_how"])
        request.session.flash(request.localizer.translate(_("Checklist saved.")))
        return self._done()

    def _step(self, name):
        def take(data):
            request = self.request
            missing.transition(request, self.missing_request, name, data["reason"], context=self.context)
            request.session.flash(request.localizer.translate(STEP_DONE[name]))
            return self._done()
        return take

    def _done(self):
        return HTTPSeeOther(self.request.route_path("staff_missing_request", id=self.missing_request.id))


def _with_version(schema_class):
    def schema():
        node = schema_class()
        node.add(_version_node())
        return node
    return schema


def _step_schema():
    """A step: its reason where it needs one (the workflow engine says which, and refuses without)."""
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(colander.SchemaNode(colander.String(), name="reason", missing=""))
    schema.add(_version_node())
    return schema


@view_config(route_name="staff_missing_photo", permission=Permission.DISPATCH)
def missing_photo(context, request):
    """The public copy (or thumbnail) of a request's photo; the original is never served."""
    thumb = request.GET.get("size") == "thumb"
    response = copy_response(request, context.media, thumb=thumb)
    record_opening(request, context.media, subject_type="missing_request", subject_id=context.missing_request.id,
                   variant="thumbnail" if thumb else "staff copy")
    return response
