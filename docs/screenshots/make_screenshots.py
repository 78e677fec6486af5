"""The README's screenshots, made again from the demo: `make screenshots` (about a minute).

Starts the demo portal as `make serve` does (bench/demo_server.py: a throw-away database, migrated and
seeded), drives Debian's Chromium (/usr/bin/chromium, as tests/browser/conftest.py; Playwright downloads
no browser) in Chinese, the default language, and writes the PNGs beside this file:

    home.png, notice.png, alarm.png   a phone, 390x844
    console.png                       the dispatcher console at a desk, 1366x768, signed in as the demo
                                      province dispatcher, after three alarms were sent from phones

Chinese needs a CJK font, which a bare Debian lacks (`fc-list :lang=zh` prints nothing): install
Debian's `fonts-noto-cjk` first (`apt-get install fonts-noto-cjk`); without it the script refuses rather
than save boxes. Each PNG is saved at the highest zlib level, and as a 256-colour palette when that alone
leaves it over MAX_BYTES."""
import io
import os
import re
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, ROOT)

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 768}
TIMEZONE = "Asia/Shanghai"  # the demo province's clock, which the pages' own times use too
MAX_BYTES = 300_000
NOTICE = "{notice}"  # stands for the first notice NOTICE_LIST links to: a missing person, with a picture
NOTICE_LIST = "/notices?kind=missing_person"
# (file, path, viewport); the console's path needs a signed-in dispatcher.
SHOTS = [("home.png", "/", PHONE), ("notice.png", NOTICE, PHONE), ("alarm.png", "/alarm", PHONE),
         ("console.png", "/staff/alarms", DESK)]
DISPATCHER = "dispatcher"
# Alarms sent from phones in the demo province before the console's picture: (lat, lon, text).
ALARMS = [(38.02, 114.52, "有人一直跟着我，我在公交站"), (38.61, 115.43, "家里有人吵架动手了，请快来"),
          (37.85, 116.70, "")]


def first_notice_path(listing_html: str) -> str:
    """The path of the first notice a list of notices links to."""
    found = re.search(r'href="(/notices/\d+)"', listing_html)
    if not found:
        raise RuntimeError(f"{NOTICE_LIST} links to no notice (is the demo seeded?)")
    return found.group(1)


def require_cjk_font() -> None:
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip()  # noqa: S603,S607
    if not fonts:
        sys.exit("No Chinese font (fc-list :lang=zh is empty): apt-get install fonts-noto-cjk, then run again.")


def save_small(png: bytes, path: str) -> int:
    """Writes the PNG at zlib level 9, as a palette image if still too large; returns its size."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    for candidate in (image, image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)):
        buffer = io.BytesIO()
        candidate.save(buffer, "PNG", optimize=True, compress_level=9)
        if buffer.tell() <= MAX_BYTES:
            break
    with open(path, "wb") as target:
        target.write(buffer.getvalue())
    return buffer.tell()


def send_alarms(browser, base: str) -> None:
    """What the console shows: alarms sent from /alarm on phones with a position (the real page)."""
    for lat, lon, text in ALARMS:
        context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id=TIMEZONE, permissions=["geolocation"],
                                      geolocation={"latitude": lat, "longitude": lon, "accuracy": 30})
        page = context.new_page()
        page.goto(base + "/alarm")
        page.locator("#alarm-routed").wait_for(state="visible")
        page.fill("#alarm-text", text)
        page.click("button.send")
        page.wait_for_url(re.compile(r".*/alarm/[A-Za-z0-9_-]{43}$"))
        context.close()


def sign_in(page, base: str, username: str) -> None:
    from portal.demo.data import DEMO_PASSWORD

    page.goto(base + "/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    page.wait_for_url(lambda url: "/login" not in url)


def shoot(browser, base: str, name: str, path: str, viewport: dict) -> None:
    permissions = ["geolocation"] if path == "/alarm" else []
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id=TIMEZONE, permissions=permissions,
                                  geolocation={"latitude": 38.02, "longitude": 114.52, "accuracy": 30})
    page = context.new_page()
    if viewport is DESK:
        sign_in(page, base, DISPATCHER)
    page.goto(base + path, wait_until="networkidle")
    if path == "/alarm":
        page.locator("#alarm-routed").wait_for(state="visible")  # the center it goes to, named
    if viewport is DESK:
        page.locator(".alarms-map .leaflet-tile-loaded").first.wait_for(state="visible")
        page.wait_for_load_state("networkidle")
    size = save_small(page.screenshot(animations="disabled"), os.path.join(HERE, name))
    print(f"{name}: {viewport['width']}x{viewport['height']}, {path}, {size / 1000:.0f} KB")
    context.close()


def main() -> int:
    import urllib.request

    from demo_server import demo_server
    from playwright.sync_api import sync_playwright

    require_cjk_font()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the demo server and remove its files
    with demo_server() as base, sync_playwright() as playwright:
        with urllib.request.urlopen(base + NOTICE_LIST, timeout=10) as response:  # noqa: S310 - our own server
            notice = first_notice_path(response.read().decode("utf-8"))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        send_alarms(browser, base)
        for name, path, viewport in SHOTS:
            shoot(browser, base, name, notice if path == NOTICE else path, viewport)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
