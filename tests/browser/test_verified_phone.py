"""Verified phones in a real browser (portal.verified_phone = required): with JavaScript "Send a code"
keeps the page as it is (nothing reloads: what was typed stays where it was typed); without it the
page comes back filled in; either way the code from the SMS sends the report with the proven number."""
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from portal.core.localtime import LOCAL_TZ
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from portal.privacy.crypto import FieldCipher
from portal.scripts.common import db_session
from portal.sightings.models import Sighting
from tests.browser.conftest import serving
from tests.browser.test_public_pages import describe, first_notice_path

AXE = Axe()
TEXT = "A girl in a red coat sat on the bench by the east gate."


@pytest.fixture(scope="module")
def required_server(live_server, app_settings_sqlite):
    """A second server on the seeded database, with verified phones required."""
    with serving({**app_settings_sqlite, "portal.verified_phone": "required"}) as url:
        yield url


def cipher(settings) -> FieldCipher:
    return FieldCipher.from_setting(settings["portal.field_keys"], settings["portal.field_key_id"])


def newest_code(settings) -> str:
    with db_session(settings) as dbsession:
        message = dbsession.execute(select(OutboxMessage).where(OutboxMessage.template == "phones.code")
                                    .order_by(OutboxMessage.id.desc()).limit(1)).scalar_one()
        body = cipher(settings).decrypt(message.body, outbox.BODY_LABEL)
    return re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", body).group(1)


def newest_contact(settings) -> dict:
    with db_session(settings) as dbsession:
        sighting = dbsession.execute(select(Sighting).order_by(Sighting.id.desc()).limit(1)).scalar_one()
        return json.loads(cipher(settings).decrypt(sighting.contact, "sighting.contact"))


def fill(page):
    page.fill('input[name="seen_at"]', (datetime.now(UTC) - timedelta(hours=1)).astimezone(LOCAL_TZ)
              .strftime("%Y-%m-%dT%H:%M"))
    page.fill('input[name="place"]', "Near the east gate of the park")
    page.fill('textarea[name="text"]', TEXT)
    page.fill('input[name="phone"]', "139 1234 5678")


def test_with_javascript_the_code_comes_without_leaving_the_page(page, required_server, live_server,
                                                                 app_settings_sqlite):
    page.goto(required_server + first_notice_path(page, live_server) + "/sightings/new?lang=en")
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
    fill(page)
    page.evaluate("window.stillHere = true")
    page.get_by_role("button", name="Send a code").click()
    expect(page.locator(".phone-code-note")).to_contain_text("***5678")
    assert page.evaluate("window.stillHere === true")  # no reload: the page is the one typed into
    assert page.input_value('textarea[name="text"]') == TEXT
    page.fill('input[name="code"]', newest_code(app_settings_sqlite))
    page.get_by_role("button", name="Send to the police").click()
    page.wait_for_selector(".receipt-code")
    assert newest_contact(app_settings_sqlite)["phone_verified"] is True
    assert page.console.errors == []


def test_without_javascript_the_page_comes_back_filled_in(browser, page, required_server, live_server,
                                                         app_settings_sqlite):
    path = first_notice_path(page, live_server) + "/sightings/new?lang=en"
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="en-US")
    try:
        nojs = context.new_page()
        nojs.goto(required_server + path)
        fill(nojs)
        nojs.get_by_role("button", name="Send a code").click()
        expect(nojs.locator("#phone-notice")).to_contain_text("***5678")
        assert nojs.input_value('textarea[name="text"]') == TEXT
        nojs.fill('input[name="code"]', newest_code(app_settings_sqlite))
        nojs.get_by_role("button", name="Send to the police").click()
        nojs.wait_for_selector(".receipt-code")
        assert newest_contact(app_settings_sqlite)["phone"] == "13912345678"
    finally:
        context.close()
