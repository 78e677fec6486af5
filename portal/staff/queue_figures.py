"""The statistics of notices, families' requests, sightings and alarms as what the page shows (bar
charts, each with a table of the same numbers) and as CSV rows (figure, key, label, value, as the tips'
CSV). Each domain computes its own figures (<domain>/stats.py); this module only names and lays them out."""
from dataclasses import dataclass, field

from portal.alarms.dispatch import STATE_LABELS as ALARM_STATE_LABELS
from portal.alarms.models import ALARM_STATES
from portal.core.charts import Row, bar_chart, duration_rows, hours, human_duration
from portal.core.durations import NONE_YET
from portal.core.i18n import _
from portal.missing.models import MISSING_REQUEST_STATES
from portal.missing.workflow import STATE_LABELS as MISSING_STATE_LABELS
from portal.notices.models import NOTICE_KINDS
from portal.notices.stats import CLOSED_STATES
from portal.notices.workflow import KIND_LABELS as NOTICE_KIND_LABELS
from portal.notices.workflow import STATE_LABELS as NOTICE_STATE_LABELS
from portal.sightings.models import SIGHTING_STATES
from portal.sightings.stats import TOP_NOTICES
from portal.sightings.workflow import STATE_LABELS as SIGHTING_STATE_LABELS

QUEUES = ("notices", "missing", "sightings", "alarms")
TITLES = {"notices": _("Notices"), "missing": _("Families' missing-person requests"),
          "sightings": _("Sightings"), "alarms": _("Alarms")}


@dataclass
class Figure:
    """A bar chart and its table (label, number)."""

    id: str
    title: str
    head: str  # the first column's heading
    count_head: str  # the number's heading
    rows: list[Row]
    chart: dict = field(default_factory=dict)


@dataclass
class Table:
    """A table of several numbers per row (a chart shows the main one)."""

    id: str
    title: str
    columns: list[str]  # the headings, the row's own first
    rows: list[tuple[str, list]]


@dataclass
class Section:
    id: str
    title: str
    summary: list[tuple[str, object]]
    figures: list[Figure]
    tables: list[Table] = field(default_factory=list)
    note: str | None = None


