"""The officers' queues in a real browser: no accessibility violations, no script errors; an item's
stored point is on the portal's own map (Leaflet, static/js/map.js) when axe looks at it."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_public_pages import AXE, describe


def first_link(page, live_server, queue, prefix, with_map=False):
    """The queue's first item, or with `with_map` its first item whose page shows a stored point: other
    browser tests add items without a place, and the queue lists the newest first."""
    page.goto(live_server + queue)
    hrefs = page.locator(f'main a[href^="{prefix}"]').evaluate_all("links => links.map(a => a.getAttribute('href'))")
    for href in hrefs:
        if not with_map:
            return href
        page.goto(live_server + href)
        if page.locator("[data-point-map]").count():
            return href
    return None


@pytest.mark.parametrize(("username", "queue", "item_prefix"), [
    ("dispatcher", "/staff/missing", "/staff/missing/"),
    ("moderator", "/staff/notices", "/staff/notices/"),
    ("moderator", "/staff/sightings", "/staff/sightings/"),
    ("handler", "/staff/tips", "/staff/tips/"),
])
def test_queues_and_items_have_no_axe_violations(page, live_server, username, queue, item_prefix):
    sign_in(page, live_server, username)
    item = first_link(page, live_server, queue, item_prefix, with_map=queue == "/staff/tips")
    assert item and item.rstrip("/") != queue, f"the demo queue {queue} is empty"
    maps = 0
    for path in ["/staff", queue, item]:
        page.goto(live_server + path)
        for figure in page.locator("[data-point-map]").all():
            maps += 1
            figure.scroll_into_view_if_needed()  # a stored point's map is drawn when it comes near the screen
            expect(figure.locator(".leaflet-tile-loaded").first).to_be_visible()
            expect(figure.locator(".map-spot")).to_have_count(1)
        results = AXE.run(page)
        assert results.violations_count == 0, f"{path}: " + describe(results.response["violations"])
    assert page.console.errors == []
    if queue == "/staff/tips":
        assert maps == 1  # the demo tips carry a place: the tip's page shows it on the map


@pytest.mark.parametrize("username", ["dispatcher", "moderator", "nanhu.dispatcher"])
def test_queue_statistics_of_the_demo_have_no_axe_violations(page, live_server, username):
    """The demo officers' queue statistics: charts and tables pass axe, no script error, and the
    province's dispatcher sees the demo's notices."""
    sign_in(page, live_server, username)
    page.goto(live_server + "/staff")
    page.get_by_role("link", name="Queue statistics").click()
    page.wait_for_url("**/staff/stats/queues")
    assert page.locator("section.queue-stats").count() == 4
    if username == "dispatcher":
        assert int(page.locator("#notices-heading + .stats-total strong").first.inner_text()) > 0
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
    assert page.console.errors == []


DESK_AND_TABLET = [{"width": 1366, "height": 768}, {"width": 820, "height": 1180}]


@pytest.mark.parametrize("viewport", DESK_AND_TABLET, ids=["1366x768", "820x1180"])
@pytest.mark.parametrize(("username", "paths"), [
    ("dispatcher", ["/staff", "/staff/alarms", "/staff/missing", "/staff/stats/queues"]),
    ("moderator", ["/staff/tips", "/staff/sightings", "/staff/notices"]),
])
def test_the_staff_layout_at_a_desk_and_on_a_tablet(browser, live_server, viewport, username, paths):
    """The staff layout: the officer and sign-out in the header, the queue counts, no public emergency
    strip, nothing wider than the window, and no axe violation."""
    from tests.browser.conftest import ConsoleWatcher

    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    try:
        sign_in(page, live_server, username)
        for path in paths:
            page.goto(live_server + path)
            header = page.locator("header.staff-header")
            expect(header.locator(".staff-name")).not_to_be_empty()
            expect(header.get_by_role("button")).to_be_visible()
            assert page.locator(".fallbacks").count() == 0, path
            assert page.locator("nav.staff-nav [data-count]").count() >= 1, path
            overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} is {overflow} px wider than the window"
            results = AXE.run(page)
            assert results.violations_count == 0, f"{path}: " + describe(results.response["violations"])
        assert page.console.errors == []
    finally:
        context.close()
