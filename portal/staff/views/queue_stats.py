"""Statistics of notices, families' requests, sightings and alarms (/staff/stats/queues) in the
officer's unit and the units below it, for a date range: SVG charts drawn on the server (no script, no
style attribute) with the same numbers in tables, and one CSV per queue (/staff/stats/queues/<queue>.csv).
Only counts and durations: never a name, a place, a message or a contact."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config

from portal.alarms import stats as alarm_stats
from portal.core.csv_export import csv_bytes
from portal.core.localtime import local_today
from portal.core.permissions import Permission
from portal.core.stats_range import BadRange, parse_range
from portal.missing import stats as missing_stats
from portal.notices import stats as notice_stats
from portal.sightings import stats as sighting_stats
from portal.staff.queue_figures import QUEUES, Layout, csv_rows

COLLECTORS = {"notices": notice_stats.collect, "missing": missing_stats.collect,
              "sightings": sighting_stats.collect, "alarms": alarm_stats.collect}


def _typed(request) -> dict:
    return {name: (request.GET.get(name) or "").strip()[:40] for name in ("since", "until")}


def _section(request, layout, queue, dates):
    stats = COLLECTORS[queue](request.dbsession, request.identity, dates)
    return getattr(layout, queue)(stats), stats


@view_config(route_name="staff_queue_stats", renderer="staff/queue_stats.html",
             permission=Permission.VIEW_QUEUE_STATS)
def queue_stats_page(request):
    typed = _typed(request)
    page = {"typed": typed, "error": None, "sections": [], "scope": request.identity.unit}
    try:
        dates = parse_range(typed["since"], typed["until"])
    except BadRange as refused:
        request.response.status_int = 400
        return dict(page, error=refused.args[0])
    layout = Layout(request)
    return dict(page, sections=[_section(request, layout, queue, dates)[0] for queue in QUEUES])


@view_config(route_name="staff_queue_stats_csv", permission=Permission.VIEW_QUEUE_STATS)
def queue_stats_csv(request):
    queue = request.matchdict["queue"]
    if queue not in QUEUES:
        raise HTTPNotFound()
    typed = _typed(request)
    try:
        dates = parse_range(typed["since"], typed["until"])
    except BadRange as refused:
        return Response(request.localizer.translate(refused.args[0]), status=400, content_type="text/plain",
                        charset="utf-8")
    section, stats = _section(request, Layout(request), queue, dates)
    unit = request.identity.unit
    head = [["figure", "key", "label", "value"], ["scope", unit.code, unit.name(request.locale_name), ""],
            ["filter", "since", "", typed["since"]], ["filter", "until", "", typed["until"]]]
    body = csv_bytes(head + csv_rows(queue, section, stats, request.locale_name))
    name = f"{queue}-statistics-{unit.code}-{local_today():%Y%m%d}.csv"
    return Response(body=body, content_type="text/csv", charset="utf-8",
                    content_disposition=f'attachment; filename="{name}"')
