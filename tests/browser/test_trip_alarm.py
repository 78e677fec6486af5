"""A trip's alarm in Chromium (issue 10, finding 11): a guardian raises it, then reads the
dispatcher's line as it arrives (by polling, no reload) and answers; the traveller's page moves on to
the alarm's own page by itself."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.alarms.models import Alarm, AlarmMessage
from portal.scripts.common import db_session
from tests.browser.conftest import ConsoleWatcher
from tests.factories import make_trip


def test_a_guardian_raises_reads_the_dispatcher_and_answers(browser, live_server, app_settings_sqlite):
    with db_session(app_settings_sqlite) as dbsession:
        trip, token, (guard,) = make_trip(dbsession, guardians=("Auntie",), destination="Browser test road 1")
        trip_id = trip.id
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    traveller, guardian = context.new_page(), context.new_page()
    traveller.goto(f"{live_server}/trips/{token}?lang=en")
    guardian.console = ConsoleWatcher(guardian)
    guardian.goto(f"{live_server}/guard/{guard}?lang=en")
    guardian.click("summary:has-text('Raise the alarm')")
    guardian.check("#alarm-confirm")
    guardian.click("button:has-text('Send the alarm to the police')")
    expect(guardian.locator("#guard-thread")).to_contain_text("Trip guardian alarm")

    with db_session(app_settings_sqlite) as dbsession:
        alarm = dbsession.execute(select(Alarm).where(Alarm.trip_id == trip_id)).scalar_one()
        dbsession.add(AlarmMessage(alarm_id=alarm.id, sender="dispatcher", text="Which way did she walk?"))
    expect(guardian.locator("#guard-thread")).to_contain_text("Which way did she walk?", timeout=15000)

    guardian.fill("#guard-text", "Towards the river.")
    guardian.click("form.guard-message button")
    expect(guardian.locator("#guard-thread")).to_contain_text("Guardian · Auntie")
    with db_session(app_settings_sqlite) as dbsession:
        lines = dbsession.execute(select(AlarmMessage.text).where(AlarmMessage.sender == "guardian")).scalars().all()
    assert "Towards the river." in lines
    # The traveller's trip page polls, sees the alarm, and opens the alarm's own page.
    traveller.wait_for_url(re.compile(r".*/alarm/[A-Za-z0-9_-]{43}$"), timeout=20000)
    expect(traveller.locator("#alarm-thread")).to_contain_text("Which way did she walk?")
    assert guardian.console.errors == []
    context.close()
