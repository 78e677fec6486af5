"""A tip on /status (the reporter's coarse status, the thread, the reward) and /status/reply, where
the reporter answers with text and files.

The receipt code travels in POST bodies only: the reply form carries it in a hidden field. A wrong
code gets exactly the answer /status gives, and every reply counts against the address and the
receipt. A reply is stored whole (message, files, audit event) or not at all."""
import itertools

import deform
from pyramid.csrf import check_csrf_token
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from portal.abuse.ratelimit import RateLimited
from portal.core.forms import FormView, make_form, posted_text
from portal.core.i18n import _
from portal.core.nonces import new_nonce
from portal.core.refused import Refused
from portal.media.uploads import UploadRefused
from portal.privacy import receipts
from portal.status.forms import StatusLookupSchema
from portal.status.renderers import NOT_FOUND, status_renderer
from portal.tips import submission as tips
from portal.tips import upload_stream
from portal.tips.forms import reply_schema

STATE_LABELS = {
    "received": _("Received: waiting to be read by the police"),
    "handling": _("Being handled by the police"),
    "closed": _("Closed: the police have finished handling your tip"),
}
REPLY_FORM_ID = "tip-reply"
SENT = _("Your answer was sent to the police.")
CLOSED = _("This tip is closed, so no more answers can be added. If you have something new, send a new tip or "
           "call the police.")
EXPIRED = _("This form has expired or did not come from this site. Nothing was sent. What you typed is kept "
            "below: please choose the files again, if any, and send it again.")


def _reply_form(request):
    # Its own ids (the lookup form on the same page starts its field numbers at zero).
    return make_form(request, reply_schema(), formid=REPLY_FORM_ID, action=request.route_path("status_reply"),
                     buttons=(deform.Button("reply", _("Send the answer")),), focus="off",
                     counter=itertools.count(100))


def _fresh_reply_form(request) -> str:
    """An empty reply form carrying the code this page was opened with (/status or a reply)."""
    return _reply_form(request).render({"code": receipts.normalize(request.POST.get("code", "")), "nonce": new_nonce()})


def _lookup_form(request):
    """The /status code form; it always posts to /status, also when shown on /status/reply."""
    return make_form(request, StatusLookupSchema(), buttons=(deform.Button("show", _("Show the status")),),
                     action=request.route_path("status"))


def tip_view(request, tip, *, reply_form_html=None, notice=None, error=None) -> dict:
    """What templates/tips/status.html shows of a tip to whoever holds its code."""
    if reply_form_html is None and tips.accepts_replies(tip):
        reply_form_html = _fresh_reply_form(request)
    state = tips.coarse_state(tip)
    return {"template": "tips/status.html", "stylesheet": "portal:static/css/tips.css", "tip": tip,
            "state": state, "state_label": STATE_LABELS[state], "thread": tips.public_thread(request.dbsession, tip),
            "first_files": tips.first_files(tip), "rewards": tips.visible_rewards(request.dbsession, tip),
            "category_name": tips.text_in(tip.category.names, request.locale_name),
            "reply_form": reply_form_html if tips.accepts_replies(tip) else None,
            "notice": notice, "error": error}


@status_renderer(tips.SUBJECT_TYPE)
def tip_status(request, subject_id):
    tip = tips.for_receipt(request.dbsession, subject_id)
    return tip_view(request, tip) if tip is not None else None


def _status_page(request, found=None, error=None):
    """/status with `found` (a tip's view) or the lookup form alone; the status is the response's."""
    request.response.cache_control = "no-store"  # a status belongs to whoever holds the code
    return render_to_response("status.html", {"form": _lookup_form(request).render(), "found": found,
                                              "error": error}, request=request, response=request.response)


@view_config(route_name="status_reply", request_method="POST", require_csrf=False)
class StatusReply(FormView):
    """The reporter's answer: FormView's rules, on the /status page of the tip the code opens. Refused
    before the code is read (a body refused unread: too many posts from the address, a declared size
    over the limit), or for a code that opens no tip, the /status page says why; any other refusal
    shows the tip with the form filled in as sent and keeps nothing (files already written go with
    the doomed transaction)."""

    buttons = (("reply", _("Send the answer")),)

    def __init__(self, context, request):
        super().__init__(context, request)
        self.tip = None
        self.receipt = None

    def form(self):
        return _reply_form(self.request)

    def before(self, form):
        request = self.request
        unread = upload_stream.refused_unread(request)
        if unread is not None:  # none of the body was read: there is no code to look up
            raise unread
        refusal = upload_stream.refusal(request)
        if refusal is None and not check_csrf_token(request, raises=False):
            refusal = UploadRefused(EXPIRED)  # answered once the code is known, with the answer kept
        # The answer form is shown after the code opened the page, so this session skips any wait.
        receipt = receipts.lookup_for_request(request, posted_text(request, "code"))
        if receipt is not None and receipt.subject_type == tips.SUBJECT_TYPE:
            self.tip = tips.for_receipt(request.dbsession, receipt.subject_id)
        if self.tip is None:  # word for word what /status says to a wrong code
            raise Refused(NOT_FOUND, 400)
        if refusal is not None:
            raise Refused(refusal.message, tips.refusal_status(refusal))
        if not tips.accepts_replies(self.tip):
            raise Refused(CLOSED, 400)
        try:
            tips.count_reply(request, receipt)
        except RateLimited as exc:
            raise RateLimited(exc.retry_after, _(
                "Many answers have been sent for this tip or from this address. Nothing was sent. Please wait "
                "${minutes} minutes and send it again, or call the police.",
                mapping={"minutes": max(1, (exc.retry_after + 59) // 60)})) from None

    def page(self, form=None, error=None):
        request = self.request
        if self.tip is None:  # refused before a tip was known: the lookup page with the reason
            return _status_page(request, error=error)
        if self.failed and error is None:  # the messages are at the fields
            error = _("Please correct the marked fields.")
        return _status_page(request, tip_view(request, self.tip, error=error, reply_form_html=form))

    def reply_success(self, data):
        request = self.request
        tips.reply(request, self.tip, data["message"], data["attachments"], nonce=data["nonce"] or None)
        return _status_page(request, tip_view(request, self.tip, notice=SENT,
                                              reply_form_html=_fresh_reply_form(request)))
