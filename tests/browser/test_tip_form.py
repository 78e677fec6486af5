"""The tip form and the tip on /status in a real browser: a danger answer shows "call 110 now", the
phone's position picks the receiving unit, the upload shows its progress and lands on the receipt,
and the reporter answers the police on /status.

Demo geography (portal/demo/data.py): Hekou District Branch (139911) covers the south-west of the
province around lat 38.0, lon 114.5."""
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.core.localtime import LOCAL_TZ
from portal.privacy.receipts import ReceiptHasher, issue
from portal.scripts.common import db_session
from portal.tips.models import Tip, TipCategory, TipMessage, TipQuestion
from portal.units.models import Unit
from tests.browser.conftest import ConsoleWatcher
from tests.browser.test_public_pages import describe

AXE = Axe()
SLUG = "browser-tip-test"
HEKOU = (38.0, 114.5)
DESCRIPTION = "Men unload boxes of pills from a grey van behind the night market every evening."
QUESTION = "Which evening of the week is the van there?"


@pytest.fixture(scope="module")
def category(live_server, app_settings_sqlite):
    """A category of our own (the default ones may change): a danger answer in an ordinary category."""
    with db_session(app_settings_sqlite) as dbsession:
        if dbsession.execute(select(TipCategory).where(TipCategory.slug == SLUG)).scalar_one_or_none() is None:
            category = TipCategory(slug=SLUG, position=-1, names={"en": "Drugs (browser test)", "zh_CN": "毒品（测试）"})
            category.questions.append(TipQuestion(
                key="activity", kind="choice", required=True, position=0,
                labels={"en": "What is going on?", "zh_CN": "什么情况？"},
                choices=[{"value": "dealing", "labels": {"en": "Dealing"}},
                         {"value": "armed", "labels": {"en": "They carry weapons"}}],
                danger_values=["armed"]))
            dbsession.add(category)
    return SLUG


@pytest.fixture
def open_form(browser, live_server, category):
    contexts = []

    def open_form(position=None, path=f"/tips/new?category={SLUG}&lang=en"):
        options = {"viewport": {"width": 390, "height": 844}, "locale": "en-US"}
        if position is not None:
            options.update(geolocation={"latitude": position[0], "longitude": position[1], "accuracy": 30},
                           permissions=["geolocation"])
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.console = ConsoleWatcher(page)
        page.goto(live_server + path)
        return page

    yield open_form
    for context in contexts:
        context.close()


def fill(page, unit_index=None):
    page.fill('textarea[name="description"]', DESCRIPTION)
    page.fill('input[name="happened_at"]', (datetime.now(UTC) - timedelta(hours=2)).astimezone(LOCAL_TZ)
              .strftime("%Y-%m-%dT%H:%M"))
    page.fill('input[name="place"]', "Behind the night market")
    page.select_option('select[name="q_activity"]', "dealing")
    if unit_index is not None:
        page.locator('select[name="unit"]').select_option(index=unit_index)


def ready(page):
    """The proof of work is solved: the send button works."""
    page.wait_for_selector("[data-pow][data-pow-state=solved]", timeout=60_000)


def newest_tip(settings):
    with db_session(settings) as dbsession:
        tip = dbsession.execute(select(Tip).order_by(Tip.id.desc()).limit(1)).scalar_one()
        return {"id": tip.id, "unit": tip.unit.code, "suggested": tip.suggested_unit.code if tip.suggested_unit else None,
                "description": tip.description, "danger": tip.danger, "lat": tip.lat, "lon": tip.lon,
                "files": [(a.media.kind, a.media.size, a.client_captured_at is not None) for a in tip.attachments]}


def test_a_danger_answer_reveals_the_call_110_panel(open_form):
    page = open_form()
    panel = page.locator("#danger-panel")
    expect(panel).to_be_hidden()
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
    page.select_option('select[name="q_activity"]', "dealing")
    expect(panel).to_be_hidden()
    page.select_option('select[name="q_activity"]', "armed")
    expect(panel).to_be_visible()
    expect(panel.locator('a[href="tel:110"]')).to_have_text("Call 110 now")
    assert panel.get_attribute("role") == "alert"
    # It stays in sight while the rest of the form is filled in.
    page.locator('input[type="file"]').last.scroll_into_view_if_needed()
    box = panel.bounding_box()
    assert box is not None and 0 <= box["y"] < 844
    page.select_option('select[name="q_activity"]', "dealing")
    expect(panel).to_be_visible()  # never hidden again once shown
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
    assert page.console.errors == []


