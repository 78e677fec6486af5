"""Officers read the tip statistics of their unit and the units below it: charts in SVG with the same
numbers in tables, filters, and a CSV download that holds only counts and durations."""
import csv
import io
import json
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from portal.core.localtime import local_today
from portal.tips.models import TipCategory
from tests.factories import make_category, make_officer, make_tip
from tests.functional.helpers import login

SECRET_DESCRIPTION = "A secret description that must never leave the tip page"
CONTACT = {"name": "举报人王小明", "phone": "13912345678"}


@pytest.fixture
def world(dbsession, registry, units):
    cipher = registry["field_cipher"]
    drugs, fraud = (dbsession.execute(select(TipCategory).where(TipCategory.slug == slug)).scalar_one()
                    for slug in ("drugs", "fraud"))

    def tip(unit, category, hours_ago, state="received", triaged=None, closed=None):
        made = make_tip(dbsession, units[unit], category=category, state=state, minutes_ago=hours_ago * 60,
                        cipher=cipher, contact=json.dumps(CONTACT, ensure_ascii=False),
                        description=SECRET_DESCRIPTION, place="Secret place 12")
        made.triaged_at = made.created_at + timedelta(hours=triaged) if triaged is not None else None
        made.closed_at = made.created_at + timedelta(hours=closed) if closed is not None else None
        made.outcome = "actionable" if state == "closed" else None
        return made

    tip("city_a", drugs, 30, "triaged", triaged=1)
    tip("county_a", drugs, 50, "closed", triaged=3, closed=30)
    tip("county_a", fraud, 80, "closed", triaged=2, closed=10)
    tip("city_b", drugs, 10)  # the sibling city: never in city A's figures
    tip("county_b", fraud, 10)
    dbsession.flush()
    return {"drugs": drugs, "fraud": fraud}


def sign_in(testapp, dbsession, registry, unit, roles, username):
    secret = pyotp.random_base32() if "admin" in roles else None
    make_officer(dbsession, unit, roles, username=username, totp_secret=secret,
                 cipher=registry["field_cipher"] if secret else None)
    login(testapp, username, totp_secret=secret)


def table(page, caption):
    [found] = [t for t in page.html.select("table.stats") if t.caption and t.caption.get_text(strip=True) == caption]
    return {row.th.get_text(strip=True): int(row.td.get_text(strip=True)) for row in found.select("tbody tr")}


def test_a_city_moderator_sees_its_own_and_its_countys_figures(testapp, dbsession, registry, units, world):
    sign_in(testapp, dbsession, registry, units["city_a"], ["moderator"], "mod_a")
    page = testapp.get("/staff/stats")
    assert "Statistics" in page.html.select("nav.staff-nav")[0].get_text()
    assert page.html.select_one(".stats-total strong").get_text() == "3"
    by_category = table(page, "Tips by category")
    assert by_category["Drugs (use, making, dealing)"] == 2 and by_category["Fraud"] == 1
    assert by_category["Guns"] == 0 and len(by_category) == 10
    assert table(page, "Tips by receiving unit") == {"City A": 1, "County A1": 2}
    assert table(page, "Tips by state") == {"received": 0, "triaged": 1, "assigned": 0, "in progress": 0,
                                            "closed": 2}
    weeks = table(page, "Tips by week")
    assert len(weeks) == 12 and sum(weeks.values()) == 3
    assert max(weeks) == (local_today() - timedelta(days=local_today().weekday())).isoformat()
    durations = {row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.select("td")]
                 for row in page.html.select("table.durations tbody tr")}
    assert durations == {"Time to triage": ["3", "2.0 h", "2.8 h"], "Time to close": ["2", "20.0 h", "28.0 h"]}
    # The waiting times as bars on one scale: median and 90th percentile of each step.
    waits = page.html.select_one("svg.chart.bars")
    assert waits.title.get_text().startswith("How long tips waited")
    assert [t.get_text() for t in waits.select("text.label")] == [
        "Time to triage: median", "Time to triage: 90th percentile", "Time to close: median",
        "Time to close: 90th percentile"]
    assert [t.get_text() for t in waits.select("text.count")] == ["2.0 h", "2.8 h", "20.0 h", "28.0 h"]
    lengths = [float(r["width"]) for r in waits.select("rect.bar")]
    assert lengths == sorted(lengths) and lengths[-1] == 350 and abs(lengths[0] / lengths[-1] - 2 / 28) < 0.01
    # The charts: one SVG each, bars as classed rects, no script and no style attribute anywhere.
    assert len(page.html.select("svg.chart")) == 5
    category_chart = page.html.select("svg.chart.bars")[1]
    assert category_chart.title.get_text().startswith("Tips by category")
    assert len(category_chart.select("rect.bar")) == 2  # only categories with tips get a bar
    assert not page.html.select("[style]") and not page.html.select("script")
    assert "style-src 'self'" in page.headers["Content-Security-Policy"]
    assert SECRET_DESCRIPTION not in page.text and "13912345678" not in page.text


def test_the_province_admin_sees_every_unit(testapp, dbsession, registry, units, world):
    sign_in(testapp, dbsession, registry, units["province"], ["admin"], "admin_p")
    page = testapp.get("/staff/stats")
    assert page.html.select_one(".stats-total strong").get_text() == "5"
    assert table(page, "Tips by receiving unit") == {"Test Province": 0, "City A": 1, "County A1": 2, "City B": 1,
                                                     "County B1": 1}


