"""The caller's recording in Chromium with its fake camera and microphone: the video alarm's page
records what the call's stream carries (static/js/call-recorder.js) and uploads it in chunks, also
across 4 s without network; on the server the chunks make a valid WebM whose length (ffprobe) matches the time recorded, with no chunk
lost, and every chunk hash and the final hash verify.

The dispatcher then plays it on the alarm's staff page after stating a reason: the player gets the
bytes (ranges, the right type) and decodes them.

The call's own script (call.js) takes the camera and microphone and hands the stream to the recorder
(`portal-call-media`); "End the call" stops it (`portal-call-ended`). Needs ffprobe (apt-get install ffmpeg): without
it the test skips, unless PORTAL_REQUIRE_FFMPEG=1 (CI), which makes that a failure."""
import hashlib
import json
import os
import shutil
import statistics
import subprocess

import pytest
from sqlalchemy import select

from portal.calls.models import CallRecording, RecordingChunk
from portal.media.storage import LocalMediaStore
from portal.scripts.common import db_session
from portal.units.models import Unit
from tests.browser.conftest import ConsoleWatcher, sign_in
from tests.factories import make_alarm

RECORD_MS = 8000


@pytest.fixture(scope="module")
def ffprobe():
    found = shutil.which("ffprobe")
    if found is None:
        if os.environ.get("PORTAL_REQUIRE_FFMPEG") == "1":
            pytest.fail("ffprobe is missing and PORTAL_REQUIRE_FFMPEG=1 (apt-get install ffmpeg)", pytrace=False)
        pytest.skip("ffprobe not found: apt-get install ffmpeg to check the recording's length")
    return found


@pytest.fixture(scope="module")
def media_browser(call_browser):
    """Chromium with a fake camera (a moving test pattern) and microphone (a beep), allowed at once."""
    return call_browser


def packets_span(ffprobe, path, stream="v:0") -> tuple[str, float]:
    """The container ffprobe reads, and the time from the first packet of one stream to the end of its
    last (a MediaRecorder WebM has no duration in its header: it is written as it goes). One stream: the
    audio and video tracks of one recording may start at different times of the capture's clock (a fake
    device opened earlier in the same browser), which the span over both would add."""
    probe = subprocess.run([ffprobe, "-v", "error", "-select_streams", stream,
                            "-show_entries", "format=format_name:packet=pts_time,duration_time",
                            "-of", "json", path], capture_output=True, text=True, check=True, timeout=60)
    found = json.loads(probe.stdout)
    times = [(float(p["pts_time"]), float(p.get("duration_time") or 0)) for p in found["packets"]
             if p.get("pts_time") not in (None, "N/A")]
    return found["format"]["format_name"], max(t + d for t, d in times) - min(t for t, _d in times)