def test_the_phones_position_names_and_picks_the_receiving_unit(open_form, app_settings_sqlite):
    page = open_form(position=HEKOU)
    unit = page.locator('select[name="unit"]')
    automatic = unit.locator('option[value=""]')
    expect(automatic).to_have_text("Automatic: the unit responsible for the place")
    page.locator(".location-use").click()
    expect(page.locator(".location-status")).to_contain_text("Hekou District Branch")
    expect(automatic).to_have_text("Automatic: Hekou District Branch")
    expect(page.locator(".tip-routed")).to_have_text("Your tip will go to: Hekou District Branch")
    fill(page)
    ready(page)
    page.get_by_role("button", name="Send the tip").click()
    page.wait_for_selector(".receipt-code")
    assert "was sent to Hekou District Branch" in page.content()
    stored = newest_tip(app_settings_sqlite)
    assert (stored["unit"], stored["suggested"], stored["description"]) == ("139911", "139911", DESCRIPTION)
    assert (stored["lat"], stored["lon"]) == HEKOU
    assert page.console.errors == []


def test_a_point_outside_every_area_says_so_before_sending(open_form):
    page = open_form()
    page.locator("fieldset.location summary").click()
    page.fill('input[name="lat"]', "10")
    page.fill('input[name="lon"]', "10")
    expect(page.locator(".tip-routed")).to_contain_text("outside the areas of the police units")
    page.locator('select[name="unit"]').select_option(index=2)
    expect(page.locator(".tip-routed")).to_have_text("")


def noise_jpeg(side=1400) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((side, side), 120).convert("RGB").save(out, "JPEG", quality=95)
    return out.getvalue()


RECORDER = """() => {
  window.__progress = [];
  const note = () => {
    const bar = document.querySelector('.tip-progress progress');
    const text = document.querySelector('.tip-progress-text');
    if (bar && text && text.textContent) window.__progress.push([bar.value, text.textContent]);
  };
  new MutationObserver(note).observe(document.documentElement, {subtree: true, childList: true, characterData: true});
}"""


