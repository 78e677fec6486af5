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


# Every public page, read from the route table (tests/browser/page_routes.py): route name -> address
# ({names} from page_routes.axe_world). A public route that answers GET is here, in NOT_PAGES, or in
# SIGN_IN_STEPS of test_staff_axe.py: a new page cannot go unchecked.
PUBLIC_AXE_PAGES = {
    "home": "/",
    "notices": "/notices",
    "notice": "/notices/{published}",
    "notice_poster": "/notices/{published}/poster",
    "sighting_new": "/notices/{published}/sightings/new",
    "tips_new": "/tips/new",
    "alarm": "/alarm",
    "embed_alarm": "/embed/alarm",
    "alarm_sender": "/alarm/{alarm_token}",
    "alarm_sender_action": "/alarm/{alarm_token}/cancel",  # its other GET (updates) is JSON
    "call_invitation": "/invite/{invitation_token}",
    "trip_new": "/trips/new",
    "trip": "/trips/{trip_token}",
    "guard": "/guard/{guardian_token}",
    "status": "/status",
    "missing_new": "/missing/new",
    "login": "/login",
    "logout": "/logout",
}
# More states of the pages above, and what no route names.
PUBLIC_AXE_EXTRA = ["/notices?kind=missing_person", "/tips/new?category={tip_category}", "/no-such-page"]

# Public routes that answer GET with no page for axe to read.
NOT_PAGES = {
    "__static/": "CSS, scripts, images",
    "alarm_route": "JSON: which unit a point goes to", "tip_route": "JSON: which unit a point goes to",
    "api_notices": "JSON API", "api_notice": "JSON API", "api_openapi": "JSON API description",
    "call_caller_action": "JSON: a call's signals (poll)", "guard_action": "JSON: the trip's news (updates)",
    "trip_action": "JSON: the trip's news (updates)",
    "guard_photo": "an image", "trip_photo": "an image", "media": "an image", "map_tile": "a map tile",
    "map_places": "JSON: places", "units_geo": "GeoJSON: the units' areas",
    "evidence_public_key": "a PEM key", "evidence_public_keys": "a JSON key set",
    "feed_atom": "an Atom feed", "feed_cap": "a CAP feed", "notice_cap": "a CAP alert",
    "healthz": "JSON health", "readyz": "JSON health", "readyz_web": "JSON health",
    "robots": "text", "sitemap": "XML", "service_worker": "a script", "web_manifest": "JSON manifest",
}


def test_every_public_get_route_is_visited_or_declared_no_page(app_settings_sqlite):
    from tests.browser.page_routes import get_routes, unvisited
    from tests.browser.test_staff_axe import SIGN_IN_STEPS

    public = {name: pattern for name, pattern in get_routes(app_settings_sqlite).items()
              if not pattern.startswith("/staff")}
    assert unvisited(public, PUBLIC_AXE_PAGES, {**NOT_PAGES, **SIGN_IN_STEPS}) == {}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("width", ["phone", "desk"])
def test_no_axe_violations_on_the_public_pages(browser, live_server, axe_ids, lang, width):
    """One context per language and width (the language in its cookie); every page, all violations at once."""
    context = browser.new_context(viewport=PHONE if width == "phone" else DESK)
    context.add_cookies([{"name": "lang", "value": lang, "domain": "127.0.0.1", "path": "/"}])
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    ids = {**axe_ids, "tip_category": "pollution",  # a category of the demo, with its questions
           "invitation_token": axe_ids["invitation_tokens"][f"{lang} {width}"]}
    failures = []
    for path in [*PUBLIC_AXE_PAGES.values(), *PUBLIC_AXE_EXTRA]:
        response = page.goto(live_server + path.format(**ids))
        assert response.status == (404 if path == "/no-such-page" else 200), f"{path}: {response.status}"
        results = AXE.run(page)
        if results.violations_count:
            failures.append(f"{path}:\n" + describe(results.response["violations"]))
    errors = page.console.errors
    context.close()
    assert not failures, f"{lang} {width}:\n" + "\n".join(failures)
    assert errors == []  # CSP violations are reported here
