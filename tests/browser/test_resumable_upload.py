"""Resumable uploads in Chromium (static/js/resumable.js + the vendored tus-js-client): a 60 MB video
cut off mid-way resumes and completes without its first part being sent again (counted on the
server), the reporter sees the progress with the time left, and a wrong file is refused after its
first chunk."""
import re
import threading
import time

import pytest
import waitress
from playwright.sync_api import expect
from sqlalchemy import select

import portal
from portal.alarms.models import Alarm
from portal.privacy.links import token_hash
from portal.scripts.common import db_session
from tests import media_samples as m
from tests.browser.conftest import ConsoleWatcher
from tests.browser.test_tip_form import SLUG, category, fill, newest_tip, ready  # noqa: F401  (fixture)
from tests.factories import jpeg_bytes

MB = 1024 * 1024
CHUNK = 4 * MB  # portal.upload.resumable_chunk_mb's default


class PatchLog:
    """The app behind a counter of the chunks that reached it: (upload path, Upload-Offset, bytes)."""

    def __init__(self, app):
        self.app = app
        self.chunks = []
        self.delay = 0.0  # seconds each chunk is held, so that the test can cut the connection mid-way

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "PATCH":
            self.chunks.append((environ["PATH_INFO"], int(environ.get("HTTP_UPLOAD_OFFSET", "-1")),
                                int(environ.get("CONTENT_LENGTH") or 0)))
            time.sleep(self.delay)
        return self.app(environ, start_response)

    def received(self, path=None) -> int:
        return sum(length for p, _offset, length in self.chunks if path in (None, p))


