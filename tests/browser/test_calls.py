"""Video, silent video and voice alarms in Chromium, with fake camera and microphone: the person in
danger presses a call button on /alarm, the call rings on the console of the command center, a dispatcher
answers on the alarm's page and sees and hears the caller (frames arrive: the <video> has a size and its
time advances), text goes both ways; a silent call plays nothing on the phone; a call that cannot connect
says so and the text alarm goes on.

Every packet stays on 127.0.0.1: the server and Chromium run in a network namespace whose only interface
is the loopback (tests/browser/loopback.py), no STUN/TURN server is configured, Chromium gathers loopback
candidates (--allow-loopback-in-peer-connection, real addresses instead of mDNS names), and the test
checks that every candidate sent and the pair carrying the media are 127.0.0.1."""
import os
import re
import threading
import time

import pytest
from playwright.sync_api import expect

import portal
from tests.browser.conftest import CALL_ARGS, CHROMIUM, ConsoleWatcher, sign_in
from tests.browser.loopback import loopback_namespace

HEKOU = (38.0, 114.5)
TOKEN_URL = re.compile(r".*/alarm/[A-Za-z0-9_-]{43}$")

# Keeps every peer connection of the page in window.__pcs and hands the page only the candidates on
# 127.0.0.1 (and the end of candidates), so no media is sent to any other address of the machine.
LOOPBACK_ONLY = """
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  window.__pcs = [];
  window.RTCPeerConnection = function (config) {
    const pc = new Native(config);
    window.__pcs.push(pc);
    let handler = null;
    Object.defineProperty(pc, "onicecandidate", { set(h) { handler = h; }, get() { return handler; } });
    pc.addEventListener("icecandidate", (event) => {
      if (window.__dropCandidates && event.candidate) return;  /* a test of a call that cannot connect */
      if (handler && (!event.candidate || event.candidate.address === "127.0.0.1")) handler(event);
    });
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
})();
"""


@pytest.fixture(scope="module")
def call_world(playwright_driver, live_server, app_settings_sqlite, tmp_path_factory):
    """(browser, base URL): the portal on the suite's seeded SQLite database and Chromium with fake camera
    and microphone, both inside a network namespace whose only interface is the loopback."""
    import waitress

    try:
        namespace_context = loopback_namespace()
        namespace = namespace_context.__enter__()
    except PermissionError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"no network namespace for the call tests in CI: {exc}", pytrace=False)
        pytest.skip(f"no network namespace for the call tests ({str(exc).strip()}); run as root (CI does)")
    try:
        with namespace.entered():  # the listening socket is made inside the namespace
            server = waitress.create_server(portal.main({}, **app_settings_sqlite), host="127.0.0.1", port=0,
                                            threads=6)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        launcher = namespace.launcher(str(tmp_path_factory.mktemp("netns")), CHROMIUM)
        browser = playwright_driver.chromium.launch(executable_path=launcher,
                                                    args=CALL_ARGS + ["--autoplay-policy=no-user-gesture-required"])
        yield browser, f"http://127.0.0.1:{server.effective_port}"
        browser.close()
        server.close()
    finally:
        namespace_context.__exit__(None, None, None)


@pytest.fixture
def desk(call_world):
    call_browser, live_server = call_world
    context = call_browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US",
                                       permissions=["microphone", "camera"])
    context.add_init_script(LOOPBACK_ONLY)
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    page.base = live_server
    sign_in(page, live_server, "dispatcher")
    yield page
    context.close()


@pytest.fixture
def phone(call_world):
    call_browser, live_server = call_world
    context = call_browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US",
                                       permissions=["geolocation", "microphone", "camera"],
                                       geolocation={"latitude": HEKOU[0], "longitude": HEKOU[1], "accuracy": 35})
    context.add_init_script(LOOPBACK_ONLY)
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    page.base = live_server
    yield page
    context.close()


def press(phone, button):
    phone.goto(f"{phone.base}/alarm?lang=en")
    expect(phone.locator("#alarm-routed")).to_be_visible()
    expect(phone.locator("#call-choice")).to_be_visible()
    phone.get_by_role("button", name=button, exact=True).click()
    phone.wait_for_url(TOKEN_URL)
    return time.monotonic()


def answer_from_console(desk):
    """The console rings; the dispatcher opens the alarm and answers."""
    desk.goto(desk.base + "/staff/alarms")
    ring = desk.locator("#call-ring .call-ring-item.call-ringing").last  # the newest (the list is oldest first)
    expect(ring).to_be_visible(timeout=6000)
    ring.get_by_role("link").click()
    expect(desk.locator("#call-desk")).to_have_class(re.compile("ringing"), timeout=6000)
    desk.get_by_role("button", name="Answer", exact=True).click()


