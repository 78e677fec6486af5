"""Browser tests: the real app on a free port, with the demo data, driven by Debian's Chromium.

No browser is downloaded: Playwright launches /usr/bin/chromium. Without it these tests skip
(CI installs it, see .ci/run)."""
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

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, app_settings_sqlite):
    """The portal served by waitress in a thread, on SQLite seeded with the demo data."""
    import waitress

    settings = dict(app_settings_sqlite)
    migrate(get_engine({"sqlalchemy.url": settings["sqlalchemy.url"]}))
    with db_session(settings) as dbsession:
        seed(dbsession, LocalMediaStore(settings["portal.media_dir"]),
             FieldCipher.from_setting(settings["portal.field_keys"], settings["portal.field_key_id"]),
             ReceiptHasher(settings["portal.receipt_pepper"].encode("utf-8")))
    server = waitress.create_server(portal.main({}, **settings), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


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
    }


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI (.ci/run should have installed it)", pytrace=False)
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


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