@pytest.mark.parametrize("kind", ["video", "voice"])
def test_an_alarm_page_records_and_uploads_a_whole_webm(media_browser, live_server, app_settings_sqlite,
                                                        ffprobe, tmp_path, kind):
    with db_session(app_settings_sqlite) as dbsession:
        unit = dbsession.execute(select(Unit).where(Unit.code == "139900")).scalar_one()  # the demo dispatcher's
        alarm, token = make_alarm(dbsession, unit, kind=kind)
        alarm_id = alarm.id
    context = media_browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    page.goto(f"{live_server}/alarm/{token}?lang=en")
    assert page.locator("#call-recorder").get_attribute("data-recording-url") == f"/alarm/{token}/call/recording"

    # call.js takes the camera and microphone and hands the stream to the recorder.
    page.wait_for_selector("#call-recorder[data-state]", state="attached", timeout=15000)  # recording (or uploading)
    page.evaluate("() => { window.testStarted = performance.now(); }")
    # The network goes for 4 s in the middle (a lift, a tunnel): the chunks made meanwhile wait and go later.
    page.wait_for_timeout(2000)
    context.set_offline(True)
    page.wait_for_timeout(4000)
    assert page.locator("#call-recorder").get_attribute("data-state") == "uploading"
    context.set_offline(False)
    page.wait_for_timeout(RECORD_MS - 6000)
    recorded_ms = page.evaluate("() => performance.now() - window.testStarted")
    page.get_by_role("button", name="End the call").click()  # call.js stops the camera: the recorder ends
    page.wait_for_selector("#call-recorder[data-state='saved']", state="attached", timeout=30000)
    uploads = page.evaluate("""() => performance.getEntriesByType("resource")
        .filter((e) => e.name.includes("/call/recording/") && e.name.includes("/chunks/"))
        .map((e) => e.duration)""")
    # Failed uploads while offline are the only console errors a page may show here.
    assert [e for e in page.console.errors if "ERR_INTERNET_DISCONNECTED" not in e and "Failed to fetch" not in e] == []
    play(media_browser, live_server, alarm_id, kind)
    context.close()

    store = LocalMediaStore(app_settings_sqlite["portal.media_dir"])
    with db_session(app_settings_sqlite) as dbsession:
        (rec,) = dbsession.execute(select(CallRecording).where(CallRecording.alarm_id == alarm_id)).scalars().all()
        chunks = dbsession.execute(select(RecordingChunk).where(RecordingChunk.recording_id == rec.id)
                                   .order_by(RecordingChunk.seq)).scalars().all()
        assert (rec.state, rec.end_reason) == ("final", "page")
        assert rec.mime.startswith("video/webm" if kind == "video" else "audio/webm")
        # No chunk lost: the page's count, the stored seqs 0..n-1 and the row's count agree.
        assert [c.seq for c in chunks] == list(range(rec.expected_chunks)) and rec.chunk_count == len(chunks) >= 3
        whole = tmp_path / "recording.webm"
        with open(whole, "wb") as out:
            for chunk in chunks:
                with store.open(chunk.storage_key) as stored:
                    data = stored.read()
                assert hashlib.sha256(data).hexdigest() == chunk.sha256 and len(data) == chunk.size
                out.write(data)
        assert hashlib.sha256(whole.read_bytes()).hexdigest() == rec.sha256
        assert whole.stat().st_size == rec.total_bytes
        declared_ms = rec.duration_ms

    container, seconds = packets_span(ffprobe, str(whole), "v:0" if kind == "video" else "a:0")
    assert "webm" in container or "matroska" in container
    assert abs(seconds - recorded_ms / 1000) <= 2, (seconds, recorded_ms)
    assert abs(declared_ms - recorded_ms) <= 2000
    print(f"\n{kind} recording: {len(chunks)} chunks, {rec.total_bytes} bytes in {recorded_ms / 1000:.1f} s "
          f"({rec.total_bytes * 8 / recorded_ms:.0f} kbit/s), ffprobe {seconds:.2f} s; chunk uploads "
          f"{len(uploads)}, median {statistics.median(uploads):.0f} ms, max {max(uploads):.0f} ms; chunks lost 0")


def play(browser, live_server, alarm_id, kind):
    """The demo dispatcher states a reason on the alarm's page and the player decodes the recording."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    desk = context.new_page()
    desk.console = ConsoleWatcher(desk)
    sign_in(desk, live_server, "dispatcher")
    desk.goto(f"{live_server}/staff/alarms/{alarm_id}?lang=en")
    form = desk.locator("#recordings form.recording-view").first
    form.locator("textarea").fill("Browser test: the player decodes it")
    form.locator("button").click()
    player = desk.locator("video.recording-player" if kind == "video" else "audio.recording-player")
    player.wait_for()
    desk.wait_for_function("document.querySelector('.recording-player').readyState >= 2", timeout=15000)
    if kind == "video":
        assert desk.evaluate("document.querySelector('.recording-player').videoWidth") == 640
    assert desk.locator("[data-verification='ok']").count() == 1
    assert desk.console.errors == []
    context.close()
