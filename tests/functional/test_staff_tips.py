"""The police side of tips: the unit-scoped queue with its filters, one tip with every step of the
workflow and each refusal, the contact for the assigned handler only (audited), the thread,
links, and the staff copies of the files."""
import json
import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.core.localtime import LOCAL_TZ
from portal.media.models import ORIGINAL_NAME_LABEL, Media
from portal.tips import submission as public_tips
from portal.tips.models import Tip, TipAnswer, TipAttachment, TipLink, TipMessage
from tests.factories import make_category, make_notice, make_officer, make_photo, make_tip
from tests.functional.helpers import login

NAME, PHONE = "Zhou Mingyu", "13987654321"
DESCRIPTION = "Men unload gas cylinders into the old warehouse on Binhe Road every night."


ADMIN_SECRET = pyotp.random_base32()
TOP_SECRET = pyotp.random_base32()


@pytest.fixture
def officers(dbsession, registry, units):
    cipher = registry["field_cipher"]

    def make(unit, roles, name, **kw):
        officer = make_officer(dbsession, units[unit], roles, username=name, **kw)
        officer.display_name = name.replace("_", " ").title()
        return officer

    return {
        "mod_county": make("county_a", ["moderator"], "mod_county"),
        "mod_city": make("city_a", ["moderator"], "mod_city"),
        "mod_province": make("province", ["moderator"], "mod_province"),
        "mod_b": make("city_b", ["moderator"], "mod_b"),
        "handler": make("county_a", ["handler"], "handler_county"),
        "handler_city": make("city_a", ["handler"], "handler_city"),
        "handler_b": make("city_b", ["handler"], "handler_b"),
        "admin_city": make("city_a", ["admin"], "admin_city", totp_secret=ADMIN_SECRET, cipher=cipher),
        "admin_province": make("province", ["admin"], "admin_province", totp_secret=TOP_SECRET, cipher=cipher),
    }


@pytest.fixture
def category(dbsession):
    return make_category(dbsession, slug="explosives-test", names={"en": "Explosives (test)", "zh_CN": "爆炸物（测试）"},
                         questions=[
                             {"key": "what", "kind": "choice", "labels": {"en": "What did you see?"},
                              "choices": [{"value": "cyl", "labels": {"en": "Gas cylinders"}},
                                          {"value": "det", "labels": {"en": "Detonators"}}],
                              "danger_values": ["det"]},
                             {"key": "people", "kind": "number", "labels": {"en": "How many people?"}},
                         ])


@pytest.fixture
def tip(dbsession, registry, units, category):
    tip = make_tip(dbsession, units["county_a"], category, cipher=registry["field_cipher"],
                   contact=json.dumps({"name": NAME, "phone": PHONE}), description=DESCRIPTION,
                   place="Old warehouse, Binhe Road", lat=38.0412, lon=114.5149, accuracy_m=20.0,
                   suggested_unit=units["county_a"], danger=True, flagged=True, minutes_ago=30)
    questions = {q.key: q for q in category.questions}
    dbsession.add_all([TipAnswer(tip=tip, question=questions["what"], value="det"),
                       TipAnswer(tip=tip, question=questions["people"], value="3")])
    store = registry["media_store"]
    photo = make_photo(dbsession, store)
    key, sha, size = store.put_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00 not really an mp3", ".mp3")
    audio = Media(kind="audio", sha256=sha, size=size, content_type="audio/mpeg", original_key=key,
                  original_name_sealed=registry["field_cipher"].encrypt("zhou-recording.mp3", ORIGINAL_NAME_LABEL))
    dbsession.add(audio)
    dbsession.flush()
    dbsession.add_all([TipAttachment(tip=tip, media=photo, flags="old-capture"), TipAttachment(tip=tip, media=audio)])
    dbsession.flush()
    dbsession.refresh(tip)
    return tip


def sign_in(testapp, username, **kw):
    testapp.reset()  # a fresh browser: the previous officer is signed out
    return login(testapp, username, **kw)


def events(dbsession, **where):
    query = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return dbsession.execute(query).scalars().all()


def count(dbsession, model):
    return dbsession.execute(select(func.count()).select_from(model)).scalar_one()


def tip_events(dbsession):
    """Audit events about tips (signing in writes events too)."""
    return dbsession.execute(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.object_type.in_(("tip", "tip_reward")))).scalar_one()


def queue_ids(page):
    return [int(a.text) for a in page.html.select("table.tips tbody td:first-child a")]


def step(testapp, tip_id, name, status=303, page=None, **fields):
    page = page or testapp.get(f"/staff/tips/{tip_id}")
    form = page.forms[f"step-{name}"]
    for field, value in fields.items():
        form[field] = value
    return form.submit(status=status)


def post(testapp, tip_id, status, **fields):
    """A hand-made POST (for steps the page does not offer this officer), with a valid CSRF token."""
    page = testapp.get(f"/staff/tips/{tip_id}")
    token = page.html.select_one('input[name="csrf_token"]')["value"]
    return testapp.post(f"/staff/tips/{tip_id}", dict(fields, csrf_token=token), status=status)