def wait_until(page, expression, timeout=15.0):
    """Polls `expression` with evaluate (wait_for_function would eval() inside the page, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        assert time.monotonic() < deadline, f"not true within {timeout} s: {expression}"
        time.sleep(0.1)


def video_plays(page, selector):
    """The <video> has a size and its time advances."""
    wait_until(page, f"document.querySelector('{selector}').videoWidth > 0")
    first = page.evaluate(f"document.querySelector('{selector}').currentTime")
    wait_until(page, f"document.querySelector('{selector}').currentTime > {first} + 0.5", 10)
    return page.evaluate(f"[document.querySelector('{selector}').videoWidth, document.querySelector('{selector}').videoHeight]")


def loopback_only(page):
    """The candidates sent to the other side are 127.0.0.1 only, and the pair carrying the media (the
    transport's selected pair) is 127.0.0.1 on both ends. (Chromium still sends connectivity checks from
    its other host candidates to 127.0.0.1: they are delivered on this machine's loopback.)"""
    stats = page.evaluate("""async () => {
      const out = { remote: [], selected: [] };
      for (const pc of window.__pcs) {
        const stats = await pc.getStats();
        const byId = {};
        stats.forEach((s) => { byId[s.id] = s; });
        stats.forEach((s) => {
          if (s.type === "remote-candidate" && s.candidateType === "host") out.remote.push(s.address);
        });
        stats.forEach((s) => {
          if (s.type === "transport" && s.selectedCandidatePairId) {
            const pair = byId[s.selectedCandidatePairId];
            out.selected.push([byId[pair.localCandidateId].address, byId[pair.remoteCandidateId].address]);
          }
        });
      }
      return out;
    }""")
    assert stats["remote"] and set(stats["remote"]) == {"127.0.0.1"}, stats
    assert stats["selected"] and {tuple(pair) for pair in stats["selected"]} == {("127.0.0.1", "127.0.0.1")}, stats


def test_a_video_alarm_rings_is_answered_and_the_dispatcher_sees_and_hears_the_caller(desk, phone):
    press(phone, "Video alarm")
    expect(phone.locator("#call-state")).to_contain_text("Waiting for a dispatcher", timeout=8000)
    expect(phone.locator("#call-self")).to_be_visible()
    answer_from_console(desk)
    width, height = video_plays(desk, "#call-desk-video")
    assert (width, height) == (640, 480)  # the caller's constraints: VGA for poor networks
    expect(phone.locator("#call-state")).to_contain_text("Connected", timeout=10000)
    expect(desk.locator("#call-desk-state")).to_contain_text("Connected")
    # The caller's voice reaches the dispatcher, and the dispatcher's reaches the caller.
    assert desk.evaluate("document.querySelector('#call-desk-video').srcObject.getAudioTracks().length") == 1
    wait_until(phone, "document.querySelector('#call-remote').srcObject && "
                      "document.querySelector('#call-remote').srcObject.getAudioTracks().length === 1")
    loopback_only(desk)
    loopback_only(phone)

    # Text both ways while the call runs.
    desk.fill("#message-text", "I can see you. Stay where you are.")
    desk.get_by_role("button", name="Send message").click()
    expect(phone.locator("#alarm-thread")).to_contain_text("I can see you. Stay where you are.", timeout=5000)
    phone.fill("#alarm-message textarea", "He went to the left")
    phone.locator('#alarm-message button[type="submit"]').click()
    expect(desk.locator("[data-thread]")).to_contain_text("He went to the left", timeout=5000)

    # A still of the video goes to the alarm's photos; hold, resume and end reach the caller.
    desk.get_by_role("button", name="Keep a picture").click()
    expect(desk.locator("#call-desk-state")).to_contain_text("Picture kept", timeout=5000)
    desk.get_by_role("button", name="Hold", exact=True).click()
    expect(phone.locator("#call-state")).to_contain_text("on hold", timeout=10000)
    desk.get_by_role("button", name="Resume", exact=True).click()
    expect(phone.locator("#call-state")).to_contain_text("Connected", timeout=10000)
    desk.get_by_role("button", name="End the call").click()
    expect(phone.locator("#call-state")).to_contain_text("The call ended", timeout=10000)
    expect(phone.locator("#alarm-message")).to_be_visible()  # the text alarm goes on
    assert desk.console.errors == [] and phone.console.errors == []


def test_a_silent_video_alarm_makes_no_sound_on_the_phone(desk, phone):
    press(phone, "Silent video alarm (no sound)")
    answer_from_console(desk)
    video_plays(desk, "#call-desk-video")
    expect(phone.locator("#call-state")).to_contain_text("makes no sound", timeout=10000)
    # Nothing to play sound with on the phone, and nothing sent to it: its audio only goes out.
    assert phone.locator("audio, video:not([muted])").count() == 0
    directions = phone.evaluate("window.__pcs[0].getTransceivers().map((t) => [t.receiver.track.kind, t.currentDirection])")
    assert ["audio", "sendonly"] in directions and not [d for d in directions if d[1] in ("recvonly", "sendrecv")]
    assert desk.evaluate("window.__pcs[0].getSenders().filter((s) => s.track).length") == 0  # the dispatcher sends nothing
    phone.get_by_role("button", name="Dim the screen").click()
    expect(phone.locator("#call-dimmer")).to_be_visible()
    phone.locator("#call-dimmer").click()
    expect(phone.locator("#call-dimmer")).to_be_hidden()
    assert desk.console.errors == [] and phone.console.errors == []


def test_a_voice_alarm_carries_sound_both_ways_and_no_video(desk, phone):
    press(phone, "Voice alarm")
    answer_from_console(desk)
    wait_until(desk, "document.querySelector('#call-desk-audio').srcObject && "
                     "document.querySelector('#call-desk-audio').srcObject.getAudioTracks().length === 1")
    expect(phone.locator("#call-state")).to_contain_text("the dispatcher can hear you", timeout=10000)
    kinds = phone.evaluate("window.__pcs[0].getSenders().filter((s) => s.track).map((s) => s.track.kind)")
    assert kinds == ["audio"]
    assert phone.locator("#call-self").count() == 0
    phone.get_by_role("button", name="End the call").click()
    expect(desk.locator("#call-desk-state")).to_contain_text("The call ended", timeout=10000)
    assert desk.console.errors == [] and phone.console.errors == []


def test_no_answer_and_no_connection_are_said_plainly_and_the_text_alarm_goes_on(desk, phone):
    # No candidate ever leaves either side: the media cannot connect.
    phone.context.add_init_script("window.__dropCandidates = true;")
    desk.context.add_init_script("window.__dropCandidates = true;")
    press(phone, "Video alarm")
    # Nobody answers within the ring timeout (4 s in these tests): said, with 110, and it keeps ringing.
    expect(phone.locator("#call-state")).to_contain_text("No dispatcher has answered yet", timeout=10000)
    expect(phone.locator("#call-state")).to_contain_text("call 110")
    expect(phone.locator("a[href^='tel:']").first).to_be_visible()
    answer_from_console(desk)
    expect(phone.locator("#call-state")).to_contain_text("could not connect", timeout=20000)
    expect(desk.locator("#call-desk-state")).to_contain_text("could not connect", timeout=20000)
    expect(desk.locator("[data-thread]")).to_contain_text("could not connect", timeout=10000)
    phone.fill("#alarm-message textarea", "Still here")
    phone.locator('#alarm-message button[type="submit"]').click()
    expect(desk.locator("[data-thread]")).to_contain_text("Still here", timeout=5000)


def test_a_refused_camera_is_said_plainly_and_the_dispatcher_is_told(desk, phone):
    # The person says no to the camera and microphone (the fake devices would grant them).
    phone.context.add_init_script("""navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException("Permission denied", "NotAllowedError"));""")
    press(phone, "Video alarm")
    expect(phone.locator("#call-state")).to_contain_text("not allowed, so there is no call", timeout=8000)
    expect(phone.locator("#alarm-message")).to_be_visible()  # the text alarm goes on
    desk.goto(desk.base + "/staff/alarms")
    # The alarm's full page, where the call desk is (a click on the row shows it beside the list, without the desk).
    desk.goto(desk.base + desk.locator("[data-open-rows] tr.alarm-row a").first.get_attribute("href"))
    expect(desk.locator("[data-thread]")).to_contain_text("camera or microphone was not allowed", timeout=6000)
    expect(desk.locator("#call-desk-state")).to_contain_text("No call yet")


def test_another_centers_dispatcher_neither_hears_the_ring_nor_opens_the_call(call_world, phone):
    browser, base = call_world
    press(phone, "Video alarm")  # Hekou: Dongchuan's center; Nanhu's dispatcher is not above it
    expect(phone.locator("#call-state")).to_contain_text("Waiting for a dispatcher", timeout=8000)
    token = phone.url.rsplit("/", 1)[1]
    context = browser.new_context(locale="en-US")
    other = context.new_page()
    sign_in(other, base, "nanhu.dispatcher")
    other.goto(base + "/staff/alarms")
    time.sleep(2)  # two polls of the ring list
    assert other.locator("#call-ring .call-ring-item").count() == 0
    calls = other.evaluate("fetch('/staff/calls', {headers: {Accept: 'application/json'}}).then((r) => r.json())")
    assert calls["calls"] == []
    call_id = phone.evaluate(f"fetch('/alarm/{token}/call', {{method: 'POST', headers: {{Accept: 'application/json'}}}})"
                             ".then((r) => r.json()).then((a) => a.call.id)")
    statuses = other.evaluate(f"""Promise.all(['poll', 'answer'].map((action) => fetch('/staff/calls/{call_id}/' + action,
        {{method: action === 'poll' ? 'GET' : 'POST', headers: {{Accept: 'application/json'}}}}).then((r) => r.status)))""")
    assert statuses == [403, 403]
    context.close()