@pytest.fixture(scope="module")
def counted(live_server, app_settings_sqlite):
    log = PatchLog(portal.main({}, **app_settings_sqlite))
    server = waitress.create_server(log, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", log
    finally:
        server.close()


@pytest.fixture
def tip_page(browser, counted, category):  # noqa: F811
    url, _log = counted
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    page.goto(f"{url}/tips/new?category={SLUG}&lang=en")
    yield page
    context.close()


STATUS_RECORDER = """() => {
  window.__status = [];
  new MutationObserver(() => document.querySelectorAll('.resumable-status').forEach(
    (node) => window.__status.push(node.textContent))).observe(
    document.documentElement, {subtree: true, childList: true, characterData: true});
}"""


def test_a_cut_upload_resumes_without_resending_and_the_tip_takes_it(tip_page, counted, tmp_path,
                                                                      app_settings_sqlite):
    _url, log = counted
    page = tip_page
    video = tmp_path / "van.mp4"
    video.write_bytes(m.mp4(b"\x00\x00\x00\x10fake-h264-frames" * (60 * MB // 26)))
    size = video.stat().st_size
    fill(page, unit_index=1)
    page.evaluate(STATUS_RECORDER)
    log.chunks.clear()
    log.delay = 0.3
    page.set_input_files('input[type="file"][multiple]', str(video))
    expect(page.locator(".resumable-file progress")).to_be_visible()
    deadline = time.monotonic() + 60
    while log.received() < size * 0.4 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    page.context.set_offline(True)
    expect(page.locator(".resumable-status")).to_contain_text("connection was lost", timeout=30_000)
    before = len(log.chunks)
    at_cut = log.received()
    assert 0 < at_cut < size
    page.wait_for_timeout(1000)
    page.context.set_offline(False)
    log.delay = 0.0
    expect(page.locator(".resumable-status")).to_have_text("Uploaded", timeout=120_000)
    (path,) = {p for p, _o, _l in log.chunks}
    offsets = [offset for _p, offset, _l in log.chunks]
    assert offsets == sorted(set(offsets)) and offsets[0] == 0  # each part once, in order
    assert log.received() == size  # nothing sent twice
    assert log.chunks[before][1] >= at_cut > 0  # the first chunk after the cut starts where it stopped
    seen = page.evaluate("window.__status")
    assert any("% sent, about" in text and "left" in text for text in seen), seen
    hidden = page.locator('input[type="hidden"][name="attachments:upload"]')
    expect(hidden).to_have_count(1)
    assert path.endswith(hidden.get_attribute("value"))
    ready(page)
    page.get_by_role("button", name="Send the tip").click()
    page.wait_for_selector(".receipt-code", timeout=60_000)
    assert newest_tip(app_settings_sqlite)["files"][0][:2] == ("video", size)
    # The chunk the cut interrupted is the only failed request.
    assert [e for e in page.console.errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_a_wrong_file_is_refused_after_its_first_chunk(tip_page, counted, tmp_path):
    _url, log = counted
    page = tip_page
    fake = tmp_path / "holiday.mp4"
    fake.write_bytes(b"MZ\x90\x00" + bytes(20 * MB))
    log.chunks.clear()
    log.delay = 0.0
    page.set_input_files('input[type="file"][multiple]', str(fake))
    status = page.locator(".resumable-refused .resumable-status")
    expect(status).to_contain_text("holiday.mp4", timeout=30_000)
    assert status.get_attribute("role") == "alert"
    assert len(log.chunks) == 1 and log.received() <= CHUNK  # refused by the first chunk
    fill(page, unit_index=1)
    ready(page)
    page.get_by_role("button", name="Send the tip").click()
    expect(page.locator(".resumable-note")).to_contain_text("was not accepted")
    assert page.locator(".receipt-code").count() == 0


def test_an_upload_resumes_after_the_page_is_reloaded(tip_page, counted, tmp_path):
    _url, log = counted
    page = tip_page
    video = tmp_path / "reloaded.mp4"
    video.write_bytes(m.mp4(b"\x00\x00\x00\x10fake-h264-frames" * (24 * MB // 26)))
    size = video.stat().st_size
    log.chunks.clear()
    log.delay = 0.3
    page.set_input_files('input[type="file"][multiple]', str(video))
    deadline = time.monotonic() + 60
    while log.received() < 2 * CHUNK and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    page.reload()  # the reporter reloads the page mid-way; the chunk on its way is lost or kept
    log.delay = 0.0
    time.sleep(0.5)  # a chunk the server had whole when the page went is stored meanwhile
    chosen_again = len(log.chunks)
    page.set_input_files('input[type="file"][multiple]', str(video))  # the same file, chosen again
    expect(page.locator(".resumable-status")).to_have_text("Uploaded", timeout=120_000)
    assert len({p for p, _o, _l in log.chunks}) == 1  # the same upload, not a new one
    offsets = [offset for _p, offset, _l in log.chunks]
    assert offsets == sorted(set(offsets)) and log.received() == size  # nothing sent twice
    resumed = offsets[chosen_again:]
    assert resumed and min(resumed) >= 2 * CHUNK  # it went on from where it was, not from the start
    assert page.console.errors == []


def test_an_alarm_photo_goes_in_chunks_and_arrives_once(browser, counted, tmp_path, app_settings_sqlite):
    url, log = counted
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US",
                                  geolocation={"latitude": 38.0, "longitude": 114.5, "accuracy": 35},
                                  permissions=["geolocation"])
    try:
        page = context.new_page()
        page.console = ConsoleWatcher(page)
        page.goto(f"{url}/alarm?lang=en")
        page.fill("#alarm-text", "Someone is following me")
        page.click("button.send")
        page.wait_for_url(re.compile(r".*/alarm/[A-Za-z0-9_-]{43}$"))
        photo = tmp_path / "plate.jpg"
        photo.write_bytes(jpeg_bytes(size=(640, 480)))
        log.chunks.clear()
        log.delay = 0.0
        page.set_input_files("#alarm-photo-file", str(photo))
        expect(page.locator("#alarm-photo .resumable-status")).to_have_text("Uploaded", timeout=30_000)
        page.click("#alarm-photo button")
        expect(page.locator("#alarm-photo-file")).to_have_value("", timeout=10_000)  # sent (alarm-live.js)
        assert log.received() == photo.stat().st_size  # the photo went once, by tus only
        token = page.url.rsplit("/", 1)[1]
        with db_session(app_settings_sqlite) as dbsession:
            alarm = dbsession.execute(select(Alarm).where(Alarm.token_hash == token_hash(token))).scalar_one()
            photos = [m.media for m in alarm.messages if m.media_id is not None]
            assert [(p.kind, p.size) for p in photos] == [("image", photo.stat().st_size)]
        assert page.console.errors == []
    finally:
        context.close()
