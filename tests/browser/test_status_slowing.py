"""/status after wrong codes from the same address: the right code is slowed, never refused. With
JavaScript the page does the work itself and the button comes back; without it, waiting pays."""
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from portal.privacy import receipts
from portal.privacy.receipts import ReceiptHasher
from portal.scripts.common import db_session
from portal.tips.models import Tip
from tests.browser.conftest import serving
from tests.browser.test_public_pages import describe

AXE = Axe()
WAIT = 3  # seconds owed after the one free wrong code
SLOW = {"portal.receipt.free_wrong_per_address": "1", "portal.receipt.first_delay_seconds": str(WAIT),
        "portal.receipt.hashes_per_second": "20000"}  # about 16 bits of work: a second or two here


def a_tip_code(settings) -> str:
    with db_session(settings) as dbsession:
        tip_id = dbsession.execute(select(Tip.id).limit(1)).scalar_one()
        return receipts.issue(dbsession, ReceiptHasher(settings["portal.receipt_pepper"].encode()), "tip", tip_id)


def look_up(page, code):
    page.fill('input[name="code"]', code)
    page.get_by_role("button", name="Show the status").click()


def wrong(code):
    return "".join("1" if c != "1" else "2" for c in code)


def test_after_a_wrong_code_the_page_does_the_work_before_the_next_check(live_server, app_settings_sqlite, page):
    settings = {**app_settings_sqlite, **SLOW}
    code = a_tip_code(settings)
    with serving(settings) as url:  # its own server: its own counts
        page.goto(url + "/status?lang=en")
        assert page.locator("script[src*='pow.js']").count() == 0  # no work asked, no script fetched
        look_up(page, wrong(code))
        expect(page.locator("main")).to_contain_text("No submission was found")
        # The form comes back asking for the work a wait costs; the script does it, then the button works.
        box = page.locator("[data-pow]")
        assert int(box.get_attribute("data-pow-bits")) >= 14
        results = AXE.run(page)
        assert results.violations_count == 0, describe(results.response["violations"])
        expect(box).to_have_attribute("data-pow-state", "solved", timeout=30_000)
        look_up(page, code)
        expect(page.locator(".status-result")).to_contain_text("Received")
        assert page.console.errors == []


def test_without_javascript_waiting_pays_for_the_check(browser, live_server, app_settings_sqlite):
    settings = {**app_settings_sqlite, **SLOW}
    code = a_tip_code(settings)
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    nojs = context.new_page()
    with serving(settings) as url:
        nojs.goto(url + "/status?lang=en")
        look_up(nojs, wrong(code))
        look_up(nojs, code)  # at once: the wait is not paid, and the page says so with the code kept
        assert "checks are slowed down" in nojs.content()
        assert nojs.locator('input[name="code"]').input_value() == code
        nojs.wait_for_timeout((WAIT + 1) * 1000)
        nojs.get_by_role("button", name="Show the status").click()  # the code is still in the field
        expect(nojs.locator(".status-result")).to_contain_text("Received")
    context.close()
