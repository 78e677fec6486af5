"""The tip form's proof of work in a real browser: static/js/pow.js keeps the form from being sent
until it has found the nonce, then the server accepts it as solved (the live server uses the default
difficulty, 16 bits)."""
from datetime import UTC, datetime, timedelta

from portal.abuse import pow
from portal.core.localtime import LOCAL_TZ

# Holds every SHA-256 digest back until the test lets them go, so the "preparing" state can be seen.
GATE = """
window.__powGate = new Promise(function (resolve) { window.__powRelease = resolve; });
var original = SubtleCrypto.prototype.digest;
SubtleCrypto.prototype.digest = function () {
  var self = this, args = arguments;
  return window.__powGate.then(function () { return original.apply(self, args); });
};
"""


def test_the_script_solves_the_challenge_before_the_form_can_be_sent(page, live_server):
    page.add_init_script(GATE)
    page.goto(live_server + "/tips/new?category=other&lang=en")
    send = page.get_by_role("button", name="Send the tip")
    box = page.locator("[data-pow]")
    challenge, nonce = box.get_attribute("data-pow"), page.locator('input[name="pow_nonce"]')
    # Not solved yet: the button is off, a visible note says why, and no way of sending gets through.
    assert send.is_disabled()
    assert page.get_by_role("status").filter(has_text="Preparing the form").is_visible()
    assert nonce.input_value() == ""
    page.evaluate("document.querySelector('[data-pow]').closest('form').requestSubmit()")  # Enter key
    page.wait_for_timeout(300)
    assert "/tips/new" in page.url and page.locator("[data-pow]").count() == 1

    page.evaluate("window.__powRelease()")
    page.wait_for_selector("[data-pow][data-pow-state=solved]", timeout=30_000)
    assert send.is_enabled()
    assert page.get_by_role("status").filter(has_text="The form is ready to send").is_visible()
    found = nonce.input_value()
    assert found.isdigit() and pow.is_solution(challenge, found, 16)

    page.fill('textarea[name="description"]', "A van unloads crates of fireworks in the courtyard every night.")
    page.fill('input[name="happened_at"]', (datetime.now(UTC) - timedelta(hours=2)).astimezone(LOCAL_TZ)
              .strftime("%Y-%m-%dT%H:%M"))
    page.fill('input[name="place"]', "Courtyard behind the bus station")
    page.locator('select[name="unit"]').select_option(index=1)
    with page.expect_request(lambda r: r.method == "POST" and "/tips/new" in r.url) as sent:
        send.click()
    body = sent.value.post_data_buffer or b""
    assert f'name="pow_nonce"\r\n\r\n{found}\r\n'.encode() in body  # the solved nonce went with it
    page.wait_for_selector(".receipt-code")
    assert page.console.errors == []

