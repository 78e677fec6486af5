"""The half of a submission's /status page that every kind shares: the page around a kind's view, and
the answer form that whoever holds the code sends from it (SubmissionReply).

The receipt code travels in POST bodies only: the answer form carries it in a hidden field. A wrong
code gets exactly the answer /status gives, and every answer counts against the address and the
receipt. An answer is stored whole or not at all; a refusal keeps what was typed on the page."""
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import deform
from pyramid.csrf import check_csrf_token
from pyramid.renderers import render_to_response

from portal.abuse.ratelimit import RateLimited, minutes
from portal.core.forms import FormView, make_form, posted_text
from portal.core.i18n import _
from portal.core.nonces import new_nonce
from portal.core.refused import Refused
from portal.privacy import receipts
from portal.status.forms import StatusLookupSchema
from portal.status.renderers import NOT_FOUND

SENT = _("Your answer was sent to the police.")
CORRECT_FIELDS = _("Please correct the marked fields.")


def lookup_form(request) -> deform.Form:
    """The /status code form; it always posts to /status, also when shown on an answer's page."""
    return make_form(request, StatusLookupSchema(), buttons=(deform.Button("show", _("Show the status")),),
                     action=request.route_path("status"))


def status_page(request, found=None, error=None):
    """/status with `found` (a kind's view) or the lookup form alone; the status is the response's."""
    request.response.cache_control = "no-store"  # a status belongs to whoever holds the code
    return render_to_response("status.html", {"form": lookup_form(request).render(), "found": found,
                                              "error": error}, request=request, response=request.response)


@dataclass(frozen=True)
class AnswerForm:
    """A kind's answer form: its own ids, since the lookup form on the same page numbers from zero."""

    form_id: str
    route_name: str
    schema: Callable

    def make(self, request) -> deform.Form:
        return make_form(request, self.schema(), formid=self.form_id, action=request.route_path(self.route_name),
                         buttons=(deform.Button("reply", _("Send the answer")),), focus="off",
                         counter=itertools.count(100))

    def fresh(self, request) -> str:
        """An empty form carrying the code this page was opened with (/status or an answer)."""
        return self.make(request).render({"code": receipts.normalize(posted_text(request, "code")),
                                          "nonce": new_nonce()})


class SubmissionReply(FormView):
    """An answer on the /status page of the submission its code opens, with FormView's rules. Refused
    for a code that opens no submission of this kind: the /status page with /status's words. Any
    other refusal shows the submission with the answer as sent, and keeps nothing. The CSRF token is
    checked after the code, so that an expired form keeps what was typed. A kind fills in the hooks."""

    buttons = (("reply", _("Send the answer")),)
    subject_type: str
    answer_form: AnswerForm
    closed: str  # said when the submission takes no more answers
    expired: str  # said when the CSRF token is stale
    too_many: str  # said over the limit, with ${minutes}

    def __init__(self, context, request):
        super().__init__(context, request)
        self.subject = None

    # -- the kind's hooks --
    def load(self, subject_id):
        """The submission a receipt names, or None."""
        raise NotImplementedError

    def accepts(self, subject) -> bool:
        raise NotImplementedError

    def count(self, receipt) -> None:
        """Count the answer against the address and the receipt (raises RateLimited)."""
        raise NotImplementedError

    def view(self, subject, **values) -> dict:
        """The kind's view of the submission for status.html (reply_form_html, notice, error)."""
        raise NotImplementedError

    def save(self, data) -> None:
        raise NotImplementedError

    def body_refusal(self) -> Refused | None:
        """A refusal of the posted body itself, answered once the code is known (none by default)."""
        return None

    # -- the shared rules --
    def form(self):
        return self.answer_form.make(self.request)

    def before(self, form):
        request = self.request
        refusal = self.body_refusal()
        if refusal is None and not check_csrf_token(request, raises=False):
            refusal = Refused(self.expired, 400)
        # The answer form is shown after the code opened the page, so this session skips any wait.
        receipt = receipts.lookup_for_request(request, posted_text(request, "code"))
        if receipt is not None and receipt.subject_type == self.subject_type:
            self.subject = self.load(receipt.subject_id)
        if self.subject is None:  # word for word what /status says to a wrong code
            raise Refused(NOT_FOUND, 400)
        if refusal is not None:
            raise refusal
        if not self.accepts(self.subject):
            raise Refused(self.closed, 400)
        try:
            self.count(receipt)
        except RateLimited as limited:
            raise limited.saying(_(self.too_many, mapping={"minutes": minutes(limited.retry_after)})) from None

    def page(self, form=None, error=None):
        request = self.request
        if self.subject is None:  # refused before a submission was known: the lookup page with the reason
            return status_page(request, error=error)
        if self.failed and error is None:  # the messages are at the fields
            error = CORRECT_FIELDS
        if not self.accepts(self.subject):
            form = None
        return status_page(request, self.view(self.subject, error=error, reply_form_html=form))

    def reply_success(self, data):
        self.save(data)
        return status_page(self.request, self.view(self.subject, notice=SENT,
                                                    reply_form_html=self.answer_form.fresh(self.request)))
