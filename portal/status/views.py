"""/status: a visitor enters a receipt code and sees where their submission stands.

The code travels in a POST body only (never in a URL, so never in logs or history). A wrong code
and a malformed one get the same answer, and every look-up counts against the visitor's address.
Each kind of submission plugs in its own renderer (status/renderers.py)."""
import deform
from pyramid.view import view_config

from portal.abuse.ratelimit import RateLimited
from portal.core.forms import make_form, submitted
from portal.core.i18n import _
from portal.privacy import receipts
from portal.status.forms import StatusLookupSchema
from portal.status.renderers import NOT_FOUND, STATUS_RENDERERS


def _form(request):
    return make_form(request, StatusLookupSchema(), buttons=(deform.Button("show", _("Show the status")),))


@view_config(route_name="status", renderer="status.html", request_method=("GET", "POST"))
def status(request):
    request.response.cache_control = "no-store"  # a status belongs to whoever holds the code
    form = _form(request)
    if request.method != "POST":
        return {"form": form.render()}
    data, invalid = submitted(request, form)
    if invalid:
        return {"form": invalid}
    try:
        receipt = receipts.lookup_for_request(request, data["code"])
    except RateLimited as exc:
        request.response.status_int = 429
        request.response.headers["Retry-After"] = str(exc.retry_after)
        return {"form": form.render(data), "error": _(
            "Too many codes were tried from your connection. Please wait ${minutes} minutes and try again, "
            "or call the police.", mapping={"minutes": max(1, exc.retry_after // 60)})}
    renderer = STATUS_RENDERERS.get(receipt.subject_type) if receipt is not None else None
    found = renderer(request, receipt.subject_id) if renderer is not None else None
    if found is None:
        request.response.status_int = 400
        return {"form": form.render(data), "error": NOT_FOUND}
    return {"form": form.render(), "found": found}