def assign(testapp, dbsession, tip, officers, who="handler"):
    step(testapp, tip.id, "triage")
    step(testapp, tip.id, "assign", handler=str(officers[who].id))
    dbsession.refresh(tip)


# --- the queue ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who,sees", [("mod_county", True), ("mod_city", True), ("mod_province", True),
                                      ("handler", True), ("mod_b", False), ("handler_b", False)])
def test_the_queue_shows_the_units_tips_and_those_below(testapp, officers, tip, who, sees):
    sign_in(testapp, officers[who].username)
    page = testapp.get("/staff/tips")
    assert (tip.id in queue_ids(page)) is sees
    assert PHONE not in page.text and NAME not in page.text
    testapp.get(f"/staff/tips/{tip.id}", status=200 if sees else 403)


def test_a_citys_tip_is_not_in_its_countys_queue(testapp, dbsession, units, officers, tip):
    city_tip = make_tip(dbsession, units["city_a"], description="City-level tip")
    sign_in(testapp, "mod_county")
    assert queue_ids(testapp.get("/staff/tips")) == [tip.id]
    testapp.get(f"/staff/tips/{city_tip.id}", status=403)
    sign_in(testapp, "mod_city")
    assert queue_ids(testapp.get("/staff/tips")) == [city_tip.id, tip.id]


def test_filters_counts_and_keyset_pages(testapp, dbsession, units, officers, category):
    other = make_category(dbsession, slug="fraud-test")
    old = make_tip(dbsession, units["county_a"], other, minutes_ago=60 * 24 * 40, description="Forty days old")
    flagged = make_tip(dbsession, units["county_a"], other, flagged=True, minutes_ago=5, description="Flagged one")
    danger = make_tip(dbsession, units["city_a"], category, danger=True, state="triaged", minutes_ago=4,
                      description="Danger one")
    mine = make_tip(dbsession, units["city_a"], category, state="assigned", assigned_to=officers["handler_city"],
                    minutes_ago=3, description="Assigned one")
    bulk = [make_tip(dbsession, units["county_a"], category, minutes_ago=100 + i) for i in range(53)]
    make_tip(dbsession, units["city_b"], category, description="Sibling city's tip")
    sign_in(testapp, "handler_city")
    page = testapp.get("/staff/tips")
    counts = {li.get_text(" ", strip=True) for li in page.html.select(".state-counts li")}
    assert {"55 received", "1 triaged", "1 assigned", "0 in progress", "0 closed"} <= counts
    seen = []
    while True:
        seen += queue_ids(page)
        link = page.html.select_one('a[rel="next"]')
        if link is None:
            break
        page = testapp.get(link["href"])
    assert seen == [mine.id, danger.id, flagged.id] + [t.id for t in bulk] + [old.id]  # newest first, all, once
    ids = lambda url: queue_ids(testapp.get(url))  # noqa: E731
    assert ids(f"/staff/tips?category={other.id}") == [flagged.id, old.id]
    assert ids("/staff/tips?state=triaged") == [danger.id]
    assert ids("/staff/tips?flagged=1") == [flagged.id]
    assert ids("/staff/tips?danger=1") == [danger.id]
    assert ids("/staff/tips?mine=1") == [mine.id]
    old_day = old.created_at.astimezone(LOCAL_TZ).date()
    assert ids(f"/staff/tips?since={old_day - timedelta(days=1)}&until={old_day}") == [old.id]
    assert ids(f"/staff/tips?until={old_day + timedelta(days=1)}") == [old.id]
    assert old.id not in ids(f"/staff/tips?since={old_day + timedelta(days=1)}")
    # Counts follow the other filters; a state link keeps them.
    filtered = testapp.get(f"/staff/tips?category={other.id}")
    assert {"2 received", "0 triaged"} <= {li.get_text(" ", strip=True) for li in filtered.html.select(".state-counts li")}
    state_link = filtered.html.select_one('.state-counts a[href*="state=received"]')["href"]
    assert f"category={other.id}" in state_link


@pytest.mark.parametrize("query,message", [
    ("state=lost", "Choose a state from the list."),
    ("category=abc", "is not a number"),
    ("category=999999", "Choose a category from the list."),
    ("since=yesterday", "Invalid date"),
    ("since=2026-05-02&until=2026-05-01", "The end date must not be before the start date."),
    ("until=9999-12-31", "Give a date between 2000-01-01 and 2100-12-31."),  # the day after overflows
    ("since=0001-01-01", "Give a date between 2000-01-01 and 2100-12-31."),  # before UTC's year 1 on PostgreSQL
    ("since=1999-12-31&until=2101-01-01", "Give a date between 2000-01-01 and 2100-12-31."),
    ("flagged=yes", "Tick the box or leave it empty."),
    ("page=%25%25%25", "This page link is not valid"),
])
def test_bad_filters_get_a_clear_400(testapp, officers, tip, query, message):
    sign_in(testapp, "mod_county")
    page = testapp.get(f"/staff/tips?{query}", status=400)
    assert message in page.text
    assert queue_ids(page) == []
    assert page.html.select_one("form.tip-filters") is not None  # the filters stay, to be corrected
    for name, value in (pair.split("=") for pair in query.split("&")):
        if name in ("since", "until"):
            assert page.html.select_one(f'form.tip-filters input[name="{name}"]')["value"] == value


