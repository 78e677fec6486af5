"""A dispatcher's invitation in Chromium: the signed-in demo dispatcher invites a caller from the
console, the SMS's link (read from the outbox row in the live server's database, as the gateway
would send it) opens on a phone with a position, the person consents, lands on the alarm page,
which shares the position, and the alarm appears on the console by itself, tied to the dispatcher."""
import re
import time

from playwright.sync_api import expect
from sqlalchemy import select

from portal.alarms.models import Alarm
from portal.calls.invitations.models import CallInvitation
from portal.outbox.models import OutboxMessage
from portal.privacy.crypto import FieldCipher
from portal.scripts.common import db_session
from tests.browser.conftest import ConsoleWatcher
from tests.browser.test_dispatcher_console import HEKOU, TOKEN_URL, desk, phone  # noqa: F401 - fixtures
from tests.browser.test_public_pages import AXE, describe

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/invite/[A-Za-z0-9_-]{43}\?lang=en)")


def newest_invitation_sms(settings) -> tuple[str, int]:
    """The newest invitation SMS's text and its invitation id, as the outbox holds them (sealed)."""
    cipher = FieldCipher.from_setting(settings["portal.field_keys"], settings["portal.field_key_id"])
    with db_session(settings) as dbsession:
        message = dbsession.execute(select(OutboxMessage).where(OutboxMessage.subject_type == "call_invitation")
                                    .order_by(OutboxMessage.id.desc()).limit(1)).scalar_one()
        return cipher.decrypt(message.body, "outbox.body"), message.subject_id


def invitation_alarm(settings, invitation_id) -> Alarm | None:
    with db_session(settings) as dbsession:
        invitation = dbsession.get(CallInvitation, invitation_id)
        alarm = dbsession.get(Alarm, invitation.alarm_id) if invitation.alarm_id else None
        if alarm is not None:
            dbsession.expunge(alarm)
        return alarm


def test_a_dispatcher_invites_a_caller_whose_alarm_arrives_on_the_console(
        desk, phone, live_server, app_settings_sqlite):  # noqa: F811 - fixtures
    desk.goto(live_server + "/staff/alarms")
    expect(desk.locator("[data-console-status]")).to_contain_text("Live")
    panel = desk.locator("#invitations")
    panel.locator('input[name="phone"]').fill("+86 138 0013 8000")
    panel.get_by_label("Share location and upload photos").check()
    panel.locator('select[name="language"]').select_option("en")
    panel.get_by_role("button", name="Send the invitation").click()
    expect(desk.locator(".alert-success")).to_contain_text("***00")
    expect(desk.locator("#invitations tr.invitation-row").first).to_contain_text("sent")

    body, invitation_id = newest_invitation_sms(app_settings_sqlite)
    link = LINK.search(body).group(1)
    assert "13800138000" not in body and "李调度" not in body

    caller = phone.new_page()
    watcher = ConsoleWatcher(caller)
    caller.goto(link)
    expect(caller.locator("a.call-police")).to_be_visible()  # the call link comes first, as on /alarm
    expect(caller.locator("main")).to_contain_text("share your location and photos you take")
    results = AXE.run(caller)  # the whole page, its "leave" link in a landmark of its own
    assert results.violations_count == 0, describe(results.response["violations"])
    caller.get_by_role("button", name=re.compile("I agree")).click()
    caller.wait_for_url(TOKEN_URL)
    expect(caller.locator("#alarm-location")).to_contain_text("shared", timeout=10000)
    expect(caller.locator("#alarm-thread")).to_contain_text("李调度")
    expect(caller.locator("#alarm-photo")).to_be_visible()  # upload: the alarm page's photo form

    alarm = invitation_alarm(app_settings_sqlite, invitation_id)
    assert alarm is not None and alarm.kind == "silent"
    expect(desk.locator(f"#alarm-{alarm.id}")).to_be_visible(timeout=5000)  # the console's feed, no reload
    deadline = time.monotonic() + 10
    while invitation_alarm(app_settings_sqlite, invitation_id).lat is None and time.monotonic() < deadline:
        time.sleep(0.3)
    located = invitation_alarm(app_settings_sqlite, invitation_id)
    assert abs(located.lat - HEKOU[0]) < 1e-6 and abs(located.lon - HEKOU[1]) < 1e-6

    desk.reload()
    row = desk.locator(f"#invitation-{invitation_id}")
    expect(row).to_contain_text("shared")
    expect(row.get_by_role("link", name=f"Open alarm {alarm.id}")).to_be_visible()
    # A second phone with the same link is refused, with the call link.
    other = phone.browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    try:
        stranger = other.new_page()
        response = stranger.goto(link)
        assert response.status == 403
        expect(stranger.locator("main")).to_contain_text("already opened on another phone")
        expect(stranger.locator("a.call-police")).to_be_visible()
    finally:
        other.close()
    assert desk.console.errors == [] and watcher.errors == []