def test_the_upload_shows_its_progress_and_lands_on_the_receipt(open_form, app_settings_sqlite):
    page = open_form()
    # The multipart path with its own progress: a browser where the resumable-upload client does not
    # load (static/js/resumable.js then leaves the form alone; tests/browser/test_resumable_upload.py).
    page.route("**/tus.min.js*", lambda route: route.fulfill(status=200, content_type="text/javascript", body=""))
    page.reload()
    fill(page, unit_index=1)
    photo = noise_jpeg()
    page.set_input_files('input[type="file"][multiple]', files=[
        {"name": "van.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    expect(page.locator("[data-tip-files-note]")).to_have_text("Files chosen: 1")
    ready(page)
    # A slow uplink, so the bar is seen moving (about two seconds for this photo).
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                  "uploadThroughput": len(photo) // 2})
    page.evaluate(RECORDER)
    page.get_by_role("button", name="Send the tip").click()
    expect(page.locator(".tip-progress progress")).to_be_visible()
    expect(page.locator(".tip-cancel")).to_be_visible()
    page.wait_for_selector(".receipt-code", timeout=60_000)
    seen = page.evaluate("window.__progress")
    values = [value for value, _text in seen]
    assert values[-1] == 100 and any("100%" in text for _value, text in seen)
    assert values == sorted(values)
    assert any(0 < value < 100 for value in values), seen  # it moved on the way
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", page.locator(".receipt-code").inner_text().strip())
    assert "Write this code down" in page.content()
    stored = newest_tip(app_settings_sqlite)
    assert stored["files"] == [("image", len(photo), True)]  # the file's time came along (attachment_meta)
    assert page.console.errors == []


def test_a_refused_form_comes_back_filled_in_through_the_script(open_form):
    page = open_form()
    fill(page)  # automatic unit and no point: the server cannot route it
    ready(page)
    page.get_by_role("button", name="Send the tip").click()
    expect(page.locator("#refused-title")).to_contain_text("Nothing was sent.")
    expect(page.locator('textarea[name="description"]')).to_have_value(DESCRIPTION)
    assert "choose the receiving unit from the list" in page.content()
    # The page the server sent works again: its own script and proof of work run.
    page.locator('select[name="unit"]').select_option(index=1)
    ready(page)
    page.get_by_role("button", name="Send the tip").click()
    page.wait_for_selector(".receipt-code")
    assert page.console.errors == []


def test_a_failed_connection_says_not_sent_and_keeps_the_form(open_form):
    page = open_form()
    fill(page, unit_index=1)
    ready(page)
    page.route("**/tips/new?*", lambda route: route.abort("connectionfailed")
               if route.request.method == "POST" else route.continue_())
    page.get_by_role("button", name="Send the tip").click()
    problem = page.locator(".tip-send-problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("Not sent: the connection failed.")
    expect(page.locator('textarea[name="description"]')).to_have_value(DESCRIPTION)
    expect(page.locator(".tip-progress")).to_be_hidden()
    expect(page.get_by_role("button", name="Send the tip")).to_be_enabled()


@pytest.fixture
def tip_with_question(live_server, app_settings_sqlite, category):
    settings = app_settings_sqlite
    with db_session(settings) as dbsession:
        unit = dbsession.execute(select(Unit).where(Unit.code == "139910")).scalar_one()
        tip_category = dbsession.execute(select(TipCategory).where(TipCategory.slug == SLUG)).scalar_one()
        tip = Tip(category=tip_category, unit=unit, description=DESCRIPTION, state="assigned",
                  created_at=datetime.now(UTC) - timedelta(days=1))
        dbsession.add(tip)
        dbsession.flush()
        dbsession.add(TipMessage(tip_id=tip.id, author="officer", body=QUESTION))
        dbsession.add(TipMessage(tip_id=tip.id, author="officer", internal=True, body="Internal: known dealer."))
        dbsession.flush()
        code = issue(dbsession, ReceiptHasher(settings["portal.receipt_pepper"].encode("utf-8")), "tip", tip.id)
        return tip.id, code


def test_the_reporter_reads_the_question_and_answers_on_status(open_form, app_settings_sqlite, tip_with_question):
    tip_id, code = tip_with_question
    page = open_form(path="/status?lang=en")
    page.fill('input[name="code"]', code)
    page.get_by_role("button", name="Show the status").click()
    thread = page.locator("ol.thread")
    expect(thread).to_contain_text(QUESTION)
    assert "known dealer" not in page.content()
    expect(page.locator(".status-result")).to_contain_text("Being handled by the police")
    assert "code=" not in page.url
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
    page.fill('form#tip-reply textarea[name="message"]', "Thursdays after nine; photo attached.")
    page.set_input_files('form#tip-reply input[type="file"][multiple]', files=[
        {"name": "van.jpg", "mimeType": "image/jpeg", "buffer": noise_jpeg(300)}])
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator(".banner-success .banner-body")).to_have_text("Your answer was sent to the police.")
    last = page.locator("ol.thread li").last
    expect(last).to_contain_text("You")
    expect(last).to_contain_text("Thursdays after nine; photo attached.")
    expect(last).to_contain_text("1 file(s) attached")
    assert code not in page.url
    with db_session(app_settings_sqlite) as dbsession:
        message = dbsession.execute(select(TipMessage).where(TipMessage.tip_id == tip_id,
                                                             TipMessage.author == "reporter")).scalar_one()
        assert message.body == "Thursdays after nine; photo attached."
        tip = dbsession.get(Tip, tip_id)
        assert [a.message_id for a in tip.attachments] == [message.id]
    # Another answer from the page the server sent back.
    page.fill('form#tip-reply textarea[name="message"]', "And on Sundays.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator("ol.thread li").last).to_contain_text("And on Sundays.")
    assert page.console.errors == []
    assert json.dumps(code) not in page.url


@pytest.mark.parametrize("path", ["/tips/new?lang=en", "/tips/new?lang=ug", f"/tips/new?category={SLUG}&lang=ug",
                                  f"/tips/new?category={SLUG}&lang=zh_CN", "/tips/new?category=guns&lang=en"])
def test_no_axe_violations_in_every_language(open_form, path):
    page = open_form(path=path)
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
    assert page.console.errors == []


QUESTIONS_SLUG = "browser-tip-questions"


@pytest.fixture(scope="module")
def category_with_questions(live_server, app_settings_sqlite):
    """A category whose form asks for a number (required) and a date, reached from the choice page."""
    with db_session(app_settings_sqlite) as dbsession:
        if dbsession.execute(select(TipCategory).where(TipCategory.slug == QUESTIONS_SLUG)).scalar_one_or_none() is None:
            category = TipCategory(slug=QUESTIONS_SLUG, position=-2,
                                   names={"en": "Fraud (browser test)", "zh_CN": "诈骗（测试）"})
            category.questions.extend([
                TipQuestion(key="lost", kind="number", required=True, position=0,
                            labels={"en": "How much money was lost (yuan)?", "zh_CN": "损失金额（元）？"}),
                TipQuestion(key="first_call", kind="date", position=1,
                            labels={"en": "When did they first call?", "zh_CN": "第一次来电是哪天？"}),
            ])
            dbsession.add(category)
    return QUESTIONS_SLUG


def test_the_reporter_picks_a_category_and_answers_its_questions(open_form, app_settings_sqlite,
                                                                  category_with_questions):
    page = open_form(path="/tips/new?lang=en")
    page.get_by_role("link", name="Fraud (browser test)").click()
    page.wait_for_url(re.compile(f"category={QUESTIONS_SLUG}"))
    lost = page.get_by_label("How much money was lost (yuan)?")
    first_call = page.get_by_label("When did they first call?")
    assert lost.get_attribute("inputmode") == "decimal" and first_call.get_attribute("type") == "date"
    assert page.locator('select[name="q_activity"]').count() == 0  # another category's question is not here
    page.fill('textarea[name="description"]', DESCRIPTION)
    page.fill('input[name="happened_at"]', (datetime.now(UTC) - timedelta(hours=2)).astimezone(LOCAL_TZ)
              .strftime("%Y-%m-%dT%H:%M"))
    page.fill('input[name="place"]', "By phone, from a number in another province")
    page.locator('select[name="unit"]').select_option(index=1)
    first_call.fill("2026-11-02")
    ready(page)
    page.get_by_role("button", name="Send the tip").click()
    # The required number is missing: the browser itself stops the form and points at the question.
    invalid = page.evaluate("[...document.querySelectorAll('form :invalid')].map(e => e.name).filter(Boolean)")
    assert invalid == ["q_lost"]
    page.wait_for_timeout(500)
    expect(page.locator(".receipt-code")).to_have_count(0)
    assert tips_in(app_settings_sqlite, QUESTIONS_SLUG) == 0
    page.get_by_label("How much money was lost (yuan)?").fill("a lot")
    ready(page)
    page.get_by_role("button", name="Send the tip").click()  # the server refuses what is not a number
    expect(page.locator("#refused-title")).to_contain_text("Nothing was sent.")
    expect(page.locator(".invalid-feedback", has_text="Give a number, for example 3 or 2.5.")).to_be_visible()
    expect(page.locator(".error-summary a", has_text="Give a number")).to_have_attribute("href", re.compile(r"^#deformField\d+$"))
    expect(page.get_by_label("When did they first call?")).to_have_value("2026-11-02")  # kept
    expect(page.locator('textarea[name="description"]')).to_have_value(DESCRIPTION)
    page.get_by_label("How much money was lost (yuan)?").fill("12500")
    ready(page)
    page.get_by_role("button", name="Send the tip").click()
    page.wait_for_selector(".receipt-code")
    assert tips_in(app_settings_sqlite, QUESTIONS_SLUG) == 1  # the two refusals stored nothing
    with db_session(app_settings_sqlite) as dbsession:
        tip = dbsession.execute(select(Tip).order_by(Tip.id.desc()).limit(1)).scalar_one()
        answers = {a.question.key: a.value for a in tip.answers}
        assert (tip.category.slug, answers) == (QUESTIONS_SLUG, {"lost": "12500", "first_call": "2026-11-02"})
    assert page.console.errors == []


def tips_in(settings, slug) -> int:
    with db_session(settings) as dbsession:
        return dbsession.execute(select(func.count()).select_from(Tip).join(Tip.category)
                                 .where(TipCategory.slug == slug)).scalar_one()
