"""A sighting on /status (its coarse state and the thread with the police) and /status/sighting-reply,
where the sender answers.

The receipt code travels in POST bodies only: the reply form carries it in a hidden field. A wrong
code gets exactly the answer /status gives, and every answer counts against the address and the
receipt. An answer is stored whole (message, audit event) or not at all."""
import itertools

import deform
from pyramid.csrf import check_csrf_token
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from portal.abuse.ratelimit import RateLimited, minutes
from portal.core.forms import FormView, make_form, posted_text
from portal.core.i18n import _
from portal.core.nonces import new_nonce
from portal.core.refused import Refused
from portal.privacy import receipts
from portal.sightings import thread
from portal.sightings.forms import reply_schema
from portal.status.forms import StatusLookupSchema
from portal.status.renderers import NOT_FOUND, status_renderer

# Coarse and plain: never the moderators' reasons, to whom it went, or what came of it.
STATE_LABELS = {
    "received": _("Received: waiting to be read by the police"),
    "checking": _("Being checked by the police"),
    "passed_on": _("Passed on to the investigators"),
    "closed": _("Closed: the police have finished with your information"),
}
REPLY_FORM_ID = "sighting-reply"
SENT = _("Your answer was sent to the police.")
CLOSED = _("This sighting is closed, so no more answers can be added. If you have something new, send it again "
           "from the notice or call the police.")
EXPIRED = _("This form has expired or did not come from this site. Nothing was sent. What you typed is kept "
            "below: send it again.")


def _reply_form(request):
    # Its own ids (the lookup form on the same page starts its field numbers at zero).
    return make_form(request, reply_schema(), formid=REPLY_FORM_ID, action=request.route_path("status_sighting_reply"),
                     buttons=(deform.Button("reply", _("Send the answer")),), focus="off",
                     counter=itertools.count(100))


def _fresh_reply_form(request) -> str:
    """An empty answer form carrying the code this page was opened with (/status or an answer)."""
    return _reply_form(request).render({"code": receipts.normalize(posted_text(request, "code")),
                                        "nonce": new_nonce()})


def sighting_view(request, sighting, *, reply_form_html=None, notice=None, error=None) -> dict:
    """What templates/sightings/status.html shows of a sighting to whoever holds its code."""
    open_ = thread.accepts_messages(sighting)
    if open_ and reply_form_html is None:
        reply_form_html = _fresh_reply_form(request)
    state = thread.coarse_state(sighting)
    return {"template": "sightings/status.html", "sighting": sighting, "state": state,
            "state_label": STATE_LABELS[state], "thread": thread.messages(request.dbsession, sighting),
            "reply_form": reply_form_html if open_ else None, "notice": notice, "error": error}


@status_renderer(thread.SUBJECT_TYPE)
def sighting_status(request, subject_id):
    sighting = thread.for_receipt(request.dbsession, subject_id)
    return sighting_view(request, sighting) if sighting is not None else None


def _status_page(request, found=None, error=None):
    """/status with `found` (a sighting's view) or the lookup form alone."""
    request.response.cache_control = "no-store"  # a status belongs to whoever holds the code
    lookup = make_form(request, StatusLookupSchema(), buttons=(deform.Button("show", _("Show the status")),),
                       action=request.route_path("status"))
    return render_to_response("status.html", {"form": lookup.render(), "found": found, "error": error},
                              request=request, response=request.response)


@view_config(route_name="status_sighting_reply", request_method="POST", require_csrf=False)
class SightingReply(FormView):
    """The sender's answer: FormView's rules, on the /status page of the sighting the code opens.
    A code that opens no sighting gets the /status page with /status's words; any other refusal
    shows the sighting with the answer filled in as sent, and keeps nothing. The CSRF token is
    checked here, after the code, so that an expired form keeps what was typed."""

    buttons = (("reply", _("Send the answer")),)

    def __init__(self, context, request):
        super().__init__(context, request)
        self.sighting = None

    def form(self):
        return _reply_form(self.request)

    def before(self, form):
        request = self.request
        # The answer form is shown after the code opened the page, so this session skips any wait.
        receipt = receipts.lookup_for_request(request, posted_text(request, "code"))
        if receipt is not None and receipt.subject_type == thread.SUBJECT_TYPE:
            self.sighting = thread.for_receipt(request.dbsession, receipt.subject_id)
        if self.sighting is None:  # word for word what /status says to a wrong code
            raise Refused(NOT_FOUND, 400)
        if not check_csrf_token(request, raises=False):
            raise Refused(EXPIRED, 400)
        if not thread.accepts_messages(self.sighting):
            raise Refused(CLOSED, 400)
        try:
            thread.count_reply(request, receipt)
        except RateLimited as limited:
            raise limited.saying(_(
                "Many answers have been sent for this sighting or from this address. Nothing was sent. Please wait "
                "${minutes} minutes and send it again, or call the police.",
                mapping={"minutes": minutes(limited.retry_after)})) from None

    def page(self, form=None, error=None):
        request = self.request
        if self.sighting is None:  # refused before a sighting was known: the lookup page with the reason
            return _status_page(request, error=error)
        if self.failed and error is None:  # the messages are at the fields
            error = _("Please correct the marked fields.")
        if not thread.accepts_messages(self.sighting):
            form = None
        return _status_page(request, sighting_view(request, self.sighting, error=error, reply_form_html=form))

    def reply_success(self, data):
        request = self.request
        thread.reply(request, self.sighting, data["message"], nonce=data["nonce"] or None)
        return _status_page(request, sighting_view(request, self.sighting, notice=SENT,
                                                   reply_form_html=_fresh_reply_form(request)))
