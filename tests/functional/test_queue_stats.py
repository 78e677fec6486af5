"""Officers read the statistics of notices, families' requests, sightings and alarms of their unit and
the units below it (/staff/stats/queues): SVG charts with the same numbers in tables, a date range, and
one CSV per queue holding only counts and durations."""
import csv
import io
from datetime import timedelta

import pytest

from portal.core.meta import utcnow
from tests.factories import make_alarm, make_missing_request, make_notice, make_officer, make_sighting
from tests.functional.helpers import login

SECRET_SIGHTING = "Seen near the secret well, wearing a red coat"
SECRET_PHONE = "13912345678"
SECRET_NAME = "Zhang Secretperson"


@pytest.fixture
def world(dbsession, registry, units):
    cipher = registry["field_cipher"]
    now = utcnow()
    units["city_a"].is_command_center = units["city_b"].is_command_center = True
    make_notice(dbsession, units["city_a"], kind="wanted")
    resolved = make_notice(dbsession, units["county_a"], kind="vehicle")
    resolved.state = "resolved"  # stamps ended_at now
    make_notice(dbsession, units["city_b"], kind="wanted")
    family = make_missing_request(dbsession, cipher, units["county_a"], units["city_a"], state="published")
    family.created_at = now - timedelta(hours=3)
    family.notice.published_at = now - timedelta(hours=1)
    family.notice.missing_person.full_name = SECRET_NAME
    for state in ("forwarded", "closed"):
        make_sighting(dbsession, family.notice, cipher=cipher, contact=f'{{"phone": "{SECRET_PHONE}"}}',
                      text=SECRET_SIGHTING, state=state)
    make_sighting(dbsession, make_notice(dbsession, units["city_b"]), state="received")
    for center, ack, dispatch in (("city_a", 30, 300), ("city_a", 90, None), ("city_b", 600, 900)):
        make_alarm(dbsession, units[center], state="dispatched" if dispatch else "acknowledged",
                   created_at=now - timedelta(hours=2), acknowledged_at=now - timedelta(hours=2) + timedelta(seconds=ack),
                   dispatched_at=now - timedelta(hours=2) + timedelta(seconds=dispatch) if dispatch else None,
                   place="Secret street 5")
    dbsession.flush()


def sign_in(testapp, dbsession, unit, roles, username):
    make_officer(dbsession, unit, roles, username=username)
    login(testapp, username)


def table(page, caption):
    [found] = [t for t in page.html.select("table.stats") if t.caption and t.caption.get_text(strip=True) == caption]
    return {row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.select("td")]
            for row in found.select("tbody tr")}


def summary(page, section):
    return page.html.select_one(f"#{section}-heading").find_parent("section").select_one(".stats-total").get_text(
        " ", strip=True)