def test_the_first_and_last_days_allowed_are_taken(testapp, officers, tip):
    sign_in(testapp, "mod_county")
    page = testapp.get("/staff/tips?since=2000-01-01&until=2100-12-31", status=200)
    assert tip.id in queue_ids(page)


def test_dashboard_counts_tips_to_triage_and_assigned(testapp, dbsession, units, officers, tip):
    make_tip(dbsession, units["county_a"], state="assigned", assigned_to=officers["handler"])
    sign_in(testapp, "mod_city")
    dashboard = testapp.get("/staff")
    item = next(li for li in dashboard.html.select(".queues li") if "Tips waiting for triage" in li.text)
    assert item.select_one(".count").text == "1" and "state=received" in item.a["href"]
    sign_in(testapp, "handler_county")
    item = next(li for li in testapp.get("/staff").html.select(".queues li") if "Tips assigned to you" in li.text)
    assert item.select_one(".count").text == "1" and "mine=1" in item.a["href"]


# --- one tip -----------------------------------------------------------------------------------


def test_the_tip_page_shows_everything_the_tip_holds(testapp, dbsession, units, officers, tip):
    sign_in(testapp, "mod_city")
    page = testapp.get(f"/staff/tips/{tip.id}")
    text = page.html.get_text(" ", strip=True)
    for shown in ("Explosives (test)", DESCRIPTION, "Old warehouse, Binhe Road", "What did you see?", "Detonators",
                  "How many people?", "County A1 (990101)", "taken long before it was sent",
                  "The answer to “What did you see?” is “Detonators”"):
        assert shown in text, shown
    assert page.html.select_one("[data-point-map]")["data-lat"] == "38.0412"
    photo, audio = [a.media for a in tip.attachments]
    assert page.html.select_one(f'img[src="/staff/tips/media/{photo.id}?thumb=1"]') is not None
    assert page.html.select_one('img.media-icon[src*="media-audio.svg"]') is not None
    assert page.html.select_one(f'form#original-{audio.id}') is None  # for the assigned handler alone
    assert "Only the handler assigned to this tip can download the original." in text
    assert "zhou-recording" not in page.text  # the reporter's file name may say who they are
    assert PHONE not in page.text and NAME not in page.text
    assert "The reporter left a contact" in page.text and "Show contact" not in page.text
    assert set(page.forms) >= {"step-triage", "step-transfer", "step-dismiss", "message", "note", "link-tip"}
    assert "step-start" not in page.forms and "step-close" not in page.forms


def test_triage_assign_start_close(testapp, dbsession, officers, tip):
    sign_in(testapp, "mod_county")
    page = step(testapp, tip.id, "triage", reason="").follow()
    assert "Accepted" in page.text
    dbsession.refresh(tip)
    assert tip.state == "triaged" and tip.triaged_at is not None
    # Handlers of the tip's unit and the units above it (they can open it); never city B's.
    offered = {int(value) for value, _selected, _text in page.forms["step-assign"]["handler"].options if value}
    assert offered == {officers["handler"].id, officers["handler_city"].id}
    step(testapp, tip.id, "assign", handler=str(officers["handler"].id))
    dbsession.refresh(tip)
    assert (tip.state, tip.assigned_to_id) == ("assigned", officers["handler"].id)
    # A moderator cannot start or close: only the assigned handler.
    assert "step-start" not in testapp.get(f"/staff/tips/{tip.id}").forms
    sign_in(testapp, "handler_county")
    assert tip.id in queue_ids(testapp.get("/staff/tips?mine=1"))
    step(testapp, tip.id, "start")
    page = step(testapp, tip.id, "close", outcome="actionable", reason="Seized 40 detonators; case opened.").follow()
    dbsession.refresh(tip)
    assert (tip.state, tip.outcome, tip.reason) == ("closed", "actionable", "Seized 40 detonators; case opened.")
    assert tip.closed_at is not None
    actions = [(e.action, e.actor, e.from_state, e.to_state) for e in events(dbsession, object_type="tip",
                                                                                  object_id=str(tip.id))]
    assert actions == [("tip.triage", "officer:mod_county", "received", "triaged"),
                       ("tip.assign", "officer:mod_county", "triaged", "assigned"),
                       ("tip.start", "officer:handler_county", "assigned", "in_progress"),
                       ("tip.close", "officer:handler_county", "in_progress", "closed")]
    assert events(dbsession, action="tip.assign")[0].reason == "to officer:handler_county"
    assert events(dbsession, action="tip.close")[0].reason == "actionable: Seized 40 detonators; case opened."
    # The reporter's thread: system lines that name no officer.
    lines = dbsession.execute(select(TipMessage).where(TipMessage.tip_id == tip.id)
                              .order_by(TipMessage.id)).scalars().all()
    assert [(m.author, m.officer_id, m.internal) for m in lines] == [("system", None, False)] * 3
    assert [m.body for m in lines] == ["Your tip has been read and is being checked.",
                                       "An officer is now handling your tip.",
                                       "Your tip was closed. Thank you for your help."]
    assert not any("handler" in m.body.lower() or "Handler County" in m.body for m in lines)
    assert "history" in page.text.lower() and "tip.close" in page.text
    assert not any(str(k).startswith("step-") for k in page.forms)  # closed: no step is left


