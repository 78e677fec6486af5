"""Error pages: every one shows the call and SMS fallbacks and never a traceback."""
import logging

from pyramid.csrf import BadCSRFToken
from pyramid.httpexceptions import HTTPClientError, HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config
from sqlalchemy.exc import DBAPIError

from portal.core.i18n import _
from portal.core.json import json_error, wants_json
from portal.core.refused import Refused

log = logging.getLogger(__name__)
TEMPLATE = "errors/error.html"

MESSAGES = {
    400: (_("The request could not be understood"), _("Please check what you entered and try again.")),
    403: (_("You may not open this page"), _("Your account does not have access to this page.")),
    404: (_("Page not found"), _("There is no page at this address. It may have been closed or moved.")),
    405: (_("This address does not take that kind of request"),
          _("Please open the page from its link or send its form from the page.")),
    413: (_("Too much data"), _("What you sent is larger than this service accepts.")),
    429: (_("Too many attempts"), _("Please wait a while and try again.")),
    500: (_("Something went wrong on our side"), _("The problem has been logged. Please try again later.")),
    503: (_("The service is temporarily unavailable"), _("Please try again in a few minutes.")),
}


def render_error(request, status: int, detail=None):
    title, message = MESSAGES.get(status, MESSAGES[400])
    request.response.status_int = status
    return {"status": status, "title": title, "message": detail or message}


@notfound_view_config(renderer=TEMPLATE)
def not_found(exc, request):
    if wants_json(request):
        return json_error(request, 404, MESSAGES[404][0])
    return render_error(request, 404)


@forbidden_view_config(renderer=TEMPLATE)
def forbidden(exc, request):
    if request.identity is None and request.method in ("GET", "HEAD"):
        # Staff pages send a signed-out visitor to sign in, then back.
        return HTTPSeeOther(request.route_url("login", _query={"next": request.path_qs}))
    if wants_json(request):  # a page's script: it shows the message where it is
        return json_error(request, 403, MESSAGES[403][1])
    return render_error(request, 403)


@exception_view_config(BadCSRFToken, renderer=TEMPLATE)
def bad_csrf(exc, request):
    if wants_json(request):
        return json_error(request, 400, BAD_CSRF)
    return render_error(request, 400, BAD_CSRF)


BAD_CSRF = _("This form has expired or did not come from this site. Nothing was changed. "
             "Please go back, reload the page and send it again.")


@exception_view_config(Refused, renderer=TEMPLATE)
def refused(exc, request):
    """A refusal no form view caught: its message on the error page, or as JSON for a script."""
    if wants_json(request):
        return json_error(request, exc.status, exc.message)
    return render_error(request, exc.status, exc.message)


@exception_view_config(HTTPClientError, renderer=TEMPLATE)
def client_error(exc, request):
    if isinstance(exc, (HTTPNotFound, HTTPForbidden)):  # handled above
        return render_error(request, exc.code)
    # Retry-After (429, 503) and Allow (405) tell the client what to do next.
    kept = {k: v for k, v in exc.headers.items() if k.lower() in ("retry-after", "allow")}
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else None
    if wants_json(request):
        response = json_error(request, exc.code, detail or MESSAGES.get(exc.code, MESSAGES[400])[0])
        response.headers.update(kept)
        return response
    request.response.headers.update(kept)
    return render_error(request, exc.code, detail)


@exception_view_config(DBAPIError, renderer=TEMPLATE)
def database_unavailable(exc, request):
    log.error("database error: %s", type(exc).__name__)
    request.response.headers["Retry-After"] = "30"
    return render_error(request, 503)


@exception_view_config(Exception, renderer=TEMPLATE)
def server_error(exc, request):
    # Log type and place only: messages of some exceptions carry submitted data. The place is the
    # route's name, never the path, which may hold a secret link's token.
    route = request.matched_route
    where = f"route {route.name}" if route is not None else request.path  # redacted: privacy/log_redaction.py
    log.error("unhandled %s at %s %s", type(exc).__name__, request.method, where,
              exc_info=(type(exc), None, exc.__traceback__))
    return render_error(request, 500)