def test_a_city_dispatcher_sees_every_queue_of_its_unit_and_county(testapp, dbsession, units, world):
    sign_in(testapp, dbsession, units["city_a"], ["dispatcher"], "dispatch_a")
    staff = testapp.get("/staff")
    page = staff.click(description="Queue statistics")
    assert page.request.path == "/staff/stats/queues"
    assert "Statistics" not in [a.get_text() for a in page.html.select("nav.staff-nav a")]  # tips' are not theirs
    assert summary(page, "notices") == "Published: 3 · Closed: 1"  # the wanted notice, the vehicle, the appeal
    published = table(page, "Notices published, by kind")
    assert published["Wanted suspect"] == ["1"] and published["Missing person"] == ["1"]
    assert published["Wanted vehicle"] == ["1"] and len(published) == 6
    assert table(page, "Notices published, by unit") == {"City A": ["1"], "County A1": ["2"]}
    assert table(page, "Notices closed, by kind and how")["Wanted vehicle"] == ["1", "0", "0"]
    # The family's request: two hours from the request to the published appeal.
    assert table(page, "Time to publication, by command center") == {"City A": ["1", "1", "2.0 h", "2.0 h"]}
    assert table(page, "From the family's request to publication") == {
        "Time to publication: median": ["2.0 h"], "Time to publication: 90th percentile": ["2.0 h"]}
    assert summary(page, "sightings") == "Sightings: 2 · Notices with sightings: 1 · Sightings per notice: 2.0"
    assert table(page, "Sightings by outcome") == {"received": ["0"], "reviewed": ["0"], "forwarded": ["1"],
                                                   "closed": ["1"]}
    [(notice, counts)] = table(page, "Sightings per notice and where they stand").items()
    assert notice.endswith("Missing person") and counts == ["2", "0", "0", "1", "1"]
    # Alarms: acknowledged after 30 and 90 s (median 60 s, p90 84 s), one dispatched after 300 s.
    # County A1 is no command center and received none: not listed.
    assert table(page, "Alarms by command center") == {"City A": ["2", "2", "1 min", "1 min", "1", "5 min", "5 min"]}
    waits = table(page, "How long alarms waited")
    assert waits["Time to acknowledge: median"] == ["1 min"] and waits["Time to dispatch: 90th percentile"] == ["5 min"]
    # Charts: SVG bars with their titles, no script and no style attribute anywhere; the secrets stay out.
    titles = [svg.title.get_text() for svg in page.html.select("svg.chart.bars")]
    assert "Alarms per command center · the numbers are in the table below" in titles
    assert len(page.html.select("svg.chart.bars")) == 10
    assert not page.html.select("[style]") and not page.html.select("script")
    assert "style-src 'self'" in page.headers["Content-Security-Policy"]
    for secret in (SECRET_SIGHTING, SECRET_PHONE, SECRET_NAME, "Secret street"):
        assert secret not in page.text


def test_an_officer_of_another_unit_sees_nothing_of_this_one(testapp, dbsession, units, world):
    sign_in(testapp, dbsession, units["city_b"], ["moderator"], "mod_b")
    page = testapp.get("/staff/stats/queues")
    assert summary(page, "notices") == "Published: 2 · Closed: 0"
    assert table(page, "Notices published, by unit") == {"City B": ["2"], "County B1": ["0"]}
    assert summary(page, "missing") == "Requests: 0 · Published: 0"
    assert table(page, "Time to publication, by command center") == {"City B": ["0", "0", "none yet", "none yet"]}
    assert summary(page, "sightings").startswith("Sightings: 1 ·")
    assert table(page, "Alarms by command center") == {"City B": ["1", "1", "10 min", "10 min", "1", "15 min",
                                                                  "15 min"]}
    assert "City A" not in page.text and "County A1" not in page.text
    for queue in ("notices", "missing", "sightings", "alarms"):
        rows = read_csv(testapp.get(f"/staff/stats/queues/{queue}.csv"))
        assert not any(code in ("990100", "990101") for row in rows for code in row[1:2]), queue


def test_a_date_range_through_the_form(testapp, dbsession, units, world):
    sign_in(testapp, dbsession, units["city_a"], ["moderator"], "mod_a")
    form = testapp.get("/staff/stats/queues").forms["queue-stats-filters"]
    form["since"] = "2020-01-01"
    form["until"] = "2020-12-31"
    page = form.submit()
    assert page.forms["queue-stats-filters"]["since"].value == "2020-01-01"
    assert summary(page, "notices") == "Published: 0 · Closed: 0" and summary(page, "alarms") == "Alarms: 0"
    assert not page.html.select("rect.bar") and "Nothing in this period." in page.text
    csv_link = page.html.select_one('a[href^="/staff/stats/queues/alarms.csv"]')["href"]
    assert "since=2020-01-01" in csv_link and "until=2020-12-31" in csv_link