def test_transfer_sends_the_tip_to_another_units_queue(testapp, dbsession, units, officers, tip):
    sign_in(testapp, "mod_county")
    refused = step(testapp, tip.id, "transfer", status=400, unit=str(units["city_b"].id), reason=" ")
    assert "Give a reason" in refused.text
    assert refused.forms["step-transfer"]["unit"].value == str(units["city_b"].id)  # kept
    dbsession.refresh(tip)
    assert tip.unit_id == units["county_a"].id
    response = step(testapp, tip.id, "transfer", page=refused, unit=str(units["city_b"].id),
                    reason="The warehouse is across the river, in City B.")
    assert response.location.endswith("/staff/tips")  # it left this officer's units
    assert "now in the other unit" in response.follow().text
    dbsession.refresh(tip)
    assert (tip.state, tip.unit_id, tip.reason) == ("received", units["city_b"].id,
                                                     "The warehouse is across the river, in City B.")
    (event,) = events(dbsession, action="tip.transfer")
    assert event.reason == "to 990200: The warehouse is across the river, in City B."
    assert tip.id not in queue_ids(testapp.get("/staff/tips"))
    testapp.get(f"/staff/tips/{tip.id}", status=403)
    sign_in(testapp, "mod_b")
    assert tip.id in queue_ids(testapp.get("/staff/tips?state=received"))
    assert "forwarded to the unit responsible" in testapp.get(f"/staff/tips/{tip.id}").text


def test_dismiss_needs_an_outcome_and_a_reason(testapp, dbsession, officers, tip):
    sign_in(testapp, "mod_county")
    assert "Choose" in step(testapp, tip.id, "dismiss", status=400, reason="Spam.").text
    outcomes = {o["value"] for o in testapp.get(f"/staff/tips/{tip.id}").html.select("#step-dismiss-outcome option")}
    assert outcomes == {"", "spam", "duplicate", "unfounded"}
    assert "Give a reason" in step(testapp, tip.id, "dismiss", status=400, outcome="spam").text
    step(testapp, tip.id, "dismiss", outcome="duplicate", reason="Same as tip 12.")
    dbsession.refresh(tip)
    assert (tip.state, tip.outcome, tip.reason) == ("closed", "duplicate", "Same as tip 12.")
    assert tip.closed_at is not None and tip.assigned_to_id is None
    assert events(dbsession, action="tip.dismiss")[0].reason == "duplicate: Same as tip 12."


def test_reassign_needs_a_reason(testapp, dbsession, officers, tip):
    sign_in(testapp, "mod_county")
    assign(testapp, dbsession, tip, officers)
    assert "Give a reason" in step(testapp, tip.id, "reassign", status=400,
                                   handler=str(officers["handler_city"].id)).text
    step(testapp, tip.id, "reassign", handler=str(officers["handler_city"].id), reason="Handler on leave.")
    dbsession.refresh(tip)
    assert (tip.state, tip.assigned_to_id) == ("assigned", officers["handler_city"].id)
    assert events(dbsession, action="tip.reassign")[0].reason == (
        "from officer:handler_county to officer:handler_city: Handler on leave.")


def test_only_the_assigned_handler_starts_and_closes(testapp, dbsession, officers, tip):
    sign_in(testapp, "mod_county")
    assign(testapp, dbsession, tip, officers)
    before = tip_events(dbsession)
    sign_in(testapp, "handler_city")  # a handler who can open the tip, but it is not theirs
    page = testapp.get(f"/staff/tips/{tip.id}")
    assert "step-start" not in page.forms
    refused = post(testapp, tip.id, 403, action="step", step="start", version=str(tip.version))
    assert "Only the handler assigned to this tip" in refused.text
    sign_in(testapp, "mod_county")  # a moderator has no "handle" permission at all
    refused = post(testapp, tip.id, 403, action="step", step="close", version=str(tip.version), outcome="spam",
                   reason="x")
    assert "does not allow" in refused.text
    dbsession.refresh(tip)
    assert tip.state == "assigned" and tip_events(dbsession) == before


