"""Every staff page, read from the route table, has no axe violation on a phone (390x844) and at a desk
(1366x768) in Chinese, English and Uyghur, seen by an officer allowed to see it (issue 13). A staff route
that answers GET must be in STAFF_PAGES or, when it is no page, in NOT_PAGES: a new page cannot go unchecked."""
import pytest

from tests.browser.conftest import ConsoleWatcher
from tests.browser.page_routes import LANGUAGES, WIDTHS, get_routes, unvisited
from tests.browser.test_public_pages import AXE, describe

# route name -> (who looks, the address: {names} come from page_routes.axe_world)
STAFF_PAGES = {
    "staff": ("moderator", "/staff"),
    "staff_account_totp": ("moderator", "/staff/account/totp"),
    "staff_account_password": ("moderator", "/staff/account/password"),
    "staff_notices": ("moderator", "/staff/notices"),
    "staff_notice_new": ("moderator", "/staff/notices/new"),
    "staff_notice": ("moderator", "/staff/notices/{notice}"),
    "staff_sightings": ("moderator", "/staff/sightings"),
    "staff_sighting": ("moderator", "/staff/sightings/{sighting}"),
    "staff_sighting_evidence": ("moderator", "/staff/sightings/{sighting}/evidence"),
    "staff_tips": ("moderator", "/staff/tips"),
    "staff_tip": ("moderator", "/staff/tips/{tip}"),
    "staff_stats": ("moderator", "/staff/stats"),
    "staff_queue_stats": ("moderator", "/staff/stats/queues"),
    "staff_missing": ("dispatcher", "/staff/missing"),
    "staff_missing_request": ("dispatcher", "/staff/missing/{missing}"),
    "staff_missing_evidence": ("dispatcher", "/staff/missing/{missing}/evidence"),
    "staff_alarms": ("dispatcher", "/staff/alarms"),
    "staff_alarm": ("dispatcher", "/staff/alarms/{alarm}"),
    # The detail fragment the console fetches is read where it is shown: beside the list (?selected).
    "staff_alarm_panel": ("dispatcher", "/staff/alarms?selected={alarm}"),
    "staff_alarm_evidence": ("dispatcher", "/staff/alarms/{alarm}/evidence"),
    "staff_recording": ("dispatcher", "/staff/recordings/{recording}"),
    "staff_call_invitations": ("dispatcher", "/staff/invitations"),
    "staff_units": ("axe.admin", "/staff/units"),
    "staff_unit_new": ("axe.admin", "/staff/units/new"),
    "staff_unit": ("axe.admin", "/staff/units/{city}"),
    "staff_officers": ("axe.admin", "/staff/officers"),
    "staff_officer_new": ("axe.admin", "/staff/officers/new"),
    "staff_officer": ("axe.admin", "/staff/officers/{officer}"),
    "staff_audit": ("axe.admin", "/staff/audit"),
    "staff_categories": ("axe.admin", "/staff/categories"),
    "staff_category_new": ("axe.admin", "/staff/categories/new"),
    "staff_category": ("axe.admin", "/staff/categories/{category}"),
    "staff_tip_evidence": ("axe.admin", "/staff/tips/{tip}/evidence"),  # an unassigned tip: the admins'
}

# Staff routes that answer GET with no page for axe to read.
NOT_PAGES = {
    "staff_alarms_feed": "JSON: the console's list",
    "staff_alarm_updates": "JSON: an alarm's news",
    "staff_calls": "JSON: the calls ringing",
    "staff_call_poll": "JSON: a call's signals",
    "staff_alarm_photo": "an image",
    "staff_missing_photo": "an image",
    "staff_notice_photo": "an image",
    "staff_sighting_photo": "an image",
    "staff_tip_media": "an image or a video",
    "staff_recording_media": "a video, after a reason is given",
    "staff_stats_csv": "a CSV download",
    "staff_queue_stats_csv": "a CSV download",
}

# The sign-in's second step (public routes, reached only half signed in): axe reads them here.
SIGN_IN_STEPS = {"login_totp": "axe.totp", "login_enrol": "axe.enrol"}


def test_every_staff_get_route_is_visited_or_declared_no_page(app_settings_sqlite):
    staff = {name: pattern for name, pattern in get_routes(app_settings_sqlite).items()
             if pattern.startswith("/staff")}
    assert unvisited(staff, STAFF_PAGES, NOT_PAGES) == {}


def _password(username):
    from portal.demo.data import DEMO_PASSWORD
    from tests.factories import PASSWORD

    return PASSWORD if username.startswith("axe.") else DEMO_PASSWORD


def _sign_in(page, base, username):
    """Username and password; the one-time code too for the axe tests' admin. Ends where it lands."""
    from tests.browser.page_routes import AXE_TOTP
    from tests.factories import totp_now

    page.goto(base + "/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', _password(username))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: not url.endswith("/login"))
    if username == "axe.admin":
        page.fill('input[name="code"]', totp_now(AXE_TOTP))
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture(scope="module")
def staff_sessions(browser, live_server, axe_ids):
    """The demo's moderator and dispatcher and an admin of the axe tests, each signed in once: their
    cookies, to hand to every language's and width's context; and the ids of the pages' objects."""
    sessions = {}
    for username in sorted({who for who, _path in STAFF_PAGES.values()}):
        context = browser.new_context()
        page = context.new_page()
        _sign_in(page, live_server, username)
        assert "/staff" in page.url, f"{username} did not get in: {page.url}"
        sessions[username] = context.cookies()
        context.close()
    return sessions, axe_ids


def _as(context, cookies, lang):
    context.clear_cookies()
    context.add_cookies([*cookies, {"name": "lang", "value": lang, "domain": "127.0.0.1", "path": "/"}])


def _check(page, url, where):
    response = page.goto(url)
    assert response.status == 200, f"{where} {url}: {response.status}"  # the page itself, not an error page
    assert "/login" not in page.url or where in SIGN_IN_STEPS.values(), f"{where}: sent to {page.url}"
    results = AXE.run(page)
    return [f"{where} {url}:\n" + describe(results.response["violations"])] if results.violations_count else []


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_no_axe_violations_on_any_staff_page(browser, live_server, staff_sessions, lang, width):
    sessions, ids = staff_sessions
    context = browser.new_context(viewport=WIDTHS[width])
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    failures = []
    for route, username in SIGN_IN_STEPS.items():  # half signed in: a fresh sign-in each time (5 minutes)
        _as(context, [], lang)
        _sign_in(page, live_server, username)
        assert page.url.endswith(f"/login/{route.split('_')[1]}"), page.url
        failures += _check(page, page.url, username)
    for username, cookies in sessions.items():
        _as(context, cookies, lang)
        for _route, (who, path) in STAFF_PAGES.items():
            if who == username:
                failures += _check(page, live_server + path.format(**ids), username)
    context.close()
    assert not failures, f"{lang} {width}:\n" + "\n".join(failures)
    assert page.console.errors == []
