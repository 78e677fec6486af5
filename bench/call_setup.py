"""How fast a call is set up, over real browsers on the loopback (issue 11, "Tests and measures").

    sudo .venv/bin/python bench/call_setup.py [--calls 20] [--kind video]

Starts the portal (waitress, 8 threads as in development.ini, SQLite seeded with the demo data) and
Debian's Chromium with fake camera and microphone, both in a network namespace whose only interface is
the loopback (tests/browser/loopback.py; needs root). For each call, a phone context presses the call
button on /alarm and a dispatcher's context, signed in with the console open, waits for the ring, opens
the alarm and answers. Measured, in the browsers' own clocks:

- ring: from the press on the phone to the ringing row on the console (the alarm is sent, the call page
  loads, gets the camera, rings; the console polls every 1.5 s);
- first frame: from the dispatcher's click on "Answer" to the first decoded frame of the caller's video
  (the offer, the answer and the candidates through the portal's signal endpoints, ICE, DTLS, decoding).

Prints the median and the 95th percentile of each; bench/README.md records a run."""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.browser.loopback import loopback_namespace  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--autoplay-policy=no-user-gesture-required"]
BUTTONS = {"video": "Video alarm", "silent_video": "Silent video alarm (no sound)", "voice": "Voice alarm"}
FIRST_FRAME = """() => new Promise((resolve) => {
  const video = document.querySelector('#call-desk-video');
  const started = performance.now();
  document.querySelector('#call-desk-answer').click();
  const check = () => video.videoWidth > 0 ? resolve(performance.now() - started) : setTimeout(check, 5);
  check();
})"""


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def serve(base):
    """The portal on a fresh SQLite database seeded with the demo (its socket made in the caller's namespace)."""
    import waitress

    import portal
    from portal.core.db import get_engine
    from portal.media.storage import LocalMediaStore
    from portal.privacy.crypto import FieldCipher
    from portal.privacy.receipts import ReceiptHasher
    from portal.scripts.common import db_session
    from portal.scripts.seed_demo import seed
    from tests.conftest import migrate

    settings = {
        "sqlalchemy.url": f"sqlite:///{base}/bench.sqlite",
        "portal.session_secret": "bench-session-secret-0123456789abcdef0123",
        "portal.field_keys": "b1:YnJvd3Nlci10ZXN0LWtleS0zMi1ieXRlcy0wMDAwMDA",
        "portal.field_key_id": "b1", "portal.receipt_pepper": "bench-receipt-pepper-0123456789",
        "portal.media_dir": f"{base}/media", "portal.audit_key": "b1:bench-audit-key-0123456789abcdef0123456789",
        "portal.totp.required_for": "admin", "pyramid.reload_templates": "false",
        # Every call of the run is raised from one address: no flood marks in the way.
        "portal.alarm.flood_per_hour": "100000",
    }
    migrate(get_engine({"sqlalchemy.url": settings["sqlalchemy.url"]}))
    with db_session(settings) as dbsession:
        seed(dbsession, LocalMediaStore(settings["portal.media_dir"]),
             FieldCipher.from_setting(settings["portal.field_keys"], settings["portal.field_key_id"]),
             ReceiptHasher(settings["portal.receipt_pepper"].encode("utf-8")))
    server = waitress.create_server(portal.main({}, **settings), host="127.0.0.1", port=0, threads=8)
    return server, f"http://127.0.0.1:{server.effective_port}"


def run(calls: int, kind: str):
    from playwright.sync_api import expect, sync_playwright

    from portal.demo.data import DEMO_PASSWORD

    rings, frames = [], []
    with tempfile.TemporaryDirectory() as base, loopback_namespace() as namespace:
        with namespace.entered():
            server, url = serve(base)
        playwright = sync_playwright().start()
        threading.Thread(target=server.run, daemon=True).start()
        browser = playwright.chromium.launch(executable_path=namespace.launcher(base, CHROMIUM), args=ARGS)
        desk_context = browser.new_context(locale="en-US", permissions=["microphone", "camera"])
        desk = desk_context.new_page()
        desk.goto(url + "/login?lang=en")
        desk.fill('input[name="username"]', "dispatcher")
        desk.fill('input[name="password"]', DEMO_PASSWORD)
        desk.locator('form button[type="submit"]').first.click()
        desk.wait_for_url(lambda address: "/login" not in address)
        for n in range(calls):
            phone_context = browser.new_context(
                locale="en-US", permissions=["geolocation", "microphone", "camera"],
                geolocation={"latitude": 38.0, "longitude": 114.5, "accuracy": 30})
            phone = phone_context.new_page()
            desk.goto(url + "/staff/alarms")
            phone.goto(url + "/alarm?lang=en")
            expect(phone.locator("#alarm-routed")).to_be_visible()
            ring = desk.locator("#call-ring .call-ring-item.call-ringing").last
            pressed = time.monotonic()
            phone.get_by_role("button", name=BUTTONS[kind], exact=True).click()
            expect(ring).to_be_visible(timeout=30000)
            rings.append(time.monotonic() - pressed)
            ring.get_by_role("link").click()
            expect(desk.locator("#call-desk-answer")).to_be_visible(timeout=10000)
            frames.append(desk.evaluate(FIRST_FRAME) / 1000)
            desk.get_by_role("button", name="End the call").click()
            expect(phone.locator("#call-state")).to_contain_text("The call ended", timeout=15000)
            phone_context.close()
            print(f"call {n + 1:>2}: ring {rings[-1]:.2f} s, first frame {frames[-1]:.2f} s", flush=True)
        browser.close()
        playwright.stop()
        server.close()
    for name, values in (("press to ring on the console", rings), ("answer to first frame", frames)):
        print(f"{name}: median {statistics.median(values):.2f} s, p95 {percentile(values, 0.95):.2f} s, "
              f"min {min(values):.2f} s, max {max(values):.2f} s over {len(values)} calls")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--kind", choices=sorted(BUTTONS), default="video")
    arguments = parser.parse_args()
    run(arguments.calls, arguments.kind)