def test_filters_by_category_and_date_range_through_the_form(testapp, dbsession, registry, units, world):
    sign_in(testapp, dbsession, registry, units["city_a"], ["handler"], "handler_a")
    form = testapp.get("/staff/stats").forms["stats-filters"]
    form["category"] = "fraud"
    page = form.submit()
    assert page.html.select_one(".stats-total strong").get_text() == "1"
    assert page.forms["stats-filters"]["category"].value == "fraud"
    form = page.forms["stats-filters"]
    form["category"] = ""
    form["since"] = (local_today() + timedelta(days=1)).isoformat()
    page = form.submit()
    assert page.html.select_one(".stats-total strong").get_text() == "0"
    assert "none yet" in page.html.select("table.durations")[0].get_text()
    assert not page.html.select("rect.bar") and len(page.html.select("svg.chart")) == 4  # no waiting-time chart


@pytest.mark.parametrize("query,message", [
    ({"since": "2026-13-01"}, "Give dates as YYYY-MM-DD"),
    ({"since": "2026-11-10", "until": "2026-11-01"}, "The start date must not be after the end date."),
    ({"category": "no-such-thing"}, "Choose a category from the list."),
    # Far-off days overflow as Beijing-time instants (the weeks before 9999-12-31, UTC before year 1).
    ({"until": "9999-12-31"}, "Give a date between 2000-01-01 and 2100-12-31."),
    ({"since": "0001-01-01"}, "Give a date between 2000-01-01 and 2100-12-31."),
    ({"since": "1999-12-31", "until": "2101-01-01"}, "Give a date between 2000-01-01 and 2100-12-31."),
])
def test_bad_filters_are_refused_with_what_was_typed(testapp, dbsession, registry, units, world, query, message):
    sign_in(testapp, dbsession, registry, units["city_a"], ["moderator"], "mod_a")
    page = testapp.get("/staff/stats", query, status=400)
    assert message in page.text and not page.html.select("svg.chart")
    form = page.forms["stats-filters"]
    for name, value in query.items():
        if name != "category":
            assert form[name].value == value
    response = testapp.get("/staff/stats.csv", query, status=400)
    assert message in response.text and response.content_type == "text/plain"


def test_the_first_and_last_days_allowed_are_taken(testapp, dbsession, registry, units, world):
    sign_in(testapp, dbsession, registry, units["city_a"], ["moderator"], "mod_a")
    query = {"since": "2000-01-01", "until": "2100-12-31"}
    page = testapp.get("/staff/stats", query, status=200)
    assert table(page, "Tips by receiving unit") == {"City A": 1, "County A1": 2}
    testapp.get("/staff/stats.csv", query, status=200)


def read_csv(response):
    assert response.body.startswith(b"\xef\xbb\xbf")  # the byte-order mark, for Excel
    return list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))


def test_the_csv_holds_the_same_figures_and_nothing_else(testapp, dbsession, registry, units, world):
    sign_in(testapp, dbsession, registry, units["city_a"], ["moderator"], "mod_a")
    page = testapp.get("/staff/stats", {"category": "drugs"})
    response = page.click(href="stats.csv")
    assert response.content_type == "text/csv" and response.charset == "utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="tip-statistics-990100-')
    rows = read_csv(response)
    assert rows[0] == ["figure", "key", "label", "value"]
    assert ["scope", "990100", "City A", ""] in rows and ["filter", "category", "", "drugs"] in rows
    assert ["total", "", "", "2"] in rows
    assert ["category", "drugs", "Drugs (use, making, dealing)", "2"] in rows
    assert ["unit", "990100", "City A", "1"] in rows and ["unit", "990101", "County A1", "1"] in rows
    assert not any(r[0] == "unit" and r[1] in ("990200", "990201") for r in rows)
    assert ["state", "closed", "closed", "1"] in rows
    assert sum(int(r[3]) for r in rows if r[0] == "week") == 2
    assert ["hours_to_triage", "median", "", "2.00"] in rows and ["hours_to_close", "p90", "", "30.00"] in rows
    body = response.body.decode("utf-8-sig")
    for secret in (SECRET_DESCRIPTION, "Secret place", CONTACT["name"], CONTACT["phone"]):
        assert secret not in body


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped(testapp, dbsession, registry, units, world):
    names = {"zh_CN": "=HYPERLINK(\"http://evil.example\")", "en": "=HYPERLINK(\"http://evil.example\")",
             "ug": "@SUM(1)"}
    evil = make_category(dbsession, slug="evil", names=names)
    make_tip(dbsession, units["city_a"], category=evil)
    units["city_a"].name_en = "+City A"
    dbsession.flush()
    sign_in(testapp, dbsession, registry, units["city_a"], ["moderator"], "mod_a")
    rows = read_csv(testapp.get("/staff/stats.csv"))
    assert ["category", "evil", "'=HYPERLINK(\"http://evil.example\")", "1"] in rows
    assert ["unit", "990100", "'+City A", "2"] in rows and ["scope", "990100", "'+City A", ""] in rows
    rows = read_csv(testapp.get("/staff/stats.csv", {"lang": "ug"}))
    assert ["category", "evil", "'@SUM(1)", "1"] in rows


def test_the_page_in_uyghur_mirrors_the_bars(testapp, dbsession, registry, units, world):
    sign_in(testapp, dbsession, registry, units["city_a"], ["moderator"], "mod_a")
    page = testapp.get("/staff/stats", {"lang": "ug"})
    chart = page.html.select("svg.chart.bars")[1]  # the categories (the waiting times come first)
    assert chart["direction"] == "ltr"
    label = chart.select("text.label")[0]
    assert label["text-anchor"] == "end" and label["x"] == chart["width"]
    assert "ئۇيۇشقان جىنايەت" in label.get_text()
