"""The "tell me when something changes" box on the tip form in a real browser: off by default, named by
its label, refused (form kept, box still ticked) without a phone number or an e-mail address, stored
with the form's language once a number (or only an address) is given."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from portal.scripts.common import db_session
from portal.tips.models import Tip
from tests.browser.test_public_pages import describe
from tests.browser.test_tip_form import category, fill, open_form, ready  # noqa: F401 (fixtures)

AXE = Axe()
BOX = "Tell me when something changes (by SMS or e-mail)"


def newest_consent(settings):
    with db_session(settings) as dbsession:
        tip = dbsession.execute(select(Tip).order_by(Tip.id.desc()).limit(1)).scalar_one()
        return tip.notify_consent, tip.locale


def test_the_box_needs_a_phone_number_and_is_stored_with_the_language(open_form, app_settings_sqlite):  # noqa: F811
    page = open_form()
    box = page.get_by_label(BOX)
    expect(box).not_to_be_checked()
    fill(page, unit_index=1)
    box.check()
    ready(page)
    page.get_by_role("button", name="Send the tip").click()
    expect(page.get_by_text("To be told of changes, give your phone number or e-mail address above, or untick this box.", exact=True)).to_be_visible()
    expect(page.get_by_label(BOX)).to_be_checked()  # kept, like the rest of the form
    page.fill('input[name="phone"]', "139 1234 5678")
    ready(page)
    page.get_by_role("button", name="Send the tip").click()
    page.wait_for_selector(".receipt-code")
    assert newest_consent(app_settings_sqlite) == (True, "en")
    assert page.console.errors == []


def test_an_e_mail_address_alone_is_enough_for_the_box(open_form, app_settings_sqlite):  # noqa: F811
    page = open_form()
    fill(page, unit_index=1)
    page.fill('input[name="email"]', "li.hua@example")
    page.get_by_label(BOX).check()
    ready(page)
    page.get_by_role("button", name="Send the tip").click()
    expect(page.get_by_text("Give an e-mail address like name@example.cn, or leave it empty.", exact=True)).to_be_visible()
    expect(page.locator('input[name="email"]')).to_have_value("li.hua@example")  # kept as typed
    page.fill('input[name="email"]', "li.hua@example.cn")
    ready(page)
    page.get_by_role("button", name="Send the tip").click()
    page.wait_for_selector(".receipt-code")
    assert newest_consent(app_settings_sqlite) == (True, "en")
    assert page.console.errors == []


@pytest.mark.parametrize("lang, label", [("en", BOX), ("zh_CN", "有进展时通知我（短信或电子邮件）")])
def test_the_family_form_offers_the_box_off_by_default_in_its_language(browser, live_server, lang, label):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{live_server}/missing/new?lang={lang}")
        box = page.get_by_label(label)
        expect(box).to_be_visible()
        expect(box).not_to_be_checked()
        # In the contact group, with the phone number and the e-mail address it is about.
        group = page.locator('input[name="phone"]').locator("xpath=ancestor::fieldset[1]")
        expect(group.locator('input[name="notify"]')).to_have_count(1)
        expect(group.locator('input[name="email"][type="email"][autocomplete="email"]')).to_have_count(1)
        results = AXE.run(page)
        assert results.violations_count == 0, describe(results.response["violations"])
    finally:
        context.close()
