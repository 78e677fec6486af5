"""The public layout's chrome is made once per language, mount point, sign-in state and current
navigation item (core/chrome.py): each of those gets its own, the page's path still reaches the
language switcher, the memo stays bounded, and a page is the same byte for byte with or without it."""
import re

import pytest

from tests.factories import make_officer
from tests.functional.helpers import login


@pytest.fixture
def memo(registry):
    memo = registry["public_chrome"]
    assert memo.enabled, "the test app renders templates as production does (no reload)"
    return memo


def current_nav(page) -> list[str]:
    nav = page.text.partition('<nav class="main-nav"')[2].partition("</nav>")[0]
    return re.findall(r'<li><a href="([^"]+)" aria-current="page">', nav)


def switcher_links(page) -> list[str]:
    return re.findall(r'<a href="([^"]*)\?lang=', page.text)


def test_each_language_gets_its_own_chrome(testapp, memo):
    english = testapp.get("/notices", headers={"Accept-Language": "en"})
    chinese = testapp.get("/notices", headers={"Accept-Language": "zh-CN"})
    uyghur = testapp.get("/notices", headers={"Accept-Language": "ug"})
    assert '<html lang="en" dir="ltr">' in english.text and ">Report a tip</a>" in english.text
    assert '<html lang="zh-Hans" dir="ltr">' in chinese.text and ">Report a tip</a>" not in chinese.text
    assert '<html lang="ug" dir="rtl">' in uyghur.text and ">Report a tip</a>" not in uyghur.text
    # The switcher marks each reader's own language.
    assert 'hreflang="en" aria-current="true"' in english.text
    assert 'hreflang="zh-Hans" aria-current="true"' in chinese.text
    assert 'hreflang="ug" aria-current="true"' in uyghur.text
    # And the language cookie chosen with ?lang= is honoured after English was memoised.
    testapp.get("/notices?lang=zh_CN")
    assert '<html lang="zh-Hans"' in testapp.get("/notices").text


def test_each_page_marks_its_own_navigation_item_and_keeps_its_path_in_the_switcher(testapp, memo):
    notices = testapp.get("/notices")
    tips = testapp.get("/tips/new")
    home = testapp.get("/")
    missing = testapp.get("/no-such-page", status=404)
    assert current_nav(notices) == ["/notices"]
    assert current_nav(tips) == ["/tips/new"]
    assert current_nav(home) == [] and current_nav(missing) == []
    assert set(switcher_links(notices)) == {"/notices"}
    assert set(switcher_links(tips)) == {"/tips/new"}
    assert set(switcher_links(home)) == {"/"}
    assert set(switcher_links(missing)) == {"/no-such-page"}
    # Two pages outside the navigation share one entry, each with its own path in the switcher.
    again = testapp.get("/no-such-page-either", status=404)
    assert set(switcher_links(again)) == {"/no-such-page-either"}
    # A path needing escaping in HTML is escaped as the template would.
    odd = testapp.get("/no&such", status=404)
    assert set(switcher_links(odd)) == {"/no&amp;such"}


def test_a_signed_in_officer_sees_the_staff_link_and_nobody_else_does(app, testapp, dbsession, units, memo):
    import webtest

    make_officer(dbsession, units["city_a"], ["moderator"], username="chrome_mod")
    anonymous = webtest.TestApp(app, extra_environ=dict(testapp.extra_environ))
    assert ">Staff</a>" not in anonymous.get("/notices").text
    login(testapp, "chrome_mod")
    signed_in = testapp.get("/notices")
    assert '<li><a href="/staff">Staff</a></li>' in signed_in.text
    assert current_nav(signed_in) == ["/notices"]
    # The signed-in chrome is not handed to the next anonymous reader of the same page and language.
    assert ">Staff</a>" not in anonymous.get("/notices").text


def test_a_mounted_portal_gets_links_under_its_mount_point(testapp, memo):
    mounted = testapp.get("/notices", extra_environ={"SCRIPT_NAME": "/portal"})
    assert '<a class="brand" href="/portal/">' in mounted.text
    assert '<li><a href="/portal/notices" aria-current="page">' in mounted.text
    assert 'href="/portal/static/css/portal.css?v=' in mounted.text
    assert set(switcher_links(mounted)) == {"/portal/notices"}
    plain = testapp.get("/notices")
    assert '<a class="brand" href="/">' in plain.text and "/portal/" not in plain.text


def test_the_memo_is_bounded(testapp, memo, monkeypatch):
    monkeypatch.setattr(memo, "limit", 4)
    monkeypatch.setattr(memo, "_entries", {})
    monkeypatch.setattr(memo, "_nav_paths", {})
    for n in range(10):
        page = testapp.get("/notices", extra_environ={"SCRIPT_NAME": f"/mount{n}"})
        assert f'<li><a href="/mount{n}/notices" aria-current="page">' in page.text
        assert len(memo) <= 4 and len(memo._nav_paths) <= 4
    # An entry pushed out is made again, right.
    page = testapp.get("/notices", extra_environ={"SCRIPT_NAME": "/mount0"})
    assert '<a class="brand" href="/mount0/">' in page.text


@pytest.mark.parametrize("path", ["/", "/notices", "/tips/new", "/status", "/no-such-page"])
def test_pages_are_the_same_with_and_without_the_memo(testapp, memo, monkeypatch, path):
    status = 404 if path == "/no-such-page" else 200
    remembered = testapp.get(path, status=status).text
    monkeypatch.setattr(memo, "enabled", False)
    rendered = testapp.get(path, status=status).text

    def frame(text):  # all but the page's own content, which may carry a form's per-request tokens
        before, _main, rest = text.partition('<main id="main" tabindex="-1">')
        return before, rest.rpartition("</main>")[2]
    assert frame(remembered) == frame(rendered)
    assert frame(remembered)[1].startswith("\n<footer") and '<header class="site-header">' in frame(remembered)[0]
