"""Trip guardian in Chromium: a traveller starts a trip, the traveller's page sends the phone's position
(emulated geolocation), a guardian sees it and raises the alarm, and the alarm reaches the command
center for that position with the trip's track; an overdue trip shows its banner on the guardian page
and, when nobody answers, the worker escalates it to an alarm that the open page then shows.

Demo geography (portal/demo/data.py): Hekou lies in Dongchuan city, whose bureau is a command center."""
import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from portal.alarms.models import Alarm
from portal.core.localtime import LOCAL_TZ
from portal.core.meta import utcnow
from portal.privacy.links import new_token, token_hash
from portal.scripts import worker
from portal.scripts.common import db_session
from portal.trips.models import Trip, TripGuardian
from tests.browser.conftest import ConsoleWatcher
from tests.browser.test_public_pages import describe

AXE = Axe()

HEKOU = (38.0, 114.5)
DONGCHUAN = "Dongchuan City Public Security Bureau"
DESTINATION = "Railway station, north exit"


@pytest.fixture
def contexts(browser, live_server):
    """Phone-sized English pages; with `position`, geolocation is granted there."""
    opened = []

    def open_page(path, position=None):
        options = {"viewport": {"width": 390, "height": 844}, "locale": "en-US"}
        if position is not None:
            options.update(geolocation={"latitude": position[0], "longitude": position[1], "accuracy": 20},
                           permissions=["geolocation"])
        context = browser.new_context(**options)
        opened.append(context)
        page = context.new_page()
        page.console = ConsoleWatcher(page)
        page.goto(f"{path}{'&' if '?' in path else '?'}lang=en")
        return page

    yield open_page
    for context in opened:
        context.close()


def no_axe_violations(page):
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])


def test_a_guardian_raises_the_alarm_and_the_dispatcher_gets_the_track(contexts, live_server, app_settings_sqlite):
    start = contexts(f"{live_server}/trips/new")
    no_axe_violations(start)
    start.fill('input[name="destination"]', DESTINATION)
    arrival = (utcnow() + timedelta(hours=1)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    start.fill('input[name="expected_arrival_at"]', arrival)
    start.locator('input[name="label"]').first.fill("Mum")
    expect(start.locator("fieldset.guardian").nth(2)).to_be_hidden()  # unused slots fold away
    start.click("button[name=start]")
    expect(start.locator("h1")).to_have_text("Your trip has started")
    trip_url = start.locator("#trip-link").inner_text().strip()
    guard_url = start.locator("#guardian-link-1").inner_text().strip()
    assert "/trips/" in trip_url and "/guard/" in guard_url
    no_axe_violations(start)
    assert start.console.errors == []

    traveller = contexts(trip_url, position=HEKOU)
    expect(traveller.locator("[data-sharing-status]")).to_contain_text("Location sent at", timeout=15000)
    expect(traveller.locator("[data-trip-last]")).to_contain_text("38.00000, 114.50000", timeout=15000)

    guardian = contexts(guard_url)
    # The pair isolated left to right (a <bdi> from the server, U+2066...U+2069 from the script).
    expect(guardian.locator("[data-trip-last]")).to_contain_text(
        re.compile("Last position: \u2066?38.00000, 114.50000\u2069? \\(± 20 m\\)"))
    # The track on the real map over the portal's own tiles: the newest position marked.
    expect(guardian.locator(".trip-map .leaflet-tile-loaded").first).to_be_visible()
    expect(guardian.locator(".trip-map .map-spot")).to_have_count(1)
    no_axe_violations(guardian)
    no_axe_violations(traveller)
    guardian.click("text=Raise the alarm")
    guardian.check("#alarm-confirm")
    guardian.click("text=Send the alarm to the police")
    expect(guardian.locator(".trip-alarm-sent")).to_contain_text(f"The alarm was sent to the police ({DONGCHUAN})")
    # The traveller's page learns it by polling and becomes the alarm's own page (issue 10, finding 11).
    traveller.wait_for_url(re.compile(r".*/alarm/[A-Za-z0-9_-]{43}$"), timeout=20000)
    expect(traveller.locator("#alarm-thread")).to_contain_text("Trip guardian alarm")
    for page in (traveller, guardian):
        assert page.console.errors == []

    with db_session(app_settings_sqlite) as dbsession:
        trip = dbsession.execute(select(Trip).where(Trip.token_hash == token_hash(trip_url.rsplit("/", 1)[1]))
                                 ).scalar_one()
        alarm = dbsession.execute(select(Alarm).where(Alarm.trip_id == trip.id)).scalar_one()
        assert trip.state == "alarm_raised"
        assert alarm.unit.name_en == DONGCHUAN and (alarm.lat, alarm.lon) == HEKOU
        assert [(p.lat, p.lon) for p in alarm.trip.points][-1] == HEKOU


def _overdue_trip(settings, minutes_overdue):
    token, hashed = new_token()
    guardian_token, guardian_hash = new_token()
    now = utcnow()
    with db_session(settings) as dbsession:
        trip = Trip(token_hash=hashed, destination=DESTINATION, expected_arrival_at=now - timedelta(minutes=1),
                    overdue_at=now - timedelta(minutes=minutes_overdue))
        trip.guardians.append(TripGuardian(token_hash=guardian_hash, label="Mum"))
        dbsession.add(trip)
    return token, guardian_token


def test_an_overdue_trip_shows_its_banner_and_escalates(contexts, live_server, app_settings_sqlite, tmp_path):
    _token, guardian_token = _overdue_trip(app_settings_sqlite, minutes_overdue=20)
    guardian = contexts(f"{live_server}/guard/{guardian_token}")
    banner = guardian.locator(".trip-overdue")
    expect(banner).to_contain_text("Overdue: the traveller has not arrived.")
    expect(banner.locator("button", has_text="I am on it")).to_be_visible()
    # The danger banner's red title sits against its border: no page heading's margin opens a gap in it.
    title = banner.locator(".banner-title")
    assert title.bounding_box()["y"] - banner.bounding_box()["y"] <= 4  # the 3 px border, rounded
    assert title.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(176, 0, 32)"  # --danger

    # Nobody answered for 20 minutes (more than the 15 allowed): the worker raises the alarm.
    lines = "\n".join(f"{key} = {value}" for key, value in app_settings_sqlite.items())
    ini = tmp_path / "worker.ini"
    ini.write_text(f"[app:main]\nuse = egg:safety-portal\n{lines}\n")
    assert worker.main([str(ini), "--once"]) == 0
    # The open page notices the new state by polling and shows that the alarm went out.
    expect(guardian.locator(".trip-alarm-sent")).to_be_visible(timeout=15000)
    expect(guardian.locator(".trip-overdue")).to_have_count(0)
    assert guardian.console.errors == []
    with db_session(app_settings_sqlite) as dbsession:
        guardian_row = dbsession.execute(
            select(TripGuardian).where(TripGuardian.token_hash == token_hash(guardian_token))).scalar_one()
        assert guardian_row.trip.state == "alarm_raised"
        alarm = dbsession.execute(select(Alarm).where(Alarm.trip_id == guardian_row.trip_id)).scalar_one()
        assert alarm.lat is None and DESTINATION in alarm.place  # no position: routed to the province