@pytest.mark.parametrize("query,message", [
    ({"since": "2026-13-01"}, "Give dates as YYYY-MM-DD"),
    ({"since": "2026-11-10", "until": "2026-11-01"}, "The start date must not be after the end date."),
    ({"until": "9999-12-31"}, "Give a date between 2000-01-01 and 2100-12-31."),
])
def test_bad_dates_are_refused_with_what_was_typed(testapp, dbsession, units, world, query, message):
    sign_in(testapp, dbsession, units["city_a"], ["handler"], "handler_a")
    page = testapp.get("/staff/stats/queues", query, status=400)
    assert message in page.text and not page.html.select("svg.chart")
    for name, value in query.items():
        assert page.forms["queue-stats-filters"][name].value == value
    response = testapp.get("/staff/stats/queues/alarms.csv", query, status=400)
    assert message in response.text and response.content_type == "text/plain"


def read_csv(response):
    assert response.content_type == "text/csv" and response.body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))


def test_each_queue_has_a_csv_with_the_same_figures_and_nothing_else(testapp, dbsession, units, world):
    sign_in(testapp, dbsession, units["city_a"], ["dispatcher"], "dispatch_a")
    page = testapp.get("/staff/stats/queues")
    response = page.click(href="/staff/stats/queues/alarms.csv")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="alarms-statistics-990100-')
    alarms = read_csv(response)
    assert alarms[0] == ["figure", "key", "label", "value"] and ["scope", "990100", "City A", ""] in alarms
    assert ["alarms-center", "990100", "City A", "2"] in alarms and ["alarms-state", "dispatched", "help dispatched",
                                                                      "1"] in alarms
    assert ["hours_to_acknowledge", "all:median", "", "0.02"] in alarms  # 60 s
    assert ["hours_to_dispatch", "990100:p90", "City A", "0.08"] in alarms  # 300 s
    notices = read_csv(testapp.get("/staff/stats/queues/notices.csv"))
    assert ["notices-published", "wanted", "Wanted suspect", "1"] in notices
    assert ["notices-closed-ways", "vehicle:resolved", "", "1"] in notices
    missing = read_csv(testapp.get("/staff/stats/queues/missing.csv"))
    assert ["hours_to_publication", "990100:median", "City A", "2.00"] in missing
    assert ["missing-state", "published", "published", "1"] in missing
    sightings = read_csv(testapp.get("/staff/stats/queues/sightings.csv"))
    assert ["sightings-state", "forwarded", "forwarded", "1"] in sightings
    assert any(row[0] == "sightings-notices" and row[1].endswith(":closed") and row[3] == "1" for row in sightings)
    for rows in (alarms, notices, missing, sightings):
        body = repr(rows)
        for secret in (SECRET_SIGHTING, SECRET_PHONE, SECRET_NAME, "Secret street"):
            assert secret not in body
    testapp.get("/staff/stats/queues/tips.csv", status=404)


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped(testapp, dbsession, units, world):
    units["city_a"].name_en = "=HYPERLINK(\"http://evil.example\")"
    units["county_a"].name_en = "-2+3"
    dbsession.flush()
    sign_in(testapp, dbsession, units["city_a"], ["dispatcher"], "dispatch_a")
    rows = read_csv(testapp.get("/staff/stats/queues/alarms.csv"))
    assert ["alarms-center", "990100", "'=HYPERLINK(\"http://evil.example\")", "2"] in rows
    assert ["scope", "990100", "'=HYPERLINK(\"http://evil.example\")", ""] in rows
    rows = read_csv(testapp.get("/staff/stats/queues/notices.csv"))
    assert ["notices-unit", "990101", "'-2+3", "2"] in rows


def test_the_page_in_chinese_and_uyghur(testapp, dbsession, units, world):
    sign_in(testapp, dbsession, units["city_a"], ["dispatcher"], "dispatch_a")
    page = testapp.get("/staff/stats/queues", {"lang": "zh_CN"})
    assert "Statistics of every queue" not in page.text and "Alarms per command center" not in page.text
    page = testapp.get("/staff/stats/queues", {"lang": "ug"})
    chart = page.html.select("svg.chart.bars")[0]
    label = chart.select("text.label")[0]
    assert label["text-anchor"] == "end" and label["x"] == chart["width"]
