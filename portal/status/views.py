"""/status: a visitor enters a receipt code and sees where their submission stands.

The code travels in a POST body only (never in a URL, so never in logs or history). A wrong code
and a malformed one get the same answer; guessing is slowed by wrong codes only
(privacy/receipt_throttle.py), and a right code is never refused.
Each kind of submission plugs in its own renderer (status/renderers.py)."""
from pyramid.view import view_config

from portal.core.forms import FormView, posted_text
from portal.core.i18n import _
from portal.core.refused import Refused
from portal.privacy import receipts
from portal.status.forms import StatusLookupSchema
from portal.status.renderers import MESSAGE_STOPPERS, NOT_FOUND, STATUS_RENDERERS
from portal.status.replies import lookup_form

STOPPED = _("Done: you will get no more messages about this. You can still look here with your receipt code.")


@view_config(route_name="status", renderer="status.html", request_method=("GET", "POST"))
class StatusLookup(FormView):
    schema_factory = StatusLookupSchema
    buttons = (("show", _("Show the status")),)

    def __call__(self):
        self.request.response.cache_control = "no-store"  # a status belongs to whoever holds the code
        return super().__call__()

    def show_success(self, data):
        request = self.request
        receipt = receipts.lookup_for_request(request, data["code"], proof=data["pow"])
        renderer = STATUS_RENDERERS.get(receipt.subject_type) if receipt is not None else None
        found = renderer(request, receipt.subject_id) if renderer is not None else None
        if found is None:
            # A wrong code and a malformed one get the same answer.
            raise Refused(NOT_FOUND, 400)
        return {"form": self.form().render(), "found": found}


@view_config(route_name="status_stop_messages", renderer="status.html", request_method="POST")
def stop_messages(request):
    """"Stop the messages" on a submission's /status page: the code in the POST body opens it again
    (this session opened it, so no wait), and its kind turns its messages off."""
    request.response.cache_control = "no-store"
    receipt = receipts.lookup_for_request(request, posted_text(request, "code"))
    renderer = STATUS_RENDERERS.get(receipt.subject_type) if receipt is not None else None
    stopper = MESSAGE_STOPPERS.get(receipt.subject_type) if receipt is not None else None
    if renderer is None or stopper is None:
        raise Refused(NOT_FOUND, 400)
    stopper(request, receipt.subject_id)  # already off (sent twice): the same answer
    found = renderer(request, receipt.subject_id)
    if found is None:
        raise Refused(NOT_FOUND, 400)
    return {"form": lookup_form(request).render(), "found": found, "stopped": STOPPED}