def test_close_needs_an_outcome_and_a_reason(testapp, dbsession, officers, tip):
    sign_in(testapp, "mod_county")
    assign(testapp, dbsession, tip, officers)
    sign_in(testapp, "handler_county")
    step(testapp, tip.id, "start")
    before = tip_events(dbsession)
    refused = step(testapp, tip.id, "close", status=400, reason="Seized 40 detonators.")
    assert "Choose" in refused.text
    assert refused.forms["step-close"]["reason"].value == "Seized 40 detonators."  # kept
    assert "Give a reason" in step(testapp, tip.id, "close", status=400, outcome="actionable", reason="  ").text
    dbsession.refresh(tip)
    assert (tip.state, tip.outcome, tip.closed_at) == ("in_progress", None, None)
    assert tip_events(dbsession) == before


def test_a_step_from_the_wrong_state_is_refused(testapp, dbsession, officers, tip):
    sign_in(testapp, "mod_county")
    refused = post(testapp, tip.id, 409, action="step", step="assign", version=str(tip.version),
                   handler=str(officers["handler"].id))
    assert "not possible while the tip is received" in refused.text
    assert post(testapp, tip.id, 400, action="step", step="fly", version=str(tip.version)).status_int == 400
    dbsession.refresh(tip)
    assert tip.state == "received" and tip.assigned_to_id is None


def test_a_stale_second_action_gets_409(testapp, dbsession, officers, tip):
    sign_in(testapp, "mod_county")
    first = testapp.get(f"/staff/tips/{tip.id}")
    second = testapp.get(f"/staff/tips/{tip.id}")  # the same page open twice (or by a colleague)
    step(testapp, tip.id, "triage", page=first)
    before = tip_events(dbsession)
    refused = step(testapp, tip.id, "dismiss", status=409, page=second, outcome="spam", reason="Looks like spam.")
    assert "Someone else changed this tip meanwhile" in refused.text
    dbsession.refresh(tip)
    assert tip.state == "triaged" and tip.outcome is None and tip_events(dbsession) == before
    # The answer is the page as it is now: the next step can be taken from it.
    assert "step-assign" in refused.forms


# --- the reporter's contact ----------------------------------------------------------------------


def test_only_the_assigned_handler_sees_the_contact_with_a_reason(testapp, dbsession, officers, tip):
    sign_in(testapp, "mod_county")
    assign(testapp, dbsession, tip, officers)
    refused = post(testapp, tip.id, 403, action="reveal", reason="I moderate this unit")
    assert PHONE not in refused.text and "Only the handler assigned" in refused.text
    sign_in(testapp, "handler_city")  # can open the tip, is a handler, but not this tip's
    assert PHONE not in post(testapp, tip.id, 403, action="reveal", reason="Curious about it").text
    assert events(dbsession, action="protected.reveal") == []
    sign_in(testapp, "handler_county")
    page = testapp.get(f"/staff/tips/{tip.id}")
    form = next(f for f in page.forms.values() if f.fields.get("action") and f["action"].value == "reveal")
    form["reason"] = "why"
    refused = form.submit(status=400)
    assert "at least 5 characters" in refused.text and PHONE not in refused.text
    assert events(dbsession, action="protected.reveal") == [] and tip.contact_viewed_at is None
    form = next(f for f in refused.forms.values() if f.fields.get("action") and f["action"].value == "reveal")
    form["reason"] = "Call back about the delivery times"
    shown = form.submit(status=200)
    assert PHONE in shown.text and NAME in shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    (event,) = events(dbsession, action="protected.reveal")
    assert (event.actor, event.object_type, event.object_id, event.reason) == (
        "officer:handler_county", "tip", str(tip.id), "tip.contact: Call back about the delivery times")
    dbsession.refresh(tip)
    assert tip.contact_viewed_at is not None
    assert PHONE not in testapp.get(f"/staff/tips/{tip.id}").text  # that response only


def test_admins_see_that_a_reveal_happened_never_the_contact(testapp, dbsession, officers, tip):
    sign_in(testapp, "mod_county")
    assign(testapp, dbsession, tip, officers)
    sign_in(testapp, "handler_county")
    post(testapp, tip.id, 200, action="reveal", reason="Call back about the delivery times")
    sign_in(testapp, "admin_city", totp_secret=ADMIN_SECRET)
    testapp.get(f"/staff/tips/{tip.id}", status=403)  # not even the unit's admin opens the tip
    testapp.post(f"/staff/tips/{tip.id}", {"action": "reveal", "reason": "Admin wants to know",
                                           "csrf_token": csrf(testapp)}, status=403)
    sign_in(testapp, "admin_province", totp_secret=TOP_SECRET)
    log = testapp.get("/staff/audit?action=protected.reveal")
    assert "tip.contact: Call back about the delivery times" in log.text and "handler_county" in log.text
    assert PHONE not in log.text and NAME not in log.text
    assert len(events(dbsession, action="protected.reveal")) == 1


def csrf(testapp):
    return testapp.get("/staff").html.select_one('input[name="csrf_token"]')["value"]


# --- thread and links --------------------------------------------------------------------------


