"""A dispatcher's invitation to share (instant on scene), walked through the real forms: the
dispatcher invites from the console (an SMS with the one-time link in the outbox, nothing personal
in it or in the audit), the invited phone opens the link, consents, and lands on an alarm of the
inviting center tied to the dispatcher. Refusals: a second phone, an expired, withdrawn or unknown
link (each a page with the call and SMS links), a bad number (the form comes back filled in), a
forged cross-site consent, another unit's dispatcher."""
import re
from datetime import timedelta

import pytest
import webtest
from sqlalchemy import select

from portal.alarms.models import Alarm, AlarmMessage
from portal.audit.models import AuditEvent
from portal.calls.invitations.models import PHONE_LABEL, CallInvitation
from portal.core.meta import utcnow
from portal.outbox.models import OutboxMessage
from tests.factories import make_officer
from tests.functional.helpers import login

NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"}
SAME = {"Sec-Fetch-Site": "same-origin"}
LINK = re.compile(r"http://portal\.test/invite/([A-Za-z0-9_-]{43})\?lang=(\w+)")


@pytest.fixture
def officers(dbsession, units):
    city = make_officer(dbsession, units["city_a"], ["dispatcher"], username="disp_a")
    city.display_name = "Wang Wu"
    return {
        "city": city,
        "province": make_officer(dbsession, units["province"], ["dispatcher"], username="disp_p"),
        "other": make_officer(dbsession, units["city_b"], ["dispatcher"], username="disp_b"),
        "county": make_officer(dbsession, units["county_a"], ["dispatcher"], username="disp_c"),
    }


def phone(testapp):
    """Another browser (its own cookies) on the same app and test transaction."""
    return webtest.TestApp(testapp.app, extra_environ=dict(testapp.extra_environ))


def invite(testapp, number="+86 138-1234-5678", mode="video", language="zh_CN", status=303):
    form = testapp.get("/staff/alarms").forms["invite"]
    form["phone"], form["invite-mode"], form["language"] = number, mode, language
    return form.submit("send", status=status)


def sent_sms(registry, dbsession):
    cipher = registry["field_cipher"]
    return [(cipher.decrypt(m.recipient, "outbox.recipient"), cipher.decrypt(m.body, "outbox.body"))
            for m in dbsession.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def invited(testapp, registry, dbsession, **kw):
    """Invite as the signed-in dispatcher; (the link's token, the invitation row)."""
    invite(testapp, **kw)
    token = LINK.search(sent_sms(registry, dbsession)[-1][1]).group(1)
    row = dbsession.execute(select(CallInvitation).order_by(CallInvitation.id.desc()).limit(1)).scalar_one()
    return token, row


def fallbacks_on(page):
    assert page.html.select_one('a[href="tel:110"]') is not None
    assert page.html.select_one("a#sms-link")["href"].startswith("sms:12110")


def test_the_dispatcher_invites_and_the_caller_consents_into_an_alarm_of_that_center(
        testapp, registry, dbsession, units, officers):
    login(testapp, "disp_c")  # a county's dispatcher: the invitation and its alarm are the county's
    answer = invite(testapp)
    assert answer.location.endswith("/staff/alarms#invitations")
    assert "***78" in answer.follow().text and "13812345678" not in answer.follow().text

    ((recipient, body),) = sent_sms(registry, dbsession)
    assert recipient == "13812345678"
    token, lang = LINK.search(body).groups()
    assert lang == "zh_CN" and "County A1" in body and "30" in body
    assert "138" not in body.replace(token, "") and "Test Officer" not in body  # no number, no name
    assert re.search(r"[\u4e00-\u9fff]", body) and len(body) < 160

    invitation = dbsession.execute(select(CallInvitation)).scalar_one()
    assert (invitation.unit_id, invitation.officer_id, invitation.mode, invitation.state) == (
        units["county_a"].id, officers["county"].id, "video", "sent")
    assert "138" not in invitation.phone and registry["field_cipher"].decrypt(invitation.phone, PHONE_LABEL) == \
        "13812345678"
    assert invitation.expires_at - invitation.created_at == timedelta(minutes=30)
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "call_invitation.sent")).scalar_one()
    assert event.reason.startswith("mode video; unit 990101") and "5678" not in event.reason

    caller = phone(testapp)
    page = caller.get(f"/invite/{token}", headers={**NAVIGATE, "Accept-Language": "en"})
    fallbacks_on(page)
    assert "A dispatcher of County A1 asked you to share your location and live video" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    dbsession.refresh(invitation)
    assert invitation.state == "opened" and invitation.device_hash is not None

    landed = page.forms[0].submit(headers=SAME, status=303)
    alarm_path = landed.location.replace("http://localhost", "")
    assert re.fullmatch(r"/alarm/[A-Za-z0-9_-]{43}", alarm_path)
    assert landed.follow().status_int == 200
    dbsession.refresh(invitation)
    alarm = dbsession.get(Alarm, invitation.alarm_id)
    assert invitation.state == "used" and (alarm.unit_id, alarm.kind) == (units["county_a"].id, "video")
    assert registry["field_cipher"].decrypt(alarm.sender_contact, "alarm.sender_contact") == '{"phone": "13812345678"}'
    lines = dbsession.execute(select(AlarmMessage).where(AlarmMessage.alarm_id == alarm.id)).scalars().all()
    assert [(m.sender, m.params["name"]) for m in lines] == [("system", "Test Officer")]

    # The same phone again: the same alarm, however it asks.
    assert caller.get(f"/invite/{token}", headers=NAVIGATE, status=303).location.endswith(alarm_path)
    assert page.forms[0].submit(headers=SAME, status=303).location.endswith(alarm_path)
    assert dbsession.execute(select(Alarm)).scalars().all() == [alarm]

    # The console: the alarm, and the invitation that raised it, by whom.
    console = testapp.get("/staff/alarms")
    assert console.html.select_one(f"#alarm-{alarm.id}") is not None
    row = console.html.select_one(f"#invitation-{invitation.id}")
    assert "shared" in row.text and f"/staff/alarms/{alarm.id}" in str(row)


