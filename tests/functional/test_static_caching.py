"""Static files: versioned URLs on the pages, kept a year when asked for with the current version."""
import re

from portal.core.static import IMMUTABLE, SHORT


def test_pages_link_versioned_static_files_kept_a_year(testapp):
    page = testapp.get("/")
    stylesheet = page.html.select_one('link[rel="stylesheet"]')["href"]
    assert re.fullmatch(r"/static/css/portal\.css\?v=[0-9a-f]{12}", stylesheet)
    answer = testapp.get(stylesheet)
    assert answer.headers["Cache-Control"] == IMMUTABLE and "Expires" not in answer.headers
    assert "xkey" not in answer.headers


def test_under_a_mount_point_too(testapp):
    mounted = {"SCRIPT_NAME": "/portal"}
    stylesheet = testapp.get("/", extra_environ=mounted).html.select_one('link[rel="stylesheet"]')["href"]
    assert stylesheet.startswith("/portal/static/css/portal.css?v=")
    answer = testapp.get(stylesheet.removeprefix("/portal"), extra_environ=mounted)
    assert answer.headers["Cache-Control"] == IMMUTABLE


def test_an_unversioned_or_stale_static_url_is_kept_an_hour(testapp):
    assert testapp.get("/static/js/alarm.js").headers["Cache-Control"] == SHORT
    assert testapp.get("/static/js/alarm.js?v=000000000000").headers["Cache-Control"] == SHORT


def test_the_service_worker_still_finds_the_alarm_files(testapp):
    """sw.js keeps /static/css/alarm.css and /static/js/alarm.js by path: the page's versioned URLs have
    those paths, and the plain paths it fetches at install still answer."""
    page = testapp.get("/alarm")
    paths = {url.split("?")[0] for url in [page.html.select_one('link[rel="stylesheet"]')["href"],
                                           *(s["src"] for s in page.html.select("script[src]"))]}
    assert {"/static/css/alarm.css", "/static/js/alarm.js"} <= paths
    for path in ("/static/css/alarm.css", "/static/js/alarm.js"):
        assert testapp.get(path).status_int == 200
