"""The dispatcher console in Chromium, with the sender's phone page open beside it: an alarm sent from
/alarm appears on the console within 3 seconds with its visible cue (and the beep, once sound is on),
the alarm page draws the position and the thread works both ways, and neither page has axe violations.

The delay from pressing "send" on the phone to the row on the console is measured over RUNS alarms;
run with -s to see the numbers (bench/README.md, "Alarm to console delay", records the median)."""
import re
import statistics
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ConsoleWatcher, sign_in
from tests.browser.test_public_pages import AXE, describe

HEKOU = (38.0, 114.5)
RUNS = 5
TARGET_S = 3.0
TOKEN_URL = re.compile(r".*/alarm/[A-Za-z0-9_-]{43}$")


@pytest.fixture
def desk(browser, live_server):
    """The dispatcher's desktop, signed in as the demo province dispatcher, with the console open."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    # CSP violations (Leaflet's maps must cause none) are counted from before the first script runs.
    context.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                            " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    sign_in(page, live_server, "dispatcher")
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US", permissions=["geolocation"],
                                  geolocation={"latitude": HEKOU[0], "longitude": HEKOU[1], "accuracy": 35})
    yield context
    context.close()


def send_alarm(phone_page, live_server, text):
    """Opens /alarm, waits for the position, sends; returns the moment of the press."""
    phone_page.goto(f"{live_server}/alarm?lang=en")
    expect(phone_page.locator("#alarm-routed")).to_be_visible()
    phone_page.fill("#alarm-text", text)
    pressed = time.monotonic()
    phone_page.click("button.send")
    return pressed


def test_an_alarm_appears_on_the_console_within_3_seconds_with_its_cue(desk, phone, live_server):
    desk.goto(live_server + "/staff/alarms")
    expect(desk.locator("[data-console-status]")).to_contain_text("Live")
    desk.get_by_role("button", name="Enable sound").click()
    expect(desk.locator("[data-sound-toggle]")).to_have_attribute("aria-pressed", "true")
    phone_page = phone.new_page()
    delays = []
    for run in range(RUNS):
        text = f"Run {run}: someone is following me"
        pressed = send_alarm(phone_page, live_server, text)
        row = desk.locator("tr.alarm-row.is-arriving", has_text=text)
        expect(row).to_be_visible(timeout=int(TARGET_S * 1000) + 2000)
        delays.append(time.monotonic() - pressed)
        expect(desk.locator("[data-new-banner]")).to_contain_text("New alarm")
        assert re.match(r"\(\d+\) new alarm", desk.title())
        phone_page.wait_for_url(TOKEN_URL)
    median = statistics.median(delays)
    print(f"\nalarm to console delay over {RUNS} runs: " + ", ".join(f"{d:.2f}" for d in delays)
          + f" s; median {median:.2f} s")
    # The target is the typical case; on a shared, loaded machine a single run may take a poll longer.
    assert median < TARGET_S and max(delays) < 2 * TARGET_S, delays
    # The beep was played for each new alarm (counted by the page, since a test cannot listen).
    assert int(desk.locator("[data-alarm-console]").get_attribute("data-beeps")) >= RUNS
    # Newest first among the new alarms.
    first = desk.locator("[data-open-rows] tr.alarm-row").first
    expect(first).to_contain_text(f"Run {RUNS - 1}")
    assert desk.console.errors == []


def test_the_alarm_page_maps_the_position_and_the_thread_works_both_ways(desk, phone, live_server):
    desk.goto(live_server + "/staff/alarms")
    expect(desk.locator("[data-console-status]")).to_contain_text("Live")
    phone_page = phone.new_page()
    send_alarm(phone_page, live_server, "Locked in a shop, a man outside")
    phone_page.wait_for_url(TOKEN_URL)
    row = desk.locator("tr.alarm-row", has_text="Locked in a shop")
    expect(row).to_be_visible(timeout=4000)
    # The console's map of open alarms gets a marker for it, over the portal's own tiles.
    expect(desk.locator(".alarms-map .leaflet-tile-loaded").first).to_be_visible()
    markers = desk.locator(".alarms-map path.map-alarm")
    expect(markers.first).to_be_attached()
    assert markers.count() == desk.locator("[data-open-rows] tr[data-lat]").count()
    desk.goto(live_server + row.get_by_role("link", name="Locked in a shop").get_attribute("href"))  # its page

    # The map: the position with its accuracy circle on the real map; the coordinates in text.
    expect(desk.locator(".alarm-map .leaflet-tile-loaded").first).to_be_visible()
    expect(desk.locator(".alarm-map .map-spot")).to_have_count(1)
    expect(desk.locator(".position-text")).to_contain_text("38.000000, 114.500000")
    expect(desk.locator('a[href^="geo:38.0,114.5"]').first).to_be_visible()

    # Dispatcher -> sender, without leaving the page; and the acknowledgement reaches the sender.
    desk.get_by_role("button", name="Acknowledge").click()
    expect(desk.locator("[data-state-label]")).to_have_text("acknowledged")
    desk.fill("#message-text", "We have your position. Stay inside.")
    desk.get_by_role("button", name="Send message").click()
    expect(desk.locator("[data-thread]")).to_contain_text("We have your position. Stay inside.", timeout=4000)
    expect(desk.locator("#message-text")).to_have_value("")
    expect(phone_page.locator("#alarm-thread")).to_contain_text("We have your position. Stay inside.", timeout=4000)
    expect(phone_page.locator("#alarm-thread")).to_contain_text("Your alarm was received by the dispatcher.")

    # Sender -> dispatcher: shows on the open alarm page by itself.
    started = time.monotonic()
    phone_page.fill("#alarm-message textarea", "He is trying the door")
    phone_page.locator('#alarm-message button[type="submit"]').click()
    expect(desk.locator("[data-thread]")).to_contain_text("He is trying the door", timeout=4000)
    assert time.monotonic() - started < 4
    assert desk.console.errors == []


def test_console_and_alarm_page_have_no_axe_violations(desk, live_server):
    desk.goto(live_server + "/staff/alarms")
    expect(desk.locator("[data-console-status]")).to_contain_text("Live")
    expect(desk.locator(".alarms-map .leaflet-tile-loaded").first).to_be_visible()  # axe sees the map too
    results = AXE.run(desk)
    assert results.violations_count == 0, describe(results.response["violations"])
    assert desk.evaluate("window.__csp") == []
    link = desk.locator("[data-open-rows] tr.alarm-row a").first.get_attribute("href")
    desk.goto(live_server + link)
    results = AXE.run(desk)
    assert results.violations_count == 0, describe(results.response["violations"])
    assert desk.evaluate("window.__csp") == []
    assert desk.console.errors == []


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 820, "height": 1180}],
                         ids=["1366x768", "820x1180"])
def test_the_console_fits_a_desk_and_a_tablet(browser, phone, live_server, viewport):
    """No sideways scrolling at 1366x768 nor on a tablet (the table reflows), the map beside the list on
    the desk and below it on the tablet, and axe finds nothing."""
    context = browser.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    try:
        sign_in(page, live_server, "dispatcher")
        phone_page = phone.new_page()
        send_alarm(phone_page, live_server, "Layout test: a long description of what happens " * 3)
        phone_page.wait_for_url(TOKEN_URL)
        page.goto(live_server + "/staff/alarms")
        expect(page.locator(".alarms-map .leaflet-tile-loaded").first).to_be_visible()
        expect(page.locator("tr.alarm-row", has_text="Layout test").first).to_be_visible()
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the console is {overflow} px wider than the window"
        table, figure = page.locator("table.alarms").first.bounding_box(), page.locator(".alarms-map").bounding_box()
        beside = figure["x"] >= table["x"] + table["width"] - 1
        assert beside == (viewport["width"] >= 1280), (table, figure)
        results = AXE.run(page)
        assert results.violations_count == 0, describe(results.response["violations"])
        assert page.console.errors == []
    finally:
        context.close()


def test_keyboard_shortcuts_next_acknowledge_and_back_never_while_typing(desk, phone, live_server):
    desk.goto(live_server + "/staff/alarms")
    expect(desk.locator("[data-console-status]")).to_contain_text("Live")
    expect(desk.locator("details.shortcuts")).to_contain_text("Acknowledge the selected new alarm")
    phone_page = phone.new_page()
    send_alarm(phone_page, live_server, "Shortcut test: someone at the window")
    phone_page.wait_for_url(TOKEN_URL)
    row = desk.locator("tr.alarm-row", has_text="Shortcut test")
    expect(row).to_be_visible(timeout=4000)
    rows = desk.locator("[data-open-rows] tr.alarm-row")
    desk.keyboard.press("n")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bis-selected\b"))
    if rows.count() > 1:
        desk.keyboard.press("n")
        expect(rows.nth(1)).to_have_class(re.compile(r"\bis-selected\b"))
        expect(rows.nth(0)).not_to_have_class(re.compile(r"\bis-selected\b"))
        desk.keyboard.press("p")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bis-selected\b"))
    assert rows.nth(0).get_attribute("data-alarm-id") == row.get_attribute("data-alarm-id")  # new ones first
    desk.keyboard.press("k")  # acknowledge the selected new alarm: the console comes back with it beside the list
    desk.wait_for_url(re.compile(r".*/staff/alarms\?selected=\d+#selected-alarm$"))
    expect(desk.locator("[data-alarm-panel] [data-state-label]")).to_have_text("acknowledged")
    # Typing in the panel's message field: the letters are text, not shortcuts.
    desk.locator("#message-text").click()
    desk.keyboard.type("lkan")
    expect(desk.locator("#message-text")).to_have_value("lkan")
    assert re.search(r"/staff/alarms\?selected=\d+", desk.url)
    desk.locator("#message-text").evaluate("node => node.blur()")
    desk.locator("[data-alarm-panel]").get_by_role("link", name=re.compile("Open the full page")).click()
    desk.wait_for_url(re.compile(r".*/staff/alarms/\d+$"))
    expect(desk.locator("[data-state-label]")).to_have_text("acknowledged")
    desk.keyboard.press("l")  # back to the console
    desk.wait_for_url(re.compile(r".*/staff/alarms$"))
    assert desk.console.errors == []