def test_the_dispatcher_is_named_in_the_alarms_thread(testapp, registry, dbsession, officers):
    login(testapp, "disp_a")
    token, invitation = invited(testapp, registry, dbsession, mode="upload")
    caller = phone(testapp)
    landed = caller.get(f"/invite/{token}", headers=NAVIGATE).forms[0].submit(headers=SAME, status=303)
    sender_page = landed.follow()
    assert "Raised at the invitation of dispatcher Wang Wu: the sender agreed to share your location and " \
           "photos you take." in sender_page.text
    dbsession.refresh(invitation)
    assert invitation.alarm.kind == "silent"  # upload: the alarm page's photo form


def test_a_second_phone_is_refused_with_the_call_and_sms_links(testapp, registry, dbsession, officers):
    login(testapp, "disp_a")
    token, invitation = invited(testapp, registry, dbsession)
    first = phone(testapp).get(f"/invite/{token}", headers=NAVIGATE)
    second = phone(testapp)
    refused = second.get(f"/invite/{token}", headers=NAVIGATE, status=403)
    assert "already opened on another phone" in refused.text and not refused.forms
    fallbacks_on(refused)
    second.post(f"/invite/{token}", headers=SAME, status=403)
    assert invitation.alarm_id is None
    first.forms[0].submit(headers=SAME, status=303)  # the first phone still can


def test_a_link_preview_does_not_use_the_link_up(testapp, registry, dbsession, officers):
    login(testapp, "disp_a")
    token, invitation = invited(testapp, registry, dbsession)
    phone(testapp).get(f"/invite/{token}")  # an SMS app fetching a preview: no Sec-Fetch-Mode
    dbsession.refresh(invitation)
    assert invitation.device_hash is None and invitation.state == "opened"
    caller = phone(testapp)
    caller.get(f"/invite/{token}", headers=NAVIGATE).forms[0].submit(headers=SAME, status=303)
    phone(testapp).get(f"/invite/{token}", headers=NAVIGATE, status=403)


def test_an_expired_link_is_refused(testapp, registry, dbsession, officers):
    login(testapp, "disp_a")
    token, invitation = invited(testapp, registry, dbsession)
    caller = phone(testapp)
    page = caller.get(f"/invite/{token}", headers=NAVIGATE)
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    dbsession.flush()
    refused = page.forms[0].submit(headers=SAME, status=410)
    assert "This invitation has expired" in refused.text
    fallbacks_on(refused)
    assert caller.get(f"/invite/{token}", status=410).html.select_one("form") is None
    dbsession.refresh(invitation)
    assert invitation.state == "opened" and invitation.alarm_id is None  # the worker marks it (below)
    assert "expired" in testapp.get("/staff/alarms").html.select_one(f"#invitation-{invitation.id}").text


def test_the_worker_expires_waiting_invitations(testapp, registry, dbsession, dummy_request, officers):
    from portal.calls.invitations.services import expire_due

    login(testapp, "disp_a")
    _token, invitation = invited(testapp, registry, dbsession)
    assert expire_due(dummy_request) == 0
    assert expire_due(dummy_request, now=utcnow() + timedelta(minutes=31)) == 1
    assert invitation.state == "expired"


def test_an_unknown_link_is_a_404_page_with_the_call_and_sms_links(testapp):
    page = testapp.get("/invite/" + "A" * 43, status=404)
    assert "This link does not open anything" in page.text
    fallbacks_on(page)
    testapp.post("/invite/" + "A" * 43, headers=SAME, status=404)


def test_a_cross_site_consent_is_refused_and_the_form_stays(testapp, registry, dbsession, officers):
    login(testapp, "disp_a")
    token, invitation = invited(testapp, registry, dbsession)
    caller = phone(testapp)
    caller.get(f"/invite/{token}", headers=NAVIGATE)
    refused = caller.post(f"/invite/{token}", headers={"Sec-Fetch-Site": "cross-site"}, status=403)
    assert "did not come from this page" in refused.text and refused.forms
    assert invitation.alarm_id is None