def test_messages_reach_the_reporter_notes_never(testapp, dbsession, officers, tip):
    sign_in(testapp, "mod_county")
    assign(testapp, dbsession, tip, officers)
    sign_in(testapp, "handler_county")
    page = testapp.get(f"/staff/tips/{tip.id}")
    page.forms["message"]["body"] = "Which entrance do they use?"
    page.forms["message"].submit(status=303)
    page = testapp.get(f"/staff/tips/{tip.id}")
    page.forms["note"]["body"] = "Owner is known to the economic crimes team."
    page.forms["note"].submit(status=303)
    assert "Write the message first" in testapp.get(f"/staff/tips/{tip.id}").forms["note"].submit(status=400).text
    message, note = dbsession.execute(select(TipMessage).where(TipMessage.author == "officer")
                                      .order_by(TipMessage.id)).scalars().all()
    assert (message.internal, message.officer_id) == (False, officers["handler"].id)
    assert (note.internal, note.officer_id) == (True, officers["handler"].id)
    audited = {e.action: e.reason for e in events(dbsession, object_type="tip", object_id=str(tip.id))}
    assert audited["tip.message"] == f"message {message.id} to the reporter"
    assert audited["tip.note"] == f"internal note {note.id}"
    page = testapp.get(f"/staff/tips/{tip.id}")
    assert "Which entrance do they use?" in page.text and "Owner is known" in page.text
    # What the reporter's /status shows (services/tips.public_thread): the message, never the note.
    bodies = [m.body for m, _files in public_tips.public_thread(dbsession, tip)]
    assert "Which entrance do they use?" in bodies and not any("Owner is known" in b for b in bodies)


def test_the_tip_page_is_in_sections_with_a_table_of_contents(testapp, dbsession, officers, tip):
    """Summary, files, thread, notes, links, reward, history: each a section its contents' anchor reaches;
    the thread holds the messages, the notes section the internal notes; history lines are sentences."""
    sign_in(testapp, "mod_county")
    assign(testapp, dbsession, tip, officers)
    sign_in(testapp, "handler_county")
    page = testapp.get(f"/staff/tips/{tip.id}")
    page.forms["message"]["body"] = "Which entrance do they use?"
    page.forms["message"].submit(status=303)
    page = testapp.get(f"/staff/tips/{tip.id}")
    page.forms["note"]["body"] = "Owner is known to the economic crimes team."
    page.forms["note"].submit(status=303)
    html = testapp.get(f"/staff/tips/{tip.id}").html
    anchors = [a["href"] for a in html.select("nav.tip-toc a")]
    assert anchors == ["#summary", "#files", "#thread", "#notes", "#links", "#rewards", "#history"]
    sections = {s["id"]: s for s in html.select("section.tip-section")}
    assert list(sections) == [a[1:] for a in anchors]
    assert DESCRIPTION in sections["summary"].text and sections["summary"].select_one("form#step-close")  # next step
    assert len(sections["files"].select("li.tip-file")) == 2
    assert "Which entrance" in sections["thread"].text and "Owner is known" not in sections["thread"].text
    assert "Owner is known" in sections["notes"].text and sections["notes"].select_one("form#note")
    assert sections["thread"].select_one("form#message") and sections["links"].select_one("form#link-tip")
    counts = [c.text for c in html.select("nav.tip-toc .toc-count")]
    thread_lines = len(sections["thread"].select("li.thread-line"))
    assert counts[:3] == ["2", str(thread_lines), "1"]  # files, thread lines (system lines too), notes
    history = sections["history"].select("table.history tbody tr")
    assert any(row["data-action"] == "tip.assign" for row in history)
    assert not any("tip.assign" in row.text for row in history)  # a sentence, not the stored code


WORK_FORMS = ("message", "note", "link-tip", "link-notice")


def officer_additions(dbsession):
    """What officers added to tips: their messages and notes, links, and the audit of either."""
    return (dbsession.execute(select(func.count()).select_from(TipMessage).where(TipMessage.author == "officer"))
            .scalar_one(), count(dbsession, TipLink), len(events(dbsession, action="tip.note")),
            len(events(dbsession, action="tip.message")), len(events(dbsession, action="tip.link")))


def test_nothing_is_added_to_a_closed_tip(testapp, dbsession, units, officers, tip):
    twin = make_tip(dbsession, units["county_a"])
    notice = make_notice(dbsession, units["county_a"])
    sign_in(testapp, "mod_county")
    step(testapp, tip.id, "dismiss", outcome="spam", reason="Advertising.")
    page = testapp.get(f"/staff/tips/{tip.id}")
    assert not set(WORK_FORMS) & set(page.forms)
    before = officer_additions(dbsession)
    assert "the reporter gets no more messages" in post(testapp, tip.id, 409, action="message", body="Hello?").text
    assert "nothing more can be added" in post(testapp, tip.id, 409, action="note", body="Seen again.").text
    refused = post(testapp, tip.id, 409, action="link_tip", number=str(twin.id), kind="related")
    assert "its links stay as they were" in refused.text
    refused = post(testapp, tip.id, 409, action="link_notice", number=str(notice.id))
    assert "its links stay as they were" in refused.text
    assert officer_additions(dbsession) == before


