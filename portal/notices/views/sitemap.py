"""robots.txt and sitemap.xml: crawlers welcome on the notices, kept off everything personal."""
from pyramid.response import Response
from pyramid.view import view_config

from portal.core.caching import shared
from portal.core.links import public_url
from portal.notices import sitemap

# Pages a search engine must never keep: staff, a person's status, alarms' secret links (the alarm page
# /alarm itself is public and listed, so a person searching for help finds it), trips and guardians,
# invitations, uploads, sign-in, the API's raw data.
KEPT_OFF = ("/staff", "/status", "/alarm/", "/embed/", "/trips", "/guard/", "/invite/", "/uploads", "/login",
            "/logout", "/missing/new", "/tips/route", "/api/", "/media/", "/readyz", "/healthz")
PUBLIC_PAGES = ("home", "notices", "tips_new", "alarm")


def _text(body: bytes, content_type: str) -> Response:
    response = Response(body=body, content_type=content_type, charset="utf-8")
    response.cache_control = "public, max-age=3600"
    return response


@view_config(route_name="robots", request_method="GET")
def robots(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in KEPT_OFF), "",
             f"Sitemap: {public_url(request, 'sitemap')}", ""]
    return _text("\n".join(lines).encode(), "text/plain")


@view_config(route_name="sitemap", request_method="GET")
def sitemap_xml(request):
    shared(request, "notice-list", vary_language=False)
    notices = [(public_url(request, "notice", id=notice_id), changed)
               for notice_id, changed in sitemap.listed_notices(request.dbsession, sitemap.MAX_URLS)]
    pages = [public_url(request, name) for name in PUBLIC_PAGES]
    response = _text(sitemap.render(pages, notices), "application/xml")
    response.cache_control = "public, max-age=600"
    return response
