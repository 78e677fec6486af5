"""The public side's design on a phone (390x844) and a desk: a compact emergency strip whose buttons never
break inside a word, a header that names the four things people come for, no accessibility violations and
no CSP violations in any of the three languages (templates/README.md describes the design)."""
import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import ConsoleWatcher

AXE = Axe()
LANGUAGES = ("zh_CN", "ug", "en")
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
STRIP_MAX_PX = 110
HEADER_DESTINATIONS = ("/notices", "/tips/new", "/alarm", "/trips/new", "/status")

# For every word (a run of letters, digits and marks: 拨打, 12110, قىلىڭ) of every emergency button, the
# number of distinct lines its glyphs sit on. More than one means the word was broken in the middle.
WORD_LINES = """() => [...document.querySelectorAll('.fallbacks a.fallback')].map(a => {
  const walker = document.createTreeWalker(a, NodeFilter.SHOW_TEXT);
  const words = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.data.matchAll(/[\\p{L}\\p{N}\\p{M}]+/gu)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      words.push([match[0], tops.size]);
    }
  }
  return {text: a.textContent.trim(), words};
})"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    yield page
    context.close()


@pytest.fixture
def desk(browser):
    context = browser.new_context(viewport=DESK)
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    yield page
    context.close()


def describe(violations):
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}" for v in violations
    )


def first_notice_path(page, live_server):
    page.goto(f"{live_server}/notices?kind=missing_person")
    return page.locator(".card a").first.get_attribute("href")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_emergency_strip_is_compact_and_never_breaks_a_word(phone, live_server, lang):
    phone.goto(f"{live_server}/?lang={lang}")
    strip = phone.locator("aside.fallbacks").bounding_box()
    assert strip["y"] == 0 and strip["height"] <= STRIP_MAX_PX, f"{lang}: the strip is {strip['height']} px tall"
    buttons = phone.evaluate(WORD_LINES)
    assert len(buttons) == 3
    for button in buttons:
        broken = [word for word, lines in button["words"] if lines != 1]
        assert not broken, f"{lang}: {button['text']!r} breaks inside {broken}"
    for link in phone.locator(".fallbacks a.fallback").all():
        box = link.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, link.text_content()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # The call and SMS links are plain links in the HTML: they work with no JavaScript.
    hrefs = [link.get_attribute("href") for link in phone.locator(".fallbacks a.fallback").all()]
    assert hrefs[:2] == ["tel:110", "tel:122"] and hrefs[2].startswith("sms:12110")
    assert phone.console.errors == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_alarm_pages_own_strip_never_breaks_a_word(phone, live_server, lang):
    phone.goto(f"{live_server}/alarm?lang={lang}")
    for button in phone.evaluate(WORD_LINES):
        broken = [word for word, lines in button["words"] if lines != 1]
        assert not broken, f"/alarm ({lang}): {button['text']!r} breaks inside {broken}"
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_strip_works_with_javascript_off(browser, live_server):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/?lang=ug")
    assert page.locator('.fallbacks a[href="tel:110"]').is_visible()
    assert page.locator('.fallbacks a[href^="sms:12110"]').is_visible()
    context.close()


PUBLIC_PAGES = ["/", "/notices", "NOTICE", "/tips", "/status", "/missing/new", "/login", "/trips/new",
                "/no-such-page"]


def header_links(page):
    return [a.get_attribute("href").split("?")[0] for a in page.locator("header.site-header nav a").all()]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_links_the_four_destinations_from_its_header(phone, live_server, path):
    if path == "NOTICE":
        path = first_notice_path(phone, live_server)
    phone.goto(live_server + path)
    links = header_links(phone)
    for destination in HEADER_DESTINATIONS:
        assert destination in links, f"{path}: the header does not link {destination} ({links})"


def test_the_phone_menu_opens_without_javascript_and_keeps_the_first_screen(browser, live_server):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/?lang=en")
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] <= 56, f"the header takes {header['height']} px on a phone"
    # Strip and header together leave most of the first screen to the page.
    assert page.locator("main h1").bounding_box()["y"] < 220
    alarm = page.locator('header.site-header nav a[href^="/alarm"]')
    assert not alarm.is_visible()
    page.locator("header.site-header details.menu > summary").click()
    assert alarm.is_visible()
    alarm.click()
    assert page.url.startswith(f"{live_server}/alarm")
    context.close()


def test_a_wide_screen_shows_the_navigation_without_a_menu(desk, live_server):
    desk.goto(f"{live_server}/?lang=zh_CN")
    for destination in HEADER_DESTINATIONS:
        assert desk.locator(f'header.site-header nav a[href^="{destination}"]').is_visible(), destination
    assert not desk.locator("header.site-header details.menu > summary").is_visible()


def test_the_home_page_leads_with_in_danger_now(phone, live_server):
    phone.goto(f"{live_server}/?lang=zh_CN")
    sections = phone.locator("main > section").all()
    assert sections[0].get_attribute("class").split()[0] == "danger-now"
    danger = sections[0]
    for href in ("/alarm", "tel:110", "sms:12110", "/trips/new"):
        assert danger.locator(f'a[href^="{href}"]').count() == 1, href
    ids = [section.get_attribute("aria-labelledby") for section in sections]
    assert ids.index("missing-title") < ids.index("tips-title")
    assert phone.locator(".home-tips a").count() >= 3


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("width", ["phone", "desk"])
def test_no_axe_violations_on_the_public_pages(browser, live_server, lang, width):
    context = browser.new_context(viewport=PHONE if width == "phone" else DESK)
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    notice = first_notice_path(page, live_server)
    for path in ["/", "/notices", notice, "/tips", "/status", "/missing/new", "/trips/new", "/login"]:
        page.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={lang}")
        results = AXE.run(page)
        assert results.violations_count == 0, f"{path} ({lang}, {width}):\n" + describe(
            results.response["violations"])
    assert page.console.errors == []  # CSP violations are reported here
    context.close()
