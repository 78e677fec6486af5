"""Tip statistics (/staff/stats) as SVG charts drawn here (no script; classes and SVG attributes
only, as the CSP forbids style attributes) with the same numbers in tables, and as CSV
(/staff/stats.csv). Only counts and durations: never a description, place or reporter field."""
from datetime import timedelta

from pyramid.response import Response
from pyramid.view import view_config

from portal.core.charts import Row, bar_chart, column_chart, duration_rows, hours, human_duration
from portal.core.i18n import _
from portal.core.localtime import local_today
from portal.core.permissions import Permission
from portal.core.stats_range import BadRange, parse_range
from portal.tips import stats as tip_stats
from portal.tips.categories import text_in
from portal.tips.models import TIP_STATES, TipCategory
from portal.tips.workflow import STATE_LABELS as TIP_STATE_LABELS


class BadFilter(ValueError):
    pass


def _categories(dbsession) -> list[TipCategory]:
    return list(dbsession.execute(TipCategory.in_order()).scalars())


def parse_filters(typed: dict, categories) -> tip_stats.StatsFilter:
    """The filters from what was typed in the form (kept in it whatever happens)."""
    try:  # the same days and refusals as every statistics page
        dates = parse_range(typed["since"], typed["until"])
    except BadRange as refused:
        raise BadFilter(*refused.args) from None
    category_id = None
    if typed["category"]:
        category_id = next((c.id for c in categories if c.slug == typed["category"]), None)
        if category_id is None:
            raise BadFilter(_("Choose a category from the list."))
    return tip_stats.StatsFilter(since=dates.since, until=dates.until, category_id=category_id)


def figures(request, stats, categories) -> dict[str, list[Row]]:
    locale, translate = request.locale_name, request.localizer.translate
    return {
        # Retired categories only where they still have tips in the figures.
        "category": [Row(c.slug, text_in(c.names, locale), stats.by_category.get(c.id, 0)) for c in categories
                     if not c.retired or stats.by_category.get(c.id)],
        "unit": [Row(u.code, u.name(locale), stats.by_unit.get(u.id, 0)) for u in stats.units],
        "state": [Row(s, translate(TIP_STATE_LABELS[s]), stats.by_state.get(s, 0)) for s in TIP_STATES],
        "week": [Row(monday.isoformat(), f"{monday:%m-%d}", n) for monday, n in zip(stats.weeks, stats.by_week,
                                                                                    strict=True)],
    }


def _context(request):
    categories = _categories(request.dbsession)
    typed = {name: (request.GET.get(name) or "").strip()[:40] for name in ("since", "until", "category")}
    page = {"categories": categories, "typed": typed, "error": None, "stats": None}
    try:
        return page, parse_filters(typed, categories)
    except BadFilter as refused:
        return dict(page, error=refused.args[0]), None


@view_config(route_name="staff_stats", renderer="staff/stats.html", permission=Permission.VIEW_STATS)
def stats_page(request):
    page, filters = _context(request)
    if filters is None:
        request.response.status_int = 400
        return page
    stats = tip_stats.collect(request.dbsession, request.identity, filters)
    rows = figures(request, stats, page["categories"])
    rtl = request.locale_name == "ug"
    charts = {name: bar_chart(rows[name], rtl) for name in ("category", "unit", "state")}
    charts["week"] = column_chart(rows["week"])
    durations = [(_("Time to triage"), stats.triage), (_("Time to close"), stats.close)]
    charts["durations"] = bar_chart(duration_rows(request.localizer.translate, durations), rtl)
    return dict(page, stats=stats, rows=rows, charts=charts, scope=request.identity.unit,
                durations=[(label, d.count, human_duration(d.median), human_duration(d.p90)) for label, d in durations],
                week_end=stats.weeks[-1] + timedelta(days=6))


def csv_rows(request, stats, rows, typed) -> list[list]:
    unit = request.identity.unit
    out = [["figure", "key", "label", "value"],
           ["scope", unit.code, unit.name(request.locale_name), ""],
           ["filter", "since", "", typed["since"]], ["filter", "until", "", typed["until"]],
           ["filter", "category", "", typed["category"]],
           ["total", "", "", stats.total]]
    for figure in ("category", "unit", "state", "week"):
        out += [[figure, r.code, r.label, r.count] for r in rows[figure]]
    for name, d in (("hours_to_triage", stats.triage), ("hours_to_close", stats.close)):
        out += [[name, "tips", "", d.count], [name, "median", "", hours(d.median)], [name, "p90", "", hours(d.p90)]]
    return out


@view_config(route_name="staff_stats_csv", permission=Permission.VIEW_STATS)
def stats_csv(request):
    page, filters = _context(request)
    if filters is None:
        return Response(request.localizer.translate(page["error"]), status=400, content_type="text/plain",
                        charset="utf-8")
    stats = tip_stats.collect(request.dbsession, request.identity, filters)
    body = tip_stats.csv_bytes(csv_rows(request, stats, figures(request, stats, page["categories"]), page["typed"]))
    name = f"tip-statistics-{request.identity.unit.code}-{local_today():%Y%m%d}.csv"
    return Response(body=body, content_type="text/csv", charset="utf-8",
                    content_disposition=f'attachment; filename="{name}"')
