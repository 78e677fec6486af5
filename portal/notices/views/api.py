"""The public JSON API: the same filters and keyset cursor as the list page."""
import colander
from pyramid.httpexceptions import HTTPMethodNotAllowed
from pyramid.view import exception_view_config, notfound_view_config, view_config
from sqlalchemy.exc import DBAPIError

from portal.core.caching import shared
from portal.core.links import public_url
from portal.core.pagination import BadCursor, decode_cursor
from portal.notices import api_json as notice_json
from portal.notices import reading as notices
from portal.notices.filters import canonical_query, parse_api_filters
from portal.notices.purge_tags import LIST, UNITS, notice_tags
from portal.notices.views.openapi import document

API_PATH = r"^/api/"


def _error(request, status, message, fields=None):
    request.response.status_int = status
    body = {"error": {"status": status, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return body


@view_config(route_name="api_notices", renderer="json", request_method="GET")
def api_notices(request):
    shared(request, LIST)
    try:
        filters = parse_api_filters(request.GET)
        limit = _limit(request.GET.get("limit"))
        cursor = request.GET.get("cursor")
        if cursor is not None:
            decode_cursor(cursor)  # an empty cursor too is a 400 here: the document says what one is
        rows, next_cursor = notices.published_page(request.dbsession, filters=filters, cursor=cursor, size=limit)
    except colander.Invalid as invalid:
        fields = {k.split(".")[-1]: v for k, v in invalid.asdict().items()}
        return _error(request, 400, "Some filters are not valid.", fields)
    except notices.UnknownRegion:
        return _error(request, 400, "Some filters are not valid.", {"region": "No such region."})
    except BadCursor:
        return _error(request, 400, "The cursor is not valid; start again without it.", {"cursor": "not valid"})
    except ValueError as exc:
        return _error(request, 400, "Some filters are not valid.", {"limit": str(exc)})
    next_url = None
    if next_cursor:
        next_url = public_url(request, "api_notices", _query=dict(canonical_query(filters), cursor=next_cursor,
                                                                limit=limit))
    return {"items": [notice_json.summary(request, n) for n in rows], "next_cursor": next_cursor,
            "next_url": next_url}


def _limit(raw):
    if raw is None:
        return 20
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100:
        raise ValueError("a whole number from 1 to 100")
    return int(raw)


@view_config(route_name="api_notice", renderer="json", request_method="GET")
def api_notice(context, request):
    shared(request, *notice_tags(context.notice))
    if context.closed:
        return notice_json.closed(context.notice)
    return notice_json.detail(request, context.notice)


@view_config(route_name="api_openapi", renderer="json", request_method="GET")
def api_openapi(request):
    shared(request, UNITS, vary_language=False)  # lists the region codes
    return document(public_url(request, "home").rstrip("/"), notices.region_codes(request.dbsession))


@notfound_view_config(renderer="json", path_info=API_PATH)
def api_not_found(exc, request):
    return _error(request, 404, "No such notice or address.")


@exception_view_config(HTTPMethodNotAllowed, renderer="json", path_info=API_PATH)
def api_wrong_method(exc, request):
    request.response.headers["Allow"] = exc.headers["Allow"]
    return _error(request, 405, "This address takes only: " + exc.headers["Allow"])


@exception_view_config(DBAPIError, renderer="json", path_info=API_PATH)
def api_database_unavailable(exc, request):
    request.response.headers["Retry-After"] = "30"
    return _error(request, 503, "The service is temporarily unavailable.")
