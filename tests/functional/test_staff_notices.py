"""Officers write, review, publish, update and close notices through the staff forms; four eyes,
reasons, stale saves and unit scope are enforced, and the public sees only what is published."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.core.localtime import machine_time
from portal.core.meta import utcnow
from portal.notices.models import Notice
from tests.factories import make_alarm, make_missing_request, make_notice, make_officer, make_sighting
from tests.functional.helpers import login


@pytest.fixture
def officers(dbsession, units):
    return {
        "author": make_officer(dbsession, units["city_a"], ["moderator"], username="author_a"),
        "reviewer": make_officer(dbsession, units["city_a"], ["moderator"], username="reviewer_a"),
        "province": make_officer(dbsession, units["province"], ["moderator"], username="reviewer_p"),
        "county": make_officer(dbsession, units["county_a"], ["moderator"], username="mod_county"),
        "unrelated": make_officer(dbsession, units["city_b"], ["moderator"], username="mod_b"),
    }


def as_(testapp, officer):
    testapp.reset()
    login(testapp, officer.username)


def audit_count(dbsession):
    return dbsession.execute(select(func.count(AuditEvent.id))).scalar_one()


def actions(dbsession, notice):
    return [e.action for e in dbsession.execute(
        select(AuditEvent).where(AuditEvent.object_type == "notice", AuditEvent.object_id == str(notice.id))
        .order_by(AuditEvent.id)).scalars()]


def step(testapp, notice, name, reason=None, status=303):
    form = testapp.get(f"/staff/notices/{notice.id}").forms[f"transition-{name}"]
    if reason is not None:
        form["reason"] = reason
    return form.submit(status=status)


def write_draft(testapp, dbsession, kind="wanted", **fields):
    chooser = testapp.get("/staff/notices/new")
    form = chooser.click(href=f"kind={kind}").forms["deform"]
    fields.setdefault("title", "Wanted: robbery suspect")
    fields.setdefault("body", "Robbery at the market on 3 May.")
    for name, value in fields.items():
        form[name] = value
    page = form.submit("save", status=303).follow()
    return dbsession.execute(select(Notice).order_by(Notice.id.desc()).limit(1)).scalar_one(), page


def test_every_step_through_the_forms_and_each_is_audited(testapp, dbsession, officers, units):
    as_(testapp, officers["author"])
    notice, page = write_draft(testapp, dbsession, suspect_description="Male, about 30, scar on the left cheek",
                               caution="May be armed. Do not approach.")
    assert "Draft saved" in page.text
    assert (notice.state, notice.kind, notice.unit_id, notice.author_id) == (
        "draft", "wanted", units["city_a"].id, officers["author"].id)
    assert notice.caution == "May be armed. Do not approach."
    step(testapp, notice, "submit")
    assert notice.state == "in_review"
    assert testapp.get(f"/notices/{notice.id}", status=404)

    # The author sees why they cannot approve, and no approve button.
    page = testapp.get(f"/staff/notices/{notice.id}")
    assert "transition-approve" not in page.forms and "four eyes" in page.text

    as_(testapp, officers["reviewer"])
    assert notice.title in testapp.get("/staff/notices").html.select_one(".review-queue").text
    step(testapp, notice, "request_changes", reason="Add the date of the robbery to the title")
    assert (notice.state, notice.review_note) == ("draft", "Add the date of the robbery to the title")

    as_(testapp, officers["author"])
    page = testapp.get(f"/staff/notices/{notice.id}")
    assert "Add the date of the robbery to the title" in page.html.select_one(".review-note").text
    form = page.forms["edit"]
    form["title"] = "Wanted: market robbery suspect, 3 May"
    form.submit("save", status=303)
    step(testapp, notice, "submit")

    as_(testapp, officers["reviewer"])
    step(testapp, notice, "approve")
    assert notice.state == "published" and notice.approver_id == officers["reviewer"].id
    public = testapp.get(f"/notices/{notice.id}")
    assert "Wanted: market robbery suspect, 3 May" in public.text and "updated" not in public.html.select_one(".meta").text
    assert "May be armed" in public.html.select_one(".caution").text

    step(testapp, notice, "resolve", reason="Suspect arrested")
    assert notice.state == "resolved" and notice.resolved_at is not None
    testapp.get(f"/notices/{notice.id}", status=404)
    assert actions(dbsession, notice) == ["notice.created", "notice.submit", "notice.request_changes",
                                          "notice.edited", "notice.submit", "notice.approve", "notice.resolve"]
    history = testapp.get(f"/staff/notices/{notice.id}").html.select_one("table.history").text
    assert "Suspect arrested" in history and "reviewer_a" in history and "Notice: resolved" in history
    # A closed notice offers neither edit form nor further steps.
    page = testapp.get(f"/staff/notices/{notice.id}")
    assert "edit" not in page.forms and not [f for f in page.forms if str(f).startswith("transition-")]


def test_a_higher_units_officer_may_approve(testapp, dbsession, officers, units):
    notice = make_notice(dbsession, units["county_a"], state="in_review", author_id=officers["county"].id)
    as_(testapp, officers["province"])
    step(testapp, notice, "approve")
    assert notice.state == "published" and notice.approver_id == officers["province"].id


def test_the_author_cannot_approve_their_own_notice(testapp, dbsession, officers, units):
    notice = make_notice(dbsession, units["city_a"], state="in_review", author_id=officers["author"].id)
    as_(testapp, officers["author"])
    form = testapp.get(f"/staff/notices/{notice.id}").forms["transition-request_changes"]
    form["transition"].force_value("approve")  # a forged approve from the author
    before = audit_count(dbsession)
    page = form.submit(status=403)  # not theirs to do (the engine's four-eyes guard)
    assert "Four eyes: you wrote this notice, so you cannot approve it." in page.text
    assert notice.state == "in_review" and notice.approver_id is None and audit_count(dbsession) == before


@pytest.mark.parametrize("name,state", [("request_changes", "in_review"), ("retract", "published"),
                                        ("resolve", "published")])
def test_steps_without_a_reason_are_refused(testapp, dbsession, officers, units, name, state):
    notice = make_notice(dbsession, units["city_a"], state=state)
    as_(testapp, officers["reviewer"])
    before = audit_count(dbsession)
    page = step(testapp, notice, name, reason="  ", status=400)
    assert "Give a reason." in page.text
    assert notice.state == state and audit_count(dbsession) == before


def test_retract_with_a_reason_takes_the_notice_off_public_pages(testapp, dbsession, officers, units):
    notice = make_notice(dbsession, units["city_a"], title="Retract me")
    as_(testapp, officers["reviewer"])
    assert "Retract me" in testapp.get("/notices").text
    assert "Retracted" in step(testapp, notice, "retract", reason="Published by mistake").follow().text
    assert notice.state == "retracted"
    assert "Retract me" not in testapp.get("/notices").text
    testapp.get(f"/notices/{notice.id}", status=404)
    assert actions(dbsession, notice) == ["notice.retract"]


def test_a_second_save_from_a_stale_form_is_refused_and_the_form_kept(testapp, dbsession, officers, units):
    notice = make_notice(dbsession, units["city_a"], kind="vehicle", state="draft", title="Stolen car",
                         vehicle_plate="冀A11111")
    as_(testapp, officers["reviewer"])
    first = testapp.get(f"/staff/notices/{notice.id}").forms["edit"]
    second = testapp.get(f"/staff/notices/{notice.id}").forms["edit"]
    first["vehicle_colour"] = "white"
    first.submit("save", status=303)
    second["title"] = "Stolen car (second officer)"
    page = second.submit("save", status=409)
    assert "your changes were NOT saved" in page.text
    assert page.forms["edit"]["title"].value == "Stolen car (second officer)"
    assert page.forms["edit"]["version"].value == str(notice.version)
    assert (notice.title, notice.vehicle_colour) == ("Stolen car", "white")
    assert actions(dbsession, notice) == ["notice.edited"]


def test_a_resolved_notice_cannot_be_edited(testapp, dbsession, officers, units):
    notice = make_notice(dbsession, units["city_a"], title="Old title")
    as_(testapp, officers["reviewer"])
    form = testapp.get(f"/staff/notices/{notice.id}").forms["edit"]
    step(testapp, notice, "resolve", reason="Found")
    form["title"] = "New title"
    page = form.submit("save", status=400)
    assert "This notice is resolved: it can no longer be edited." in page.text
    assert notice.title == "Old title" and "notice.edited" not in actions(dbsession, notice)


def test_editing_a_published_notice_shows_an_updated_time_publicly(testapp, dbsession, officers, units):
    notice = make_notice(dbsession, units["city_a"], kind="lost_found", minutes_ago=30)
    assert "updated" not in testapp.get(f"/notices/{notice.id}").html.select_one(".meta").text
    as_(testapp, officers["reviewer"])
    form = testapp.get(f"/staff/notices/{notice.id}").forms["edit"]
    form["found_place"] = "Bus station lost property office"
    assert "waiting for approval" in form.submit("save", status=303).follow().text
    as_(testapp, officers["author"])  # a second officer approves the change (four eyes)
    testapp.get(f"/staff/notices/{notice.id}").forms["revision-approve"].submit(status=303)
    testapp.reset()
    public = testapp.get(f"/notices/{notice.id}")
    updated = public.html.select_one(".meta .updated time")
    assert updated is not None and updated["datetime"] == machine_time(notice.updated_at)
    assert "Bus station lost property office" in public.text


def test_invalid_edit_is_refused_with_the_form_kept(testapp, dbsession, officers, units):
    notice = make_notice(dbsession, units["city_a"], kind="reward_task", title="Reward")
    as_(testapp, officers["reviewer"])
    form = testapp.get(f"/staff/notices/{notice.id}").forms["edit"]
    form["reward_conditions"] = "Kept conditions"
    form["reward_amount"] = "-5"
    page = form.submit("save", status=400)
    assert page.forms["edit"]["reward_conditions"].value == "Kept conditions"
    assert notice.reward_conditions == "" and actions(dbsession, notice) == []


@pytest.mark.parametrize("who", ["unrelated", "county"])
def test_officers_outside_the_notices_unit_or_above_get_403(testapp, dbsession, officers, units, who):
    notice = make_notice(dbsession, units["city_a"], state="in_review", title="City A only")
    as_(testapp, officers[who])
    testapp.get(f"/staff/notices/{notice.id}", status=403)
    # A valid CSRF token (from the nav's sign-out form) does not open the door either.
    csrf = testapp.get("/staff").html.select_one("input[name=csrf_token]")["value"]
    testapp.post(f"/staff/notices/{notice.id}", {"csrf_token": csrf, "transition": "approve"}, status=403)
    assert notice.state == "in_review"
    assert "City A only" not in testapp.get("/staff/notices").text


def test_expired_notice_is_gone_from_public_pages_and_the_api(testapp, dbsession, units):
    notice = make_notice(dbsession, units["city_a"], title="Expired appeal",
                         expires_at=utcnow() + timedelta(hours=1))
    assert "Expired appeal" in testapp.get("/notices").text
    notice.expires_at = utcnow() - timedelta(seconds=1)
    dbsession.flush()
    assert "Expired appeal" not in testapp.get("/notices").text
    assert "Expired appeal" not in testapp.get("/").text
    testapp.get(f"/notices/{notice.id}", status=404)
    assert "Expired appeal" not in testapp.get("/api/v1/notices").text
    testapp.get(f"/api/v1/notices/{notice.id}", status=404)


@pytest.mark.parametrize("state", ["draft", "in_review"])
def test_drafts_and_notices_in_review_are_404_publicly(testapp, dbsession, officers, units, state):
    notice = make_notice(dbsession, units["city_a"], state=state, title="Not yet public")
    testapp.get(f"/notices/{notice.id}", status=404)
    testapp.get(f"/notices/{notice.id}/poster", status=404)
    testapp.get(f"/api/v1/notices/{notice.id}", status=404)
    assert "Not yet public" not in testapp.get("/notices").text


def test_new_notice_offers_every_kind_but_missing_persons(testapp, officers):
    as_(testapp, officers["author"])
    hrefs = [a["href"] for a in testapp.get("/staff/notices/new").html.select(".kind-choices a")]
    assert sorted(h.split("kind=")[1] for h in hrefs) == ["case_appeal", "lost_found", "reward_task", "vehicle",
                                                          "wanted"]
    for kind in ("missing_person", "nonsense"):
        assert "Choose one of these kinds" in testapp.get(f"/staff/notices/new?kind={kind}", status=400).text


@pytest.mark.parametrize("kind,fields", [
    ("lost_found", {"item_description": "Black wallet", "found_place": "Line 2 metro"}),
    ("case_appeal", {}),
    ("vehicle", {"vehicle_plate": "冀A12345", "vehicle_make": "Geely", "vehicle_model": "Emgrand",
                 "vehicle_colour": "silver"}),
    ("reward_task", {"reward_amount": "5000", "reward_conditions": "Information leading to an arrest"}),
])
def test_each_kind_has_its_own_fields(testapp, dbsession, officers, units, kind, fields):
    as_(testapp, officers["author"])
    notice, _page = write_draft(testapp, dbsession, kind=kind, unit_id=str(units["county_a"].id), **fields)
    assert notice.kind == kind and notice.unit_id == units["county_a"].id
    for name, value in fields.items():
        assert str(getattr(notice, name)) == value
    assert actions(dbsession, notice) == ["notice.created"]


def test_bad_draft_input_is_refused_with_the_form_kept(testapp, dbsession, officers, units):
    as_(testapp, officers["author"])
    before = dbsession.execute(select(func.count(Notice.id))).scalar_one(), audit_count(dbsession)
    form = testapp.get("/staff/notices/new?kind=reward_task").forms["deform"]
    form["title"] = "Kept title"
    form["body"] = ""
    form["reward_amount"] = "lots"
    form["expires_at"] = "2001-01-01 10:00"
    form["unit_id"].force_value(str(units["city_b"].id))  # outside the author's scope
    page = form.submit("save", status=400)
    assert page.forms["deform"]["title"].value == "Kept title"
    assert "Required" in page.text and "must be in the future" in page.text
    assert "Choose a unit you administer" in page.text
    assert (dbsession.execute(select(func.count(Notice.id))).scalar_one(), audit_count(dbsession)) == before


def test_missing_person_notices_are_read_only_here(testapp, dbsession, officers, units):
    notice = make_notice(dbsession, units["city_a"], kind="missing_person", title="Missing girl")
    as_(testapp, officers["reviewer"])
    page = testapp.get(f"/staff/notices/{notice.id}")
    assert "Missing girl" in page.text and "/staff/missing" in page.text
    assert "edit" not in page.forms
    assert not any(str(key).startswith("transition-") for key in page.forms)
    csrf = page.html.select_one("input[name=csrf_token]")["value"]
    refused = testapp.post(f"/staff/notices/{notice.id}", {"csrf_token": csrf, "transition": "retract",
                                                           "reason": "x"}, status=400)
    assert "missing-person requests queue" in refused.text
    testapp.post(f"/staff/notices/{notice.id}", {"csrf_token": csrf, "title": "Changed", "version": "1"},
                 status=400)
    assert notice.state == "published" and notice.title == "Missing girl"


def test_list_is_scoped_filtered_and_paged_by_keyset(testapp, dbsession, officers, units):
    for i in range(33):
        make_notice(dbsession, units["county_a"], kind="vehicle", state="draft", title=f"Car {i:02d}")
    make_notice(dbsession, units["city_a"], kind="wanted", title="Wanted in A")
    make_notice(dbsession, units["city_b"], kind="wanted", title="Wanted in B")
    as_(testapp, officers["reviewer"])
    page = testapp.get("/staff/notices")
    assert "Wanted in A" in page.text and "Wanted in B" not in page.text
    filtered = testapp.get("/staff/notices?state=draft&kind=vehicle")
    seen = [a.text for a in filtered.html.select("table.data tbody a") if a.text.startswith("Car")]
    link = filtered.html.select_one('a[rel="next"]')
    assert link is not None and "state=draft" in link["href"] and "kind=vehicle" in link["href"]
    seen += [a.text for a in testapp.get(link["href"]).html.select("table.data tbody a") if a.text.startswith("Car")]
    assert sorted(seen) == [f"Car {i:02d}" for i in range(33)]
    assert "Wanted in A" not in filtered.text
    assert "Choose a state and a kind" in testapp.get("/staff/notices?state=bogus", status=400).text
    assert "not valid" in testapp.get("/staff/notices?page=garbage", status=400).text


def test_staff_nav_and_dashboard_counts(testapp, dbsession, registry, units):
    cipher = registry["field_cipher"]
    make_officer(dbsession, units["city_a"], ["moderator", "dispatcher"], username="both")
    published = make_notice(dbsession, units["county_a"], kind="missing_person")
    make_sighting(dbsession, published)
    make_sighting(dbsession, published, state="reviewed")
    make_sighting(dbsession, make_notice(dbsession, units["city_b"]))  # outside the scope
    make_missing_request(dbsession, cipher, units["county_a"], units["city_a"])
    make_missing_request(dbsession, cipher, units["county_a"], units["city_a"], state="verifying")
    make_missing_request(dbsession, cipher, units["county_a"], units["city_a"], state="rejected", reason="no")
    make_missing_request(dbsession, cipher, units["county_b"], units["city_b"])
    make_notice(dbsession, units["city_a"], state="in_review")
    make_alarm(dbsession, units["county_a"])
    make_alarm(dbsession, units["city_a"], state="closed")
    make_alarm(dbsession, units["city_b"])  # outside the scope
    login(testapp, "both")
    page = testapp.get("/staff")
    counts = {li.select_one("a").text.strip(): li.select_one(".count").text for li in page.html.select(".queues li")
              if li.select_one("a")}
    assert counts == {"Notices waiting for review": "1", "Sightings received": "1",
                      "Missing-person requests waiting": "2", "Open alarms": "1", "Tips waiting for triage": "0"}
    # The label without the queue's count beside it (staff/layout.html).
    nav = {a.find(string=True, recursive=False).strip(): a["href"] for a in page.html.select(".staff-nav a")}
    assert nav["Notices"] == "/staff/notices" and nav["Missing-person requests"] == "/staff/missing"
    assert nav["Sightings"] == "/staff/sightings" and nav["Alarms"] == "/staff/alarms"


def test_nav_shows_only_what_the_role_may_open(testapp, dbsession, units):
    make_officer(dbsession, units["city_a"], ["handler"], username="only_handler")
    login(testapp, "only_handler")
    nav = [a.text for a in testapp.get("/staff").html.select(".staff-nav a")]
    assert "Notices" not in nav and "Sightings" not in nav and "Missing-person requests" not in nav
    assert "Alarms" not in nav
