"""/missing/new: a family asks for a missing-person appeal; its status renderer for /status."""
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from portal.abuse.ratelimit import RateLimited
from portal.core.forms import FormView
from portal.core.i18n import _
from portal.core.refused import Refused
from portal.media.uploads import MAX_PHOTO_BYTES, UploadRefused
from portal.missing import services as missing
from portal.missing.forms import MAX_PHOTOS, missing_request_schema
from portal.outbox import updates
from portal.phones import services as phones
from portal.phones.forms import PhoneCodeStep
from portal.privacy.receipts import format_code
from portal.status.renderers import messages_stopper, status_renderer

STATE_LABELS = {
    "submitted": _("Received: waiting for the police to verify it"),
    "verifying": _("Being verified by the police"),
    "published": _("Published"),
    "resolved": _("Closed: the appeal has ended"),
    "withdrawn": _("Withdrawn"),
    "rejected": _("Not published"),
}


@view_config(route_name="missing_new", renderer="missing/new.html", request_method=("GET", "POST"))
class NewMissingRequest(PhoneCodeStep, FormView):
    schema_factory = staticmethod(missing_request_schema)
    buttons = (("send", _("Send the request")),)

    def page(self, **values):
        return {"max_photos": MAX_PHOTOS, "max_mb": MAX_PHOTO_BYTES // (1024 * 1024), "failed": self.failed,
                **values}

    def before(self, form):
        try:
            missing.count_attempt(self.request)
        except RateLimited as limited:
            raise limited.saying(_(
                "Too many requests were sent from your connection. Nothing was saved. Please wait ${minutes} minutes "
                "and send it again, or call the police.", mapping={"minutes": max(1, limited.retry_after // 60)})
            ) from None

    def send_success(self, data):
        request = self.request
        try:
            missing_request, code = missing.submit(request, data)
            phones.consume(request, request.proven_phone)
        except UploadRefused as refused:  # nothing is half-saved: the form comes back filled in
            raise Refused(refused.message, 400) from None
        request.response.cache_control = "no-store"  # the receipt code is shown once, to this visitor
        return render_to_response("missing/submitted.html",
                                  {"code": format_code(code), "missing_request": missing_request},
                                  request=request, response=request.response)


@status_renderer(missing.SUBJECT_TYPE)
def missing_request_status(request, subject_id):
    missing_request = missing.for_receipt(request.dbsession, subject_id)
    if missing_request is None:
        return None
    return {"template": "missing/status.html", "missing_request": missing_request,
            "state_label": STATE_LABELS[missing_request.state]}


@messages_stopper(missing.SUBJECT_TYPE)
def stop_missing_request_messages(request, subject_id) -> bool:
    missing_request = missing.for_receipt(request.dbsession, subject_id)
    return missing_request is not None and updates.stop_asked(
        request, missing_request, (missing.SUBJECT_TYPE, missing_request.id))
