"""The police side of tips: the unit-scoped queue with its filters (read with
tips/handling_forms.py, the query in tips/queue.py). One tip and its files: views/staff_tip.py."""
import colander
from pyramid.view import view_config

from portal.core.i18n import _
from portal.core.pagination import BadCursor
from portal.core.permissions import Permission
from portal.tips import handling_forms as forms
from portal.tips import queue as tip_queue
from portal.tips.models import TipCategory
from portal.tips.submission import text_in
from portal.tips.workflow import STATE_LABELS as TIP_STATE_LABELS

# The queue ----------------------------------------------------------------------------------

def _queue_filters(request, categories) -> tuple[dict, tip_queue.QueueFilters]:
    """The filters from the query string; colander.Invalid for a bad or unknown value."""
    data = forms.parse_filters(request.GET)
    if data["category"] is not None and data["category"] not in {c.id for c in categories}:
        raise colander.Invalid(forms.filter_schema(), _("Choose a category from the list."))
    since, until = forms.utc_bounds(data)
    return data, tip_queue.QueueFilters(category_id=data["category"], state=data["state"], since=since, until=until,
                                        flagged=data["flagged"], danger=data["danger"], mine=data["mine"])


@view_config(route_name="staff_tips", renderer="staff/tips.html", permission=Permission.WORK_TIPS)
def tip_queue_page(request):
    db, officer = request.dbsession, request.identity
    categories = db.execute(TipCategory.in_order()).scalars().all()
    page = {"tips": [], "counts": None, "next_query": None, "query": {}, "typed": dict(request.GET),
            "filters": {}, "error": None, "categories": categories, "state_labels": TIP_STATE_LABELS,
            "category_name": lambda c: text_in(c.names, request.locale_name) or c.slug,
            "count_cap": tip_queue.COUNT_CAP}
    try:
        data, filters = _queue_filters(request, categories)
        scope = tip_queue.scope_of(db, officer)
        tips, cursor = tip_queue.page(db, officer, filters, cursor=request.GET.get("page") or None, scope=scope)
    except colander.Invalid as invalid:
        request.response.status_int = 400
        messages = invalid.asdict(translate=request.localizer.translate)
        return dict(page, error=" ".join(m for m in messages.values() if m))
    except BadCursor:
        request.response.status_int = 400
        return dict(page, error=_("This page link is not valid. Start again from the first page."))
    query = forms.canonical_query(data)
    return dict(page, tips=tips, filters=data, query=query,
                all_states={k: v for k, v in query.items() if k != "state"},  # the "all" link keeps the rest
                counts=tip_queue.counts(db, officer, filters, scope=scope),
                next_query=dict(query, page=cursor) if cursor else None)