class Layout:
    """Builds the sections in the request's language, right to left where it reads so."""

    def __init__(self, request):
        self.locale, self.translate = request.locale_name, request.localizer.translate
        self.rtl = request.locale_name == "ug"

    def figure(self, id, title, head, count_head, rows) -> Figure:
        t = self.translate
        return Figure(id, t(title), t(head), t(count_head), rows, bar_chart(rows, self.rtl))

    def labelled(self, counts: dict, keys, labels) -> list[Row]:
        return [Row(k, self.translate(labels[k]), counts.get(k, 0)) for k in keys]

    def per_unit(self, units, counts: dict) -> list[Row]:
        return [Row(u.code, u.name(self.locale), counts.get(u.id, 0)) for u in units]

    def durations(self, id, title, steps) -> Figure:
        """Median and p90 bars of [(label, Durations)] on one scale."""
        t = self.translate
        rows = duration_rows(t, steps)
        return Figure(id, t(title), t(_("Waiting time")), t(_("Time")), rows, bar_chart(rows, self.rtl))

    def shown(self, seconds) -> str:
        return self.translate(human_duration(seconds))

    def notices(self, stats) -> Section:
        t = self.translate
        published = self.labelled(stats.published, NOTICE_KINDS, NOTICE_KIND_LABELS)
        closed = [Row(k, t(NOTICE_KIND_LABELS[k]), sum(stats.closed[k].values())) for k in NOTICE_KINDS]
        ways = Table("notices-closed-ways", t(_("Notices closed, by kind and how")),
                     [t(_("Kind"))] + [t(NOTICE_STATE_LABELS[s]) for s in CLOSED_STATES],
                     [(t(NOTICE_KIND_LABELS[k]), [stats.closed[k][s] for s in CLOSED_STATES]) for k in NOTICE_KINDS])
        return Section("notices", t(TITLES["notices"]),
                       [(t(_("Published")), stats.total_published), (t(_("Closed")), stats.total_closed)],
                       [self.figure("notices-published", _("Notices published, by kind"), _("Kind"), _("Notices"),
                                    published),
                        self.figure("notices-closed", _("Notices closed, by kind"), _("Kind"), _("Notices"), closed),
                        self.figure("notices-unit", _("Notices published, by unit"), _("Unit"), _("Notices"),
                                    self.per_unit(stats.units, stats.published_by_unit))],
                       [ways], t(_("Closed: resolved, expired or retracted in the period, whenever published.")))

    def missing(self, stats) -> Section:
        t = self.translate
        centers = [u for u in stats.units if u.is_command_center or u.id in stats.by_center]
        per_center = Table("missing-centers", t(_("Time to publication, by command center")),
                           [t(_("Command center")), t(_("Requests")), t(_("Published")), t(_("Median")),
                            t(_("90th percentile"))],
                           [(u.name(self.locale), [stats.by_center.get(u.id, 0), d.count, self.shown(d.median),
                                                   self.shown(d.p90)])
                            for u in centers for d in [stats.to_publication_by_center.get(u.id, NONE_YET)]])
        return Section("missing", t(TITLES["missing"]),
                       [(t(_("Requests")), stats.total), (t(_("Published")), stats.to_publication.count)],
                       [self.durations("missing-wait", _("From the family's request to publication"),
                                       [(_("Time to publication"), stats.to_publication)]),
                        self.figure("missing-state", _("Requests by state"), _("State"), _("Requests"),
                                    self.labelled(stats.by_state, MISSING_REQUEST_STATES, MISSING_STATE_LABELS))],
                       [per_center], t(_("Requests received in the period; their appeals whenever published.")))

    def sightings(self, stats) -> Section:
        t = self.translate
        top = [Row(str(n.notice_id), f"#{n.notice_id} · {t(NOTICE_KIND_LABELS[n.kind])}", n.total) for n in stats.top]
        per_notice = Table("sightings-notices", t(_("Sightings per notice and where they stand")),
                           [t(_("Notice")), t(_("Sightings"))] + [t(SIGHTING_STATE_LABELS[s]) for s in SIGHTING_STATES],
                           [(r.label, [r.count] + [n.by_state[s] for s in SIGHTING_STATES])
                            for r, n in zip(top, stats.top, strict=True)])
        per_notice_text = "" if stats.per_notice is None else f"{stats.per_notice:.1f}"
        return Section("sightings", t(TITLES["sightings"]),
                       [(t(_("Sightings")), stats.total), (t(_("Notices with sightings")), stats.notices),
                        (t(_("Sightings per notice")), per_notice_text)],
                       [self.figure("sightings-state", _("Sightings by outcome"), _("State"), _("Sightings"),
                                    self.labelled(stats.by_state, SIGHTING_STATES, SIGHTING_STATE_LABELS)),
                        self.figure("sightings-top", _("Notices with the most sightings"), _("Notice"),
                                    _("Sightings"), top)],
                       [per_notice], t(_("Sightings received in the period; at most ${n} notices are listed.",
                                             mapping={"n": TOP_NOTICES})))

    def alarms(self, stats) -> Section:
        t = self.translate
        per_center = Table("alarms-centers", t(_("Alarms by command center")),
                           [t(_("Command center")), t(_("Alarms")), t(_("Acknowledged")), t(_("Median")),
                            t(_("90th percentile")), t(_("Dispatched")), t(_("Median")), t(_("90th percentile"))],
                           [(u.name(self.locale), [stats.by_center.get(u.id, 0),
                                                   *self._three(stats.acknowledge_by_center.get(u.id, NONE_YET)),
                                                   *self._three(stats.dispatch_by_center.get(u.id, NONE_YET))])
                            for u in stats.centers])
        return Section("alarms", t(TITLES["alarms"]), [(t(_("Alarms")), stats.total)],
                       [self.durations("alarms-wait", _("How long alarms waited"),
                                       [(_("Time to acknowledge"), stats.acknowledge),
                                        (_("Time to dispatch"), stats.dispatch)]),
                        self.figure("alarms-center", _("Alarms per command center"), _("Command center"),
                                    _("Alarms"), self.per_unit(stats.centers, stats.by_center)),
                        self.figure("alarms-state", _("Alarms by state"), _("State"), _("Alarms"),
                                    self.labelled(stats.by_state, ALARM_STATES, ALARM_STATE_LABELS))],
                       [per_center], t(_("Alarms received in the period, timed from their arrival.")))

    def _three(self, d) -> list:
        return [d.count, self.shown(d.median), self.shown(d.p90)]


def _duration_lines(name, key, label, d) -> list[list]:
    return [[name, f"{key}:count", label, d.count], [name, f"{key}:median", label, hours(d.median)],
            [name, f"{key}:p90", label, hours(d.p90)]]


def csv_rows(queue: str, section: Section, stats, locale: str) -> list[list]:
    """The section's figures, one number a line, durations in hours."""
    out = []
    for figure in section.figures:
        if figure.id.endswith("-wait"):
            continue  # written below, with the counts and in hours
        out += [[figure.id, r.code, r.label, r.count] for r in figure.rows]
    if queue == "notices":
        out += [["notices-closed-ways", f"{k}:{s}", "", stats.closed[k][s]]
                for k in NOTICE_KINDS for s in CLOSED_STATES]
    elif queue == "missing":
        out += _duration_lines("hours_to_publication", "all", "", stats.to_publication)
        for u in stats.units:
            if u.id in stats.to_publication_by_center:
                out += _duration_lines("hours_to_publication", u.code, u.name(locale),
                                       stats.to_publication_by_center[u.id])
    elif queue == "sightings":
        out += [["sightings-notices", f"{n.notice_id}:{s}", n.kind, n.by_state[s]]
                for n in stats.top for s in SIGHTING_STATES]
    elif queue == "alarms":
        for name, overall, by_center in (("hours_to_acknowledge", stats.acknowledge, stats.acknowledge_by_center),
                                         ("hours_to_dispatch", stats.dispatch, stats.dispatch_by_center)):
            out += _duration_lines(name, "all", "", overall)
            out += [line for u in stats.centers if u.id in by_center
                    for line in _duration_lines(name, u.code, u.name(locale), by_center[u.id])]
    return out
