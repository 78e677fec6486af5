"""Statistics charts drawn on the server as SVG geometry for the templates (templates/staff/_charts.html):
no script, classes and SVG attributes only, as the CSP forbids style attributes. Every chart is shown
beside a table with the same numbers."""
from dataclasses import dataclass

from portal.core.i18n import _

# Narrow enough that a phone shows the labels at a readable size when the SVG scales down.
BAR_WIDTH, COLUMN_WIDTH = 400, 480


@dataclass(frozen=True)
class Row:
    code: str  # a stable key for exports: slug, unit code, state, ISO week start
    label: str
    count: int  # the bar's length (a number of items, or seconds for the waiting times)
    shown: object = None  # what the chart writes at the bar's end, when not the count itself

    @property
    def text(self):
        return self.count if self.shown is None else self.shown


def bar_chart(rows: list[Row], rtl: bool = False, width: int = BAR_WIDTH) -> dict:
    """Horizontal bars, one per row: its label above, its count at the bar's end. Mirrored for
    right-to-left pages (the SVG itself is laid out left to right)."""
    row_height, top = 44, 4
    longest = max((r.count for r in rows), default=0) or 1
    room = width - 50  # space for the count after the longest bar
    bars = []
    for index, row in enumerate(rows):
        y = top + index * row_height
        w = round(room * row.count / longest, 1) if row.count else 0
        w = max(w, 2) if row.count else 0
        bar_x = width - w if rtl else 0
        bars.append({"row": row, "x": bar_x, "y": y + 20, "w": w, "h": 18,
                     "label_x": width if rtl else 0, "label_y": y + 14,
                     "count_x": (bar_x - 6) if rtl else w + 6, "count_y": y + 34})
    return {"width": width, "height": top * 2 + row_height * len(rows), "bars": bars,
            "anchor": "end" if rtl else "start"}


def column_chart(rows: list[Row], width: int = COLUMN_WIDTH, height: int = 220) -> dict:
    """Vertical columns for the weeks, oldest on the left, the count above each column."""
    base, plot = height - 30, height - 60
    slot = width / max(len(rows), 1)
    longest = max((r.count for r in rows), default=0) or 1
    columns = []
    for index, row in enumerate(rows):
        h = round(plot * row.count / longest, 1)
        x = round(index * slot + (slot - 28) / 2, 1)
        columns.append({"row": row, "x": x, "y": base - h, "w": 28, "h": h, "mid": round(x + 14, 1),
                        "count_y": base - h - 6, "label_y": base + 18})
    return {"width": width, "height": height, "base": base, "columns": columns}


def human_duration(seconds: float | None):
    if seconds is None:
        return _("none yet")
    if seconds < 3600:
        return _("${n} min", mapping={"n": max(round(seconds / 60), 0)})
    if seconds < 48 * 3600:
        return _("${n} h", mapping={"n": f"{seconds / 3600:.1f}"})
    return _("${n} days", mapping={"n": f"{seconds / 86400:.1f}"})


def duration_rows(translate, durations) -> list[Row]:
    """Two bars per waiting time, median and 90th percentile, on one scale (seconds); none for a step
    nothing has reached yet. `durations` is [(label, Durations)]."""
    rows = []
    for label, d in durations:
        for code, name, seconds in (("median", _("median"), d.median), ("p90", _("90th percentile"), d.p90)):
            if seconds is not None:
                rows.append(Row(code, f"{translate(label)}: {translate(name)}", round(seconds),
                                translate(human_duration(seconds))))
    return rows


def hours(seconds) -> str:
    """A duration for a CSV cell: hours with two decimals, empty for none."""
    return "" if seconds is None else f"{seconds / 3600:.2f}"
