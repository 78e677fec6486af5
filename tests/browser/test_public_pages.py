"""What a visitor's phone shows: fallback links, no script errors, no accessibility violations."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

AXE = Axe()


def first_notice_path(page, live_server):
    page.goto(f"{live_server}/notices?kind=missing_person")
    return page.locator(".card a").first.get_attribute("href")


def describe(violations):
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}" for v in violations
    )


def test_home_shows_the_fallback_links_without_console_errors(page, live_server):
    page.goto(live_server + "/")
    for name, href in [("110", "tel:110"), ("122", "tel:122")]:
        link = page.locator(f'.fallbacks a[href="{href}"]')
        assert link.is_visible(), name
        box = link.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44  # big enough to hit in a hurry
    sms = page.locator('a.fallback.sms')
    assert sms.get_attribute("href").startswith("sms:12110?&body=")
    # The emergency links sit above the fold on a phone.
    assert page.locator('.fallbacks a[href="tel:110"]').bounding_box()["y"] < 844
    assert page.locator(".card").count() >= 6
    assert page.console.errors == []


def test_fallback_links_work_with_javascript_off(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/notices/abc")
    assert page.locator('.fallbacks a[href="tel:110"]').is_visible()
    context.close()


@pytest.mark.parametrize("path", ["/", "/notices", "/notices?q=nobody-at-all", "/notices?sort=last_seen", "NOTICE", "/login", "/login?lang=en", "/?lang=ug", "/no-such-page",
                                  "/missing/new", "/missing/new?lang=ug", "/status", "NOTICE/sightings/new",
                                  "NOTICE/poster"])
def test_no_axe_violations(page, live_server, path):
    if path.startswith("NOTICE"):
        path = path.replace("NOTICE", first_notice_path(page, live_server))
    page.goto(live_server + path)
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
    assert page.console.errors == []


def test_notice_page_shows_photo_and_facts(page, live_server):
    page.goto(live_server + first_notice_path(page, live_server))
    image = page.locator(".photos img").first
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator("dl.facts").is_visible()


def test_appeal_shows_its_badge_and_the_coarse_last_seen_map(page, live_server):
    page.goto(live_server + first_notice_path(page, live_server))
    assert page.locator(".badge-verified").is_visible()
    figure = page.locator(".last-seen-map figure.point-map")
    assert figure.is_visible() and figure.get_attribute("data-accuracy") in ("500", "2000")
    # The map is drawn when it comes near the screen (below the photo and facts on a phone), not before.
    assert figure.bounding_box()["y"] > 844 + 200 and page.locator(".last-seen-map svg").count() == 0
    figure.scroll_into_view_if_needed()
    expect(page.locator(".last-seen-map svg").first).to_be_attached()  # the spot drawn around the coarse point
    assert page.console.errors == []


def test_the_list_folds_its_filters_on_a_phone_and_sorts_without_javascript(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/notices")
    assert not page.locator("form.notice-filters").is_visible()  # folded: the notices come first
    assert page.locator(".card").first.bounding_box()["y"] < 740 * 2
    page.locator("details.filters-fold summary").click()
    page.select_option("select[name=sort]", "last_seen")
    page.locator("form.notice-filters button[type=submit]").click()
    assert "sort=last_seen" in page.url and page.locator(".result-count").is_visible()
    context.close()
    wide = browser.new_context(viewport={"width": 1280, "height": 800})
    page = wide.new_page()
    page.goto(live_server + "/notices")
    assert page.locator("form.notice-filters select[name=sort]").is_visible()  # a wide screen shows them
    wide.close()


def test_uyghur_pages_are_right_to_left(page, live_server):
    page.goto(live_server + "/?lang=ug")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    page.goto(live_server + "/notices")  # remembered by the cookie
    assert page.locator("html").get_attribute("dir") == "rtl"


def test_no_horizontal_scrolling_on_a_small_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    for path in ["/", "/notices", "/login", "/missing/new", "/status"]:
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
    context.close()


def test_poster_prints_on_one_a4_page(page, live_server):
    page.goto(live_server + first_notice_path(page, live_server) + "/poster")
    assert page.locator(".poster-qr img").evaluate("img => img.complete && img.naturalWidth > 0")
    pdf = page.pdf(format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))  # page objects, not the /Pages tree
    assert pages == 1, f"the poster printed on {pages} pages"
    results = AXE.run(page)
    assert results.violations_count == 0, describe(results.response["violations"])
