import colander
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from portal.core.caching import shared
from portal.core.i18n import Labels, TranslatedTuple, _
from portal.core.links import public_url
from portal.core.pagination import BadCursor
from portal.notices import card_reading, posters
from portal.notices import page_extras as notice_page
from portal.notices import reading as notices
from portal.notices.filters import FIELDS, canonical_query, parse_filters
from portal.notices.purge_tags import LIST, UNITS, notice_tags
from portal.units.directory import directory

KIND_LABELS = Labels({
    "missing_person": _("Missing persons"),
    "wanted": _("Wanted suspects"),
    "lost_found": _("Lost and found"),
    "case_appeal": _("Case appeals"),
    "vehicle": _("Wanted vehicles"),
    "reward_task": _("Reward tasks"),
})
SEX_LABELS = Labels({"female": _("female"), "male": _("male"), "unknown": _("unknown")})
SORT_LABELS = Labels({"newest": _("Newest first"), "last_seen": _("Last seen most recently")})


def _regions(units):
    # The region filter: every unit, each below the one above it (their names, kept per process).
    return TranslatedTuple((unit.code, unit) for unit in units.in_tree_order)


@view_config(route_name="notices", request_method="GET", renderer="notices/list.html")
def notice_list(request):
    shared(request, LIST, UNITS)  # the region filter lists every unit
    units = directory(request.dbsession)
    typed = {k: request.GET.get(k, "")[:60] for k in FIELDS}
    sort = request.GET.get("sort", "")[:20] or "newest"
    page = {"typed": typed, "kind_labels": KIND_LABELS, "sex_labels": SEX_LABELS, "regions": _regions(units),
            "sort_labels": SORT_LABELS, "sort": sort, "notices": [], "next_cursor": None, "errors": {}, "query": {},
            "total": None, "units_by_id": units.by_id, "filtering": any(typed[k] for k in FIELDS if k != "kind")}
    try:
        if sort not in notices.SORTS:
            raise colander.Invalid(colander.SchemaNode(colander.String(), name="sort"),
                                   _("Choose an order from the list."))
        filters = parse_filters(request.GET)
        rows, next_cursor, total = card_reading.list_page(
            request.dbsession, filters=filters, cursor=request.GET.get("page") or None,
            size=int(request.registry.settings["portal.page_size"]), sort=sort)
    except colander.Invalid as invalid:
        request.response.status_int = 400
        messages = invalid.asdict(translate=request.localizer.translate)
        return dict(page, errors={k.split(".")[-1]: v for k, v in messages.items()})
    except notices.UnknownRegion:
        request.response.status_int = 400
        return dict(page, errors={"region": _("Choose a region from the list.")})
    except BadCursor:
        request.response.status_int = 400
        return dict(page, errors={"page": _("This page link is not valid. Start again from the first page.")})
    query = dict(canonical_query(filters), **({"sort": sort} if sort != "newest" else {}))
    # The cards hold no translation strings: TranslatedTuple spares template_globals walking them.
    return dict(page, notices=TranslatedTuple(rows), next_cursor=next_cursor, query=query, kind=filters["kind"],
                total=total)


@view_config(route_name="notice", request_method="GET", renderer="notices/detail.html")
def notice_detail(context, request):
    shared(request, *notice_tags(context.notice))
    if context.closed:
        return render_to_response("notices/closed.html", {}, request=request)
    notice = context.notice
    url = public_url(request, "notice", id=notice.id)
    return {"notice": notice, "kind_labels": KIND_LABELS, **notice_page.page(request, notice, url)}


@view_config(route_name="notice_poster", request_method="GET", renderer="notices/poster.html")
def notice_poster(context, request):
    shared(request, *notice_tags(context.notice))
    if context.closed:  # an old poster's QR code lands here: say it is over, show nothing of the person
        return render_to_response("notices/closed.html", {}, request=request)
    url = public_url(request, "notice", id=context.notice.id)
    return {"notice": context.notice, "kind_labels": KIND_LABELS, "url": url, "qr": posters.qr_data_uri(url),
            "person": notice_page.person(request, context.notice)}
