"""The "tell me when something changes" box on the tip form in a real browser: off by default, named by
its label, refused (form kept, box still ticked) without a phone number, stored with the form's
language once a number is given."""
from playwright.sync_api import expect
from sqlalchemy import select

from portal.scripts.common import db_session
from portal.tips.models import Tip
from tests.browser.test_tip_form import category, fill, open_form, ready  # noqa: F401 (fixtures)

BOX = "Tell me when something changes (by SMS to the phone number above)"


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
    expect(page.get_by_text("To be told of changes, give your phone number above, or untick this box.")).to_be_visible()
    expect(page.get_by_label(BOX)).to_be_checked()  # kept, like the rest of the form
    page.fill('input[name="phone"]', "139 1234 5678")
    ready(page)
    page.get_by_role("button", name="Send the tip").click()
    page.wait_for_selector(".receipt-code")
    assert newest_consent(app_settings_sqlite) == (True, "en")
    assert page.console.errors == []