def test_a_handler_not_assigned_to_the_tip_only_reads_it(testapp, dbsession, units, officers, tip):
    twin = make_tip(dbsession, units["county_a"])
    notice = make_notice(dbsession, units["county_a"])
    sign_in(testapp, "mod_county")
    assign(testapp, dbsession, tip, officers)
    sign_in(testapp, "handler_city")  # a handler above the tip's unit: may open it, is not working it
    page = testapp.get(f"/staff/tips/{tip.id}")
    assert DESCRIPTION in page.text and not set(WORK_FORMS) & set(page.forms)
    before = officer_additions(dbsession)
    refused = post(testapp, tip.id, 403, action="note", body="I know this warehouse.")
    assert "Only the handler assigned to this tip or a moderator can do this." in refused.text
    assert "Only the assigned handler or a moderator" in post(testapp, tip.id, 403, action="message", body="Hi").text
    post(testapp, tip.id, 403, action="link_tip", number=str(twin.id), kind="related")
    post(testapp, tip.id, 403, action="link_notice", number=str(notice.id))
    assert officer_additions(dbsession) == before


def test_the_assigned_handler_notes_and_links(testapp, dbsession, units, officers, tip):
    twin = make_tip(dbsession, units["county_a"])
    notice = make_notice(dbsession, units["county_a"], title="Appeal: Binhe Road warehouse")
    sign_in(testapp, "mod_county")
    assign(testapp, dbsession, tip, officers)
    sign_in(testapp, "handler_county")

    def submit(form_id, **fields):
        form = testapp.get(f"/staff/tips/{tip.id}").forms[form_id]
        for name, value in fields.items():
            form[name] = value
        return form.submit(status=303)

    submit("note", body="Same cylinders as last month.")
    submit("link-tip", number=str(twin.id), kind="duplicate")
    submit("link-notice", number=str(notice.id))
    assert officer_additions(dbsession) == (1, 2, 1, 0, 3)
    page = testapp.get(f"/staff/tips/{tip.id}")
    assert "Same cylinders as last month." in page.text and "Appeal: Binhe Road warehouse" in page.text


def test_links_to_tips_in_scope_show_on_both_sides_and_to_notices(testapp, dbsession, units, officers, tip, registry):
    twin = make_tip(dbsession, units["city_a"], cipher=registry["field_cipher"],
                    contact=json.dumps({"name": "Other Reporter", "phone": "13800000001"}),
                    description="Cylinders again, same warehouse")
    elsewhere = make_tip(dbsession, units["city_b"], description="City B tip")
    notice = make_notice(dbsession, units["city_a"], title="Reward: explosives on Binhe Road")
    draft = make_notice(dbsession, units["city_a"], state="draft")
    sign_in(testapp, "mod_city")

    def link(form_id, status=303, **fields):
        form = testapp.get(f"/staff/tips/{tip.id}").forms[form_id]
        for name, value in fields.items():
            form[name] = value
        return form.submit(status=status)

    assert "There is no tip" in link("link-tip", 400, number=str(elsewhere.id)).text
    assert "cannot be linked to itself" in link("link-tip", 400, number=str(tip.id)).text
    assert "digits only" in link("link-tip", 400, number="12a").text
    link("link-tip", number=str(twin.id), kind="duplicate")
    assert "already linked" in link("link-tip", 400, number=str(twin.id)).text
    assert "no published notice" in link("link-notice", 400, number=str(draft.id)).text
    link("link-notice", number=str(notice.id))
    assert count(dbsession, TipLink) == 2
    page = testapp.get(f"/staff/tips/{tip.id}")
    assert f"Tip {twin.id}" in page.text and "Reward: explosives on Binhe Road" in page.text
    assert "Cylinders again" not in page.text and "Other Reporter" not in page.text and "13800000001" not in page.text
    other_side = testapp.get(f"/staff/tips/{twin.id}")
    assert f'href="/staff/tips/{tip.id}"' in other_side.text and DESCRIPTION not in other_side.text
    assert {e.object_id for e in events(dbsession, action="tip.link")} == {str(tip.id), str(twin.id)}
    # An officer who can open only one side sees the number of the other, nothing more.
    sign_in(testapp, "mod_county")
    page = testapp.get(f"/staff/tips/{tip.id}")
    assert f"Tip {twin.id}" in page.text and "outside your units" in page.text
    assert f'href="/staff/tips/{twin.id}"' not in page.text


# --- files -------------------------------------------------------------------------------------


