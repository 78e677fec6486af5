"""Browser tests: the real app on a free port, with the demo data, driven by Debian's Chromium.

No browser is downloaded: Playwright launches /usr/bin/chromium. Without it these tests skip
(CI installs it, see .ci/run)."""
import contextlib
import os
import threading

import pytest

import portal
from portal.core.db import get_engine
from portal.media.storage import LocalMediaStore
from portal.privacy.crypto import FieldCipher
from portal.privacy.receipts import ReceiptHasher
from portal.scripts.common import db_session
from portal.scripts.seed_demo import seed
from tests.conftest import migrate
from tests.coturn import reserve_ports, running_coturn, skip_or_fail_without_coturn

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]
# Calls: fake camera and microphone granted without a prompt, WebRTC on the loopback, and host
# candidates with their address rather than an mDNS name, so a test can check every address is 127.0.0.1.
CALL_ARGS = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
             "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, app_settings_sqlite):
    """The portal served by waitress in a thread, on SQLite seeded with the demo data."""
    settings = dict(app_settings_sqlite)
    migrate(get_engine({"sqlalchemy.url": settings["sqlalchemy.url"]}))
    with db_session(settings) as dbsession:
        seed(dbsession, LocalMediaStore(settings["portal.media_dir"]),
             FieldCipher.from_setting(settings["portal.field_keys"], settings["portal.field_key_id"]),
             ReceiptHasher(settings["portal.receipt_pepper"].encode("utf-8")))
    with serving(settings) as url:
        yield url


@pytest.fixture(scope="session")
def axe_ids(live_server, app_settings_sqlite):
    """The objects the axe tests visit that the demo does not hold (tests/browser/page_routes.py)."""
    from tests.browser.page_routes import axe_world

    return axe_world(app_settings_sqlite)


@contextlib.contextmanager
def serving(settings, port=0):
    """The portal with these settings served by waitress in a thread; yields its URL."""
    import waitress

    server = waitress.create_server(portal.main({}, **settings), host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()


@pytest.fixture(scope="session")
def coturn(tmp_path_factory):
    """A coturn on 127.0.0.1 checking the REST API credentials (tests/coturn.py); skips without
    /usr/bin/turnserver unless PORTAL_REQUIRE_COTURN=1."""
    skip_or_fail_without_coturn()
    with running_coturn(tmp_path_factory.mktemp("coturn")) as server:
        yield server


@pytest.fixture(scope="session")
def relay_server(live_server, app_settings_sqlite, coturn):
    """A second portal on live_server's seeded database (same officers and data), whose calls hand out
    relay-only credentials of `coturn` (`ice` of POST /alarm/{token}/call and of the answer). Its port
    comes from PORTAL_TEST_PORTS, like coturn's."""
    port = reserve_ports(1)
    try:
        with serving({**app_settings_sqlite, **coturn.portal_settings()}, port=port.first) as url:
            yield url
    finally:
        port.release()


@pytest.fixture(scope="session")
def app_settings_sqlite(tmp_path_factory):
    base = tmp_path_factory.mktemp("browser")
    return {
        "sqlalchemy.url": f"sqlite:///{base}/browser.sqlite",
        "portal.session_secret": "browser-session-secret-0123456789abcdef0123",
        "portal.field_keys": "b1:YnJvd3Nlci10ZXN0LWtleS0zMi1ieXRlcy0wMDAwMDA",
        "portal.field_key_id": "b1",
        "portal.receipt_pepper": "browser-receipt-pepper-0123456789",
        "portal.media_dir": str(base / "media"),
        "portal.audit_key": "b1:browser-audit-key-0123456789abcdef0123456789",
        "pyramid.reload_templates": "false",
        # The alarm widget test frames /embed/alarm from a page on another localhost port.
        "portal.embed_frame_ancestors": "'self' http://localhost:*",
        "portal.totp.required_for": "admin",  # the demo officers sign in as in `make serve`
        # Calls (tests/browser/test_calls.py): short waits, so "no answer" and "could not connect" show soon.
        "portal.call.ring_timeout_seconds": "4",
        "portal.call.connect_timeout_seconds": "6",
        # Every browser test sends from 127.0.0.1 to this one server: the per-address limits (tested in
        # tests/functional) would otherwise refuse the later tests' tips and sign-ins of a whole run.
        **{f"portal.{name}": "10000" for name in (
            "tip.rate_per_hour", "tip.nojs_rate_per_hour", "tip.upload_rate_per_hour", "sighting.rate_per_hour",
            "missing.rate_per_hour", "login.rate_per_minute", "login.address_failures_per_hour",
            "phones.sends_per_hour", "phones.checks_per_hour")},
    }


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright for the session (a second one cannot start beside it): both browsers launch from it."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI (.ci/run should have installed it)", pytrace=False)
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    yield playwright
    playwright.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def call_browser(playwright_driver):
    """Chromium for calls (CALL_ARGS): fake media devices, loopback WebRTC, no mDNS host names."""
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CALL_ARGS)
    yield browser
    browser.close()


def sign_in(page, base, username):
    """Signs the page in as a demo officer (the demo password, no second factor: portal.totp.required_for = admin)."""
    from portal.demo.data import DEMO_PASSWORD

    page.goto(base + "/login?lang=en")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    page.wait_for_url(lambda url: "/login" not in url)


class ConsoleWatcher:
    """Collects console errors and uncaught page errors: a page must produce none."""

    def __init__(self, page):
        self.errors = []
        self.page = page
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _console(self, message):
        # An error page's own status (404, 503) is reported as a failed load: that one is expected.
        if message.type == "error" and message.location.get("url") != self.page.url:
            self.errors.append(f"{message.text} ({message.location.get('url')})")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    yield page
    context.close()
