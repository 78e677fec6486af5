"""Atom and CAP feeds of the published notices."""
from pyramid.response import Response
from pyramid.view import view_config

from portal.core.i18n import _
from portal.core.meta import utcnow
from portal.notices import cap, feeds

CAP_TYPE = "application/cap+xml"
ATOM_TYPE = "application/atom+xml"
FEED_TITLE = _("Safety Portal: police notices")
CLOSED_TITLE = _("This appeal has been closed")


def _xml(body: bytes, content_type: str) -> Response:
    response = Response(body=body, content_type=content_type, charset="utf-8")
    response.cache_control = "public, max-age=60"
    return response


def cap_sender(request) -> str:
    return request.registry.settings["portal.cap_sender"] or f"safety-portal@{request.domain}"


def unit_names(request, unit) -> dict:
    return {"zh-CN": unit.name("zh_CN"), "en-US": unit.name("en")}


def _entry(request, notice, cap_link=False):
    closed = feeds.is_closed(notice)
    entry = {
        "id": f"tag:{request.domain},2026:notice-{notice.id}",
        "title": request.localizer.translate(CLOSED_TITLE) if closed else notice.title,
        "url": request.route_url("notice", id=notice.id),
        "updated": notice.updated_at,
        "published": notice.published_at,
        "author": notice.unit.name(request.locale_name),
        "category": notice.kind,
        "summary": None if closed else notice.body.split("\n\n")[0][:500],
    }
    if cap_link:
        entry["links"] = [{"rel": "related", "href": request.route_url("notice_cap", id=notice.id), "type": CAP_TYPE}]
    return entry


@view_config(route_name="feed_atom", request_method="GET")
def atom(request):
    rows = feeds.feed_notices(request.dbsession)
    body = feeds.atom_feed(
        feed_id=f"tag:{request.domain},2026:notices", title=request.localizer.translate(FEED_TITLE),
        self_url=request.route_url("feed_atom"), site_url=request.route_url("notices"),
        entries=[_entry(request, n) for n in rows], updated=rows[0].updated_at if rows else utcnow())
    return _xml(body, ATOM_TYPE)


@view_config(route_name="feed_cap", request_method="GET")
def cap_index(request):
    rows = feeds.feed_notices(request.dbsession)
    body = feeds.atom_feed(
        feed_id=f"tag:{request.domain},2026:notices-cap", title=request.localizer.translate(FEED_TITLE) + " (CAP)",
        self_url=request.route_url("feed_cap"), site_url=request.route_url("notices"),
        entries=[_entry(request, n, cap_link=True) for n in rows], updated=rows[0].updated_at if rows else utcnow())
    return _xml(body, ATOM_TYPE)


@view_config(route_name="notice_cap", request_method="GET")
def notice_cap(context, request):
    body = cap.alert(context.notice, sender=cap_sender(request), web=request.route_url("notice", id=context.notice.id),
                     closed=context.closed, unit_names=unit_names(request, context.notice.unit))
    return _xml(body, CAP_TYPE)