def test_staff_copies_of_files_and_the_audited_original(testapp, dbsession, registry, officers, tip):
    photo, audio = [a.media for a in tip.attachments]
    sign_in(testapp, "mod_county")
    copy = testapp.get(f"/staff/tips/media/{photo.id}")
    assert copy.content_type == "image/jpeg" and copy.body.startswith(b"\xff\xd8")
    assert copy.headers["Cache-Control"] == "no-store"
    assert copy.headers["Content-Disposition"] == f'inline; filename="tip-{tip.id}-{photo.id}.jpg"'
    assert copy.headers["X-Content-Type-Options"] == "nosniff"
    thumb = testapp.get(f"/staff/tips/media/{photo.id}?thumb=1")
    assert thumb.content_type == "image/jpeg" and len(thumb.body) <= len(copy.body)
    testapp.get(f"/staff/tips/media/{audio.id}", status=404)  # no safe copy of this format
    # The original (its metadata may name the reporter) is for the assigned handler alone.
    page = testapp.get(f"/staff/tips/{tip.id}")
    assert f"original-{audio.id}" not in page.forms and "Only the handler assigned" in page.text
    refused = testapp.post(f"/staff/tips/media/{audio.id}", {"reason": "Listen to the voices for the case file",
                                                              "csrf_token": csrf(testapp)}, status=403)
    assert "Only the handler assigned to this tip can download the original" in refused.text
    assign(testapp, dbsession, tip, officers)
    sign_in(testapp, "handler_city")  # a handler in scope, not the one assigned
    assert f"original-{audio.id}" not in testapp.get(f"/staff/tips/{tip.id}").forms
    testapp.post(f"/staff/tips/media/{audio.id}", {"reason": "Listen to the voices for the case file",
                                                    "csrf_token": csrf(testapp)}, status=403)
    assert events(dbsession, action="tip.media_original") == []
    sign_in(testapp, "handler_county")
    page = testapp.get(f"/staff/tips/{tip.id}")
    form = page.forms[f"original-{audio.id}"]
    form["reason"] = "no"
    assert "at least 5 characters" in form.submit(status=400).text
    assert events(dbsession, action="tip.media_original") == []
    form["reason"] = "Listen to the voices for the case file"
    original = form.submit(status=200)
    with registry["media_store"].open(audio.original_key) as kept:
        assert original.body == kept.read()
    assert original.content_type == "application/octet-stream"
    assert original.headers["Content-Disposition"] == f'attachment; filename="tip-{tip.id}-{audio.id}.mp3"'
    assert "zhou" not in original.headers["Content-Disposition"]
    (event,) = events(dbsession, action="tip.media_original")
    assert (event.object_id, event.reason) == (str(tip.id), f"media {audio.id}: Listen to the voices for the case file")
    # A file with a safe copy: the original stays evidence.
    refused = testapp.post(f"/staff/tips/media/{photo.id}", {"reason": "I want the original",
                                                              "csrf_token": csrf(testapp)}, status=400)
    assert "has a safe copy" in refused.text


def test_a_cleaned_video_copy_keeps_its_container_type(testapp, dbsession, registry, officers, tip):
    store = registry["media_store"]
    original, sha, size = store.put_bytes(b"\x00\x00\x00\x18ftypmp42 original with metadata", ".mp4")
    cleaned, _sha, _size = store.put_bytes(b"\x00\x00\x00\x18ftypmp42 metadata blanked", ".mp4")
    video = Media(kind="video", sha256=sha, size=size, content_type="video/mp4", original_key=original,
                  public_key=cleaned)
    dbsession.add(video)
    dbsession.flush()
    dbsession.add(TipAttachment(tip=tip, media=video))
    dbsession.flush()
    sign_in(testapp, "mod_county")
    page = testapp.get(f"/staff/tips/{tip.id}")
    assert page.html.select_one(f'video[src="/staff/tips/media/{video.id}"]') is not None
    assert f"original-{video.id}" not in page.forms  # it has a safe copy: no original on demand
    copy = testapp.get(f"/staff/tips/media/{video.id}")
    assert copy.content_type == "video/mp4" and copy.body.endswith(b"metadata blanked")
    assert copy.headers["Content-Disposition"] == f'inline; filename="tip-{tip.id}-{video.id}.mp4"'
    testapp.get(f"/staff/tips/media/{video.id}?thumb=1", status=404)  # no poster frame was made


def test_files_of_another_units_tip_are_refused(testapp, officers, tip):
    photo = tip.attachments[0].media
    sign_in(testapp, "mod_b")
    testapp.get(f"/staff/tips/media/{photo.id}", status=403)
    testapp.get(f"/staff/tips/media/{photo.id}?thumb=1", status=403)
    sign_in(testapp, "admin_city", totp_secret=ADMIN_SECRET)
    testapp.get(f"/staff/tips/media/{photo.id}", status=403)


def test_a_tip_without_contact_files_or_point(testapp, dbsession, units, officers):
    bare = make_tip(dbsession, units["county_a"], description="Bare tip")
    sign_in(testapp, "mod_county")
    page = testapp.get(f"/staff/tips/{bare.id}")
    assert "The reporter left no contact." in page.text and "No files were sent" in page.text
    assert page.html.select_one("[data-point-map]") is None
    assert re.search(r"no point given", page.text)
    assert dbsession.get(Tip, bare.id).state == "received"
