"""The console's panel in Chromium: a click on a row (or a dot on the map, or O) shows the alarm's detail
beside the list with its live thread, the address says ?selected=ID (reload, Back and Forward follow it),
acknowledging from the panel comes back to the console with the alarm selected, and the console with its
panel fits 1366x768 and a 768x1024 tablet with no axe violation and no sideways scrolling."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser import test_dispatcher_console as console_tests
from tests.browser.conftest import ConsoleWatcher, sign_in
from tests.browser.test_dispatcher_console import TOKEN_URL, send_alarm
from tests.browser.test_public_pages import AXE, describe

desk, phone = console_tests.desk, console_tests.phone  # the dispatcher's desktop and the sender's phone
SELECTED = re.compile(r".*/staff/alarms\?selected=(\d+)(#.*)?$")


def sent(phone, live_server, text):
    phone_page = phone.new_page()
    send_alarm(phone_page, live_server, text)
    phone_page.wait_for_url(TOKEN_URL)
    return phone_page


def selected_id(page):
    return SELECTED.match(page.url).group(1)


def test_a_click_on_a_row_shows_the_alarm_beside_the_list_live_and_acknowledges_it(desk, phone, live_server):
    phone_page = sent(phone, live_server, "Panel test: a car keeps circling")
    desk.goto(live_server + "/staff/alarms")
    expect(desk.locator("[data-console-status]")).to_contain_text("Live")
    row = desk.locator("tr.alarm-row", has_text="Panel test")
    expect(desk.locator(".alarms-map")).to_be_visible()
    row.locator("td").nth(4).click()  # the "Where" cell: anywhere on the row
    panel = desk.locator("[data-alarm-panel]")
    expect(panel.locator("[data-thread]")).to_contain_text("Panel test: a car keeps circling")
    desk.wait_for_url(SELECTED)
    alarm_id = selected_id(desk)
    assert alarm_id == row.get_attribute("data-alarm-id")
    expect(row).to_have_class(re.compile(r"\bis-selected\b"))
    expect(desk.locator(".alarms-map")).to_be_hidden()  # the detail takes the map's place
    expect(panel.locator(".alarm-map .map-spot")).to_have_count(1)  # its own position on the real map

    # The sender writes: the line shows in the panel by itself (the alarm page's poll, in the panel).
    phone_page.fill("#alarm-message textarea", "It stopped by the gate")
    phone_page.locator('#alarm-message button[type="submit"]').click()
    expect(panel.locator("[data-thread]")).to_contain_text("It stopped by the gate", timeout=4000)

    # Acknowledge from the panel: a normal post, answered with the console and the alarm still selected.
    panel.get_by_role("button", name="Acknowledge").click()
    desk.wait_for_url(re.compile(rf".*/staff/alarms\?selected={alarm_id}#selected-alarm$"))
    expect(desk.locator("[data-alarm-panel] [data-state-label]")).to_have_text("acknowledged")
    expect(desk.get_by_role("status").filter(has_text="Acknowledged: the sender now sees")).to_be_visible()
    expect(phone_page.locator("#alarm-thread")).to_contain_text("Your alarm was received by the dispatcher.",
                                                                 timeout=4000)
    # The message form in the panel sends without leaving the console.
    panel.locator("#message-text").fill("We are on our way.")
    panel.get_by_role("button", name="Send message").click()
    expect(panel.locator("[data-thread]")).to_contain_text("We are on our way.", timeout=4000)
    assert SELECTED.match(desk.url) and desk.console.errors == []
    assert desk.evaluate("window.__csp") == []


def test_the_address_follows_the_panel_back_forward_and_reload(desk, phone, live_server):
    sent(phone, live_server, "History test one")
    sent(phone, live_server, "History test two")
    desk.goto(live_server + "/staff/alarms")
    expect(desk.locator("[data-console-status]")).to_contain_text("Live")
    panel = desk.locator("[data-alarm-panel]")
    first, second = (desk.locator("tr.alarm-row", has_text=f"History test {n}") for n in ("one", "two"))
    first.get_by_role("link", name="History test one").click()  # the row's link: the panel, not the page
    expect(panel.locator("[data-thread]")).to_contain_text("History test one")
    one = selected_id(desk)
    second.locator("td").nth(1).click()
    expect(panel.locator("[data-thread]")).to_contain_text("History test two")
    two = selected_id(desk)
    desk.go_back()
    expect(panel.locator("[data-thread]")).to_contain_text("History test one")
    assert selected_id(desk) == one
    expect(first).to_have_class(re.compile(r"\bis-selected\b"))
    desk.go_forward()
    expect(panel.locator("[data-thread]")).to_contain_text("History test two")
    desk.reload()  # rendered by the server this time, and live again
    expect(panel.locator("[data-thread]")).to_contain_text("History test two")
    expect(desk.locator(f"tr#alarm-{two}")).to_have_class(re.compile(r"\bis-selected\b"))
    panel.get_by_role("link", name="Close the detail").click()
    expect(panel).to_be_hidden()
    expect(desk.locator(".alarms-map")).to_be_visible()
    assert desk.url.endswith("/staff/alarms")
    # The live list touches its rows all the time: the map's markers stay the same elements (rebuilding
    # them on every touch could swallow a click), and a dot shows its alarm in the panel too.
    dot = desk.locator(".alarms-map path.map-alarm").first
    dot.evaluate("path => { window.__dot = path; }")
    desk.evaluate("document.querySelector('[data-open-rows] tr[data-alarm-id] td').append(' ')")
    assert desk.evaluate("window.__dot.isConnected")
    dot.click(force=True)
    expect(panel.locator("[data-alarm-page]")).to_be_visible()
    desk.wait_for_url(SELECTED)
    assert desk.console.errors == []


def test_keys_o_and_escape_and_a_ctrl_click_still_opens_the_full_page(desk, phone, live_server):
    sent(phone, live_server, "Keys test: shouting next door")
    desk.goto(live_server + "/staff/alarms")
    expect(desk.locator("[data-console-status]")).to_contain_text("Live")
    panel = desk.locator("[data-alarm-panel]")
    desk.keyboard.press("n")
    desk.keyboard.press("o")
    expect(desk.locator("#selected-alarm-title")).to_be_focused()
    first_id = selected_id(desk)
    desk.keyboard.press("n")  # with the panel open, N moves it along
    rows = desk.locator("[data-open-rows] tr.alarm-row")
    if rows.count() > 1:
        desk.wait_for_url(lambda url: SELECTED.match(url) and SELECTED.match(url).group(1) != first_id)
    expect(panel.locator("article[data-alarm-page]")).to_have_attribute("data-alarm-id", selected_id(desk))
    desk.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert desk.url.endswith("/staff/alarms")
    with desk.context.expect_page() as opened:
        desk.locator("tr.alarm-row", has_text="Keys test").get_by_role("link").first.click(modifiers=["Control"])
    opened.value.wait_for_load_state()
    assert re.search(r"/staff/alarms/\d+$", opened.value.url)
    assert panel.is_hidden() and desk.console.errors == []


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 768, "height": 1024}],
                         ids=["1366x768", "768x1024"])
def test_the_console_with_its_panel_fits_a_desk_and_a_tablet(browser, phone, live_server, viewport):
    """Beside the list at 1366x768 (in the map's column, scrolling on its own), below it on the tablet; no
    sideways scrolling, no axe violation."""
    sent(phone, live_server, "Fit test: a long description of what happens at the corner " * 3)
    context = browser.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    try:
        sign_in(page, live_server, "dispatcher")
        page.goto(live_server + "/staff/alarms")
        row = page.locator("tr.alarm-row", has_text="Fit test").first
        row.locator("td").nth(2).click()
        panel = page.locator("[data-alarm-panel]")
        expect(panel.locator("[data-thread]")).to_contain_text("Fit test")
        expect(panel.locator(".alarm-map .leaflet-tile-loaded").first).to_be_visible()
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the console is {overflow} px wider than the window"
        inner = panel.evaluate("node => node.scrollWidth - node.clientWidth")
        assert inner <= 0, f"the panel scrolls sideways by {inner} px"
        table, box = page.locator("table.alarms").first.bounding_box(), panel.bounding_box()
        beside = box["x"] >= table["x"] + table["width"] - 1
        assert beside == (viewport["width"] >= 1280), (table, box)
        if beside:  # the list and the detail both in view, the panel no taller than the window
            assert box["height"] <= viewport["height"] and box["y"] < viewport["height"]
        results = AXE.run(page)
        assert results.violations_count == 0, describe(results.response["violations"])
        assert page.console.errors == []
    finally:
        context.close()
