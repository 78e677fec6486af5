from pyramid.httpexceptions import HTTPBadRequest
from pyramid.view import view_config

from ...i18n import _
from ...models.notice import NOTICE_KINDS
from ...services import notices
from ...services.pagination import BadCursor

KIND_LABELS = {
    "missing_person": _("Missing persons"),
    "wanted": _("Wanted suspects"),
    "lost_found": _("Lost and found"),
    "case_appeal": _("Case appeals"),
    "vehicle": _("Wanted vehicles"),
    "reward_task": _("Reward tasks"),
}


@view_config(route_name="notices", renderer="notices/list.html")
def notice_list(request):
    kind = request.GET.get("kind") or None
    if kind is not None and kind not in NOTICE_KINDS:
        raise HTTPBadRequest(_("Unknown kind of notice."))
    try:
        rows, next_cursor = notices.published_page(
            request.dbsession,
            kind=kind,
            cursor=request.GET.get("page") or None,
            size=int(request.registry.settings["portal.page_size"]),
        )
    except BadCursor:
        raise HTTPBadRequest(_("This page link is not valid. Start again from the first page.")) from None
    return {"notices": rows, "next_cursor": next_cursor, "kind": kind, "kind_labels": KIND_LABELS}


@view_config(route_name="notice", renderer="notices/detail.html")
def notice_detail(context, request):
    return {"notice": context.notice, "kind_labels": KIND_LABELS}
