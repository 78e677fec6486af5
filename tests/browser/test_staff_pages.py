"""The officers' queues in a real browser: no accessibility violations, no script errors."""
import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_public_pages import AXE, describe


def first_link(page, live_server, queue, prefix):
    page.goto(live_server + queue)
    return page.locator(f'main a[href^="{prefix}"]').first.get_attribute("href")


@pytest.mark.parametrize(("username", "queue", "item_prefix"), [
    ("dispatcher", "/staff/missing", "/staff/missing/"),
    ("moderator", "/staff/notices", "/staff/notices/"),
    ("moderator", "/staff/sightings", "/staff/sightings/"),
])
def test_queues_and_items_have_no_axe_violations(page, live_server, username, queue, item_prefix):
    sign_in(page, live_server, username)
    item = first_link(page, live_server, queue, item_prefix)
    assert item and item.rstrip("/") != queue, f"the demo queue {queue} is empty"
    for path in ["/staff", queue, item]:
        page.goto(live_server + path)
        results = AXE.run(page)
        assert results.violations_count == 0, f"{path}: " + describe(results.response["violations"])
    assert page.console.errors == []
