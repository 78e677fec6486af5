"""/phones/code: "Send a code" for a page with JavaScript (static/js/phone-code.js), so the page stays
as it is (files already chosen included) while the SMS is on its way. The same service as the form's
button, the same answers; CSRF by the X-CSRF-Token header (Pyramid's default check)."""
from pyramid.view import view_config

from portal.abuse.ratelimit import RateLimited
from portal.core.i18n import _
from portal.core.json import json_error, json_response
from portal.core.refused import Refused
from portal.phones import services as phones

OFF = _("This portal does not verify phone numbers.")


@view_config(route_name="phone_code", request_method="POST")
def send_code(request):
    if phones.mode(request.registry.settings) == "off":
        return json_error(request, 404, OFF)
    phone = request.POST.get("phone")
    try:
        sent = phones.send_code(request, phone if isinstance(phone, str) else "")
    except RateLimited as limited:
        return json_error(request, 429, limited.message, retry_after=limited.retry_after)
    except Refused as refused:
        return json_error(request, refused.status, refused.message)
    return json_response({"message": request.localizer.translate(sent)})
