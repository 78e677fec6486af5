"""The sighting form on a phone: accessible when empty and when refused, and sendable with
JavaScript off (the plain form is the whole feature; the map is a help)."""
from datetime import UTC, datetime, timedelta

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal.core.localtime import LOCAL_TZ
from tests.browser.test_public_pages import describe, first_notice_path

AXE = Axe()


def form_path(page, live_server):
    return first_notice_path(page, live_server) + "/sightings/new"


def test_form_and_its_errors_have_no_axe_violations(page, live_server):
    page.goto(live_server + form_path(page, live_server) + "?lang=en")
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
    assert not page.locator(".hp input").is_visible()  # the honeypot stays out of sight
    page.get_by_role("button", name="Send to the police").click()
    # The browser's own checks stop an empty form; the server's answer is checked with a bad value.
    page.fill('textarea[name="text"]', "x")
    page.fill('input[name="place"]', "Bus stop")
    page.fill('input[name="seen_at"]', (datetime.now(UTC) + timedelta(days=2)).astimezone(LOCAL_TZ)
              .strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Send to the police").click()
    page.wait_for_selector(".invalid-feedback")
    assert "cannot be in the future" in page.content()
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
    assert page.console.errors == []


def test_sending_works_with_javascript_off(browser, live_server, page):
    path = form_path(page, live_server)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="en-US")
    nojs = context.new_page()
    nojs.goto(live_server + path + "?lang=en")
    nojs.fill('input[name="seen_at"]', (datetime.now(UTC) - timedelta(hours=1)).astimezone(LOCAL_TZ)
              .strftime("%Y-%m-%dT%H:%M"))
    nojs.fill('input[name="place"]', "Near the east gate of the park")
    nojs.fill('textarea[name="text"]', "A girl in a red coat sat on the bench.")
    nojs.get_by_role("button", name="Send to the police").click()
    nojs.wait_for_selector(".receipt-code")
    assert "Thank you" in nojs.content() and "shown only once" in nojs.content()
    assert nojs.locator('a[href="tel:110"]').is_visible()
    context.close()


def test_the_code_opens_the_sighting_on_status_and_the_sender_answers(page, live_server):
    """The receipt page and the sighting on /status: readable, accessible, and the answer arrives."""
    page.goto(live_server + form_path(page, live_server) + "?lang=en")
    page.fill('input[name="seen_at"]', (datetime.now(UTC) - timedelta(hours=1)).astimezone(LOCAL_TZ)
              .strftime("%Y-%m-%dT%H:%M"))
    page.fill('input[name="place"]', "Near the east gate of the park")
    page.fill('textarea[name="text"]', "A girl in a red coat sat on the bench.")
    page.get_by_role("button", name="Send to the police").click()
    code = page.locator(".receipt-code").inner_text()
    assert len(code.replace(" ", "")) == 16 and "shown only once" in page.content()
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
    page.get_by_role("link", name="Check the status of a sighting").click()
    page.fill('input[name="code"]', code)
    page.get_by_role("button", name="Show the status").click()
    expect(page.locator(".status-result")).to_contain_text("Received: waiting to be read by the police")
    assert "code=" not in page.url and "red coat" not in page.content()
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
    page.fill('form#sighting-reply textarea[name="message"]', "She had a small dog with her.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator(".banner-success .banner-body")).to_have_text("Your answer was sent to the police.")
    last = page.locator("ol.sighting-messages li").last
    expect(last).to_contain_text("You")
    expect(last).to_contain_text("She had a small dog with her.")
    assert page.console.errors == []