def test_a_bad_number_is_refused_with_the_form_filled_in(testapp, registry, dbsession, officers):
    login(testapp, "disp_a")
    for number in ("12345", "2381234567", "138123456789", "+1 138 1234 5678", "１３８１２３４５６７８"):
        page = invite(testapp, number=number, mode="upload", status=400)
        form = page.forms["invite"]
        assert form["phone"].value == number and form["invite-mode"].value == "upload"
        assert "mainland China mobile number" in page.text
    assert dbsession.execute(select(CallInvitation)).first() is None
    assert sent_sms(registry, dbsession) == []
    for number in ("13812345678", "0086 13812345678", "8613812345678", "(+86) 138.1234.5678"):
        invite(testapp, number=number)
    assert {recipient for recipient, _body in sent_sms(registry, dbsession)} == {"13812345678"}


def test_another_units_dispatcher_neither_sees_nor_withdraws_an_invitation(testapp, registry, dbsession, officers):
    login(testapp, "disp_a")
    token, invitation = invited(testapp, registry, dbsession)
    other = phone(testapp)
    login(other, "disp_b")
    assert other.get("/staff/alarms").html.select_one(f"#invitation-{invitation.id}") is None
    csrf = other.get("/staff/alarms").html.find("input", {"name": "csrf_token"})["value"]
    other.post(f"/staff/invitations/{invitation.id}/revoke", {"csrf_token": csrf, "version": "1"}, status=403)
    province = phone(testapp)
    login(province, "disp_p")  # the center above sees it
    assert province.get("/staff/alarms").html.select_one(f"#invitation-{invitation.id}") is not None

    # Its own dispatcher withdraws it: the link opens nothing any more.
    form = testapp.get("/staff/alarms").forms[f"revoke-{invitation.id}"]
    assert form.submit(status=303).location.endswith("#invitations")
    assert invitation.state == "revoked"
    page = phone(testapp).get(f"/invite/{token}", headers=NAVIGATE, status=410)
    assert "withdrew this invitation" in page.text


def test_a_dispatcher_sends_a_limited_number_per_hour(testapp, registry, dbsession, officers, app_settings):
    login(testapp, "disp_a")
    registry.settings["portal.call.invitations_per_hour"] = "2"
    try:
        invite(testapp)
        invite(testapp)
        refused = invite(testapp, number="13912345678", status=429)
        assert refused.forms["invite"]["phone"].value == "13912345678"
    finally:
        registry.settings["portal.call.invitations_per_hour"] = "30"
    assert len(sent_sms(registry, dbsession)) == 2


def test_the_staff_alarm_page_include_names_the_inviting_dispatcher(testapp, registry, dbsession, dummy_request,
                                                                     officers):
    """templates/calls/_invited_by.html needs only `alarm` (staff/alarm.html has it) and the request."""
    from pyramid.renderers import render

    from tests.factories import make_alarm

    login(testapp, "disp_a")
    token, invitation = invited(testapp, registry, dbsession, mode="location")
    phone(testapp).get(f"/invite/{token}", headers=NAVIGATE).forms[0].submit(headers=SAME, status=303)
    dbsession.refresh(invitation)
    html = render("calls/_invited_by.html", {"alarm": invitation.alarm, "locale": "en"}, request=dummy_request)
    assert "来自Wang Wu（City A）" in html and "共享位置" in html  # the request's language: Chinese
    other, _token = make_alarm(dbsession, invitation.unit)
    assert render("calls/_invited_by.html", {"alarm": other, "locale": "en"}, request=dummy_request).strip() == ""


def test_retention_removes_the_number_of_an_ended_invitation(testapp, registry, dbsession, dummy_request, officers):
    from portal.calls.invitations.services import purge_ended

    login(testapp, "disp_a")
    _token, waiting = invited(testapp, registry, dbsession)
    _token, withdrawn = invited(testapp, registry, dbsession, number="13912345678")
    testapp.get("/staff/alarms").forms[f"revoke-{withdrawn.id}"].submit(status=303)
    later = utcnow() + timedelta(days=31)
    assert purge_ended(dummy_request, now=utcnow()) == 0  # not yet past the period
    assert purge_ended(dummy_request, now=later) == 1
    assert (withdrawn.phone, withdrawn.device_hash, withdrawn.state) == (None, None, "revoked")
    assert waiting.phone is not None  # still waiting: kept
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "retention.purge")).scalar_one()
    assert event.reason == "1 call_invitation(s) past retention: 1 numbers removed"
    assert purge_ended(dummy_request, now=later) == 0


def test_the_invited_person_reads_the_sms_and_the_page_in_uyghur(testapp, registry, dbsession, officers):
    login(testapp, "disp_a")
    token, _invitation = invited(testapp, registry, dbsession, mode="location", language="ug")
    body = sent_sms(registry, dbsession)[-1][1]
    assert "ساقچى" in body and body.rstrip().endswith(f"/invite/{token}?lang=ug")
    page = phone(testapp).get(f"/invite/{token}?lang=ug", headers=NAVIGATE)
    assert page.html.find("html")["dir"] == "rtl"
    assert "قوشۇلىمەن: ئورنىڭىز نى ئورتاقلىشىمەن" in page.text  # "I agree: share your location"
