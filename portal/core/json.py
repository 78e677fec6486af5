"""JSON answers for the small endpoints the pages' scripts call, and the same-site check they use."""
import json
from urllib.parse import urlsplit

from pyramid.csrf import check_csrf_token
from pyramid.response import Response


def from_this_site(request) -> bool:
    """True when the token matches or the browser vouches the request comes from our own page."""
    if check_csrf_token(request, raises=False):
        return True
    site = request.headers.get("Sec-Fetch-Site")
    if site:
        return site == "same-origin"
    ours = urlsplit(request.host_url)
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value and value != "null":
            theirs = urlsplit(value)
            return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)
    return False


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def json_response(data, status=200, **headers):
    response = Response(body=json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                        status=status, content_type="application/json", charset="utf-8")
    response.headers.update(headers)
    response.cache_control = "no-store"
    return response


def json_error(request, status: int, message, **extra):
    return json_response({"error": request.localizer.translate(message), **extra}, status=status)
