"""Four eyes on changes to published notices (issue 10, finding 8), through the staff forms: an
edit of a published notice waits for a second officer, the public pages and API keep the approved
version meanwhile, the author cannot approve it, a rejection keeps the public version, a stale
approval is refused, and the audit holds each field's old and new value."""
import json

import pytest
import webtest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.notices.models import NoticeRevision
from tests.factories import make_notice, make_officer
from tests.functional.helpers import login


@pytest.fixture
def officers(dbsession, units):
    return {
        "author": make_officer(dbsession, units["city_a"], ["moderator"], username="author_a"),
        "reviewer": make_officer(dbsession, units["city_a"], ["moderator"], username="reviewer_a"),
        "colleague": make_officer(dbsession, units["city_a"], ["moderator"], username="colleague_a"),
        "unrelated": make_officer(dbsession, units["city_b"], ["moderator"], username="mod_b"),
    }


@pytest.fixture
def notice(dbsession, units):
    return make_notice(dbsession, units["city_a"], kind="wanted", title="Wanted: robbery suspect",
                       body="Robbery at the market on 3 May.", caution="Do not approach.", minutes_ago=30)


def as_(testapp, officer):
    testapp.reset()
    login(testapp, officer.username)


def client_of(testapp, officer):
    """A second browser, signed in as `officer`, whose pages stay open while others act."""
    client = webtest.TestApp(testapp.app, extra_environ=dict(testapp.extra_environ))
    login(client, officer.username)
    return client


def staff_page(testapp, notice, status=200):
    return testapp.get(f"/staff/notices/{notice.id}", status=status)


def edit(testapp, notice, **fields):
    form = staff_page(testapp, notice).forms["edit"]
    for name, value in fields.items():
        form[name] = value
    return form.submit("save", status=303).follow()


def public_view(testapp, notice):
    """What the public sees: the page and the API (a fresh client, no staff session)."""
    testapp.reset()
    return testapp.get(f"/notices/{notice.id}").text, testapp.get(f"/api/v1/notices/{notice.id}").json


def events(dbsession, action):
    return dbsession.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars().all()


def diff_of(event):
    return json.loads(event.reason.partition(": ")[2])


def test_a_change_is_public_only_after_a_second_officer_approves_it(testapp, dbsession, officers, notice):
    as_(testapp, officers["author"])
    page = edit(testapp, notice, title="Wanted: market robbery suspect", caution="May be armed. Do not approach.")
    assert "waiting for approval" in page.text
    panel = page.html.select_one(".revision-panel")
    assert "Wanted: robbery suspect" in panel.text and "Wanted: market robbery suspect" in panel.text
    assert "May be armed" in panel.text and "You proposed this change" in panel.text
    assert "revision-approve" not in page.forms  # not the author's to approve
    # The edit form starts from the pending change.
    assert page.forms["edit"]["title"].value == "Wanted: market robbery suspect"

    text, api = public_view(testapp, notice)
    assert "Wanted: robbery suspect" in text and "market robbery" not in text and "May be armed" not in text
    assert api["title"] == "Wanted: robbery suspect" and "May be armed" not in json.dumps(api, ensure_ascii=False)
    assert testapp.get("/feeds/notices.atom").text.count("market robbery") == 0

    as_(testapp, officers["reviewer"])
    queue = testapp.get("/staff/notices").html.select_one(".review-queue")  # where the reviewer finds it
    assert notice.title in queue.text and "change waiting for approval" in queue.text
    page = staff_page(testapp, notice)
    assert "Change waiting for approval" in page.text
    page = page.forms["revision-approve"].submit(status=303).follow()
    assert "Change approved" in page.text and not page.html.select_one(".revision-panel")
    text, api = public_view(testapp, notice)
    assert "Wanted: market robbery suspect" in text and "May be armed" in text
    assert api["title"] == "Wanted: market robbery suspect"

    proposed, = events(dbsession, "notice.revision_proposed")
    approved, = events(dbsession, "notice_revision.approve")
    expected = {"caution": {"old": "Do not approach.", "new": "May be armed. Do not approach."},
                "title": {"old": "Wanted: robbery suspect", "new": "Wanted: market robbery suspect"}}
    assert diff_of(proposed) == diff_of(approved) == expected
    assert (proposed.actor, approved.actor) == ("officer:author_a", "officer:reviewer_a")
    as_(testapp, officers["reviewer"])
    table = staff_page(testapp, notice).html.select_one("table.history")
    assert {"notice.revision_proposed", "notice_revision.approve"} <= {
        row["data-action"] for row in table.select("tr[data-action]")}
    assert "Notice: change proposed" in table.text and "Change: approved" in table.text


def test_the_author_cannot_approve_their_own_change(testapp, dbsession, officers, notice):
    as_(testapp, officers["author"])
    edit(testapp, notice, body="A new text.")
    revision = dbsession.execute(select(NoticeRevision)).scalar_one()
    # A forged approve from the author (the page offers them no approve button).
    form = staff_page(testapp, notice).forms["edit"]
    page = testapp.post(f"/staff/notices/{notice.id}", {
        "csrf_token": form["csrf_token"].value, "revision_step": "approve", "revision": str(revision.id),
        "revision_version": str(revision.version)}, status=403)
    assert "Four eyes: you proposed this change, so you cannot approve it." in page.text
    assert revision.state == "pending" and notice.body == "Robbery at the market on 3 May."
    assert events(dbsession, "notice_revision.approve") == []


def test_an_officer_of_another_unit_cannot_see_or_approve_the_change(testapp, dbsession, officers, notice):
    as_(testapp, officers["author"])
    edit(testapp, notice, body="A new text.")
    as_(testapp, officers["unrelated"])
    staff_page(testapp, notice, status=403)
    assert dbsession.execute(select(NoticeRevision)).scalar_one().state == "pending"


def test_reject_needs_a_reason_and_keeps_the_public_version(testapp, dbsession, officers, notice):
    as_(testapp, officers["author"])
    edit(testapp, notice, title="Wrong title")
    as_(testapp, officers["reviewer"])
    form = staff_page(testapp, notice).forms["revision-reject"]
    page = form.submit(status=400)
    assert "Give a reason." in page.text
    form = page.forms["revision-reject"]
    form["reason"] = "The title must name the market"
    page = form.submit(status=303).follow()
    assert "Change rejected" in page.text and not page.html.select_one(".revision-panel")
    revision = dbsession.execute(select(NoticeRevision)).scalar_one()
    assert (revision.state, revision.reason) == ("rejected", "The title must name the market")
    text, api = public_view(testapp, notice)
    assert "Wrong title" not in text and api["title"] == "Wanted: robbery suspect"
    assert notice.title == "Wanted: robbery suspect"
    rejected, = events(dbsession, "notice_revision.reject")
    assert rejected.reason == f"revision {revision.id}: The title must name the market"


def test_a_stale_approval_is_refused(testapp, dbsession, officers, notice):
    as_(testapp, officers["author"])
    edit(testapp, notice, title="First change")
    reviewer = client_of(testapp, officers["reviewer"])
    approve = staff_page(reviewer, notice).forms["revision-approve"]  # the reviewer's page, still open
    # Meanwhile a colleague replaces the change with a newer one.
    as_(testapp, officers["colleague"])
    page = edit(testapp, notice, title="Second change")
    assert "waiting for approval" in page.text
    first, second = dbsession.execute(select(NoticeRevision).order_by(NoticeRevision.id)).scalars()
    assert (first.state, second.state) == ("superseded", "pending")
    page = approve.submit(status=409)
    assert "Someone else changed this meanwhile" in page.text
    assert notice.title == "Wanted: robbery suspect" and first.state == "superseded"
    # The page now shows the newer change, which the reviewer may approve.
    assert "Second change" in page.html.select_one(".revision-panel").text
    approve = page.forms["revision-approve"]
    # And the notice itself changes (it is retracted) before that approval lands.
    retract = staff_page(testapp, notice).forms["transition-retract"]  # the colleague
    retract["reason"] = "Published by mistake"
    retract.submit(status=303)
    page = approve.submit(status=409)
    assert "The notice changed after this change was proposed, so it was NOT applied." in page.text
    assert notice.title == "Wanted: robbery suspect" and second.state == "pending"


def test_an_edit_from_a_form_that_did_not_show_the_pending_change_is_refused(testapp, dbsession, officers, notice):
    colleague = client_of(testapp, officers["colleague"])
    stale = staff_page(colleague, notice).forms["edit"]
    as_(testapp, officers["author"])
    edit(testapp, notice, title="The author's change")
    stale["title"] = "The colleague's change"
    page = stale.submit("save", status=409)
    assert "Someone else proposed a change to this notice" in page.text
    assert page.forms["edit"]["title"].value == "The colleague's change"  # what was typed is kept
    assert "The author's change" in page.html.select_one(".revision-panel").text
    # Saved again from the page that shows the pending change, it replaces it.
    page = page.forms["edit"].submit("save", status=303).follow()
    pending = dbsession.execute(select(NoticeRevision).where(NoticeRevision.state == "pending")).scalar_one()
    assert pending.new_values == {"title": "The colleague's change"}


def test_drafts_are_edited_as_before(testapp, dbsession, officers, units):
    draft = make_notice(dbsession, units["city_a"], state="draft", title="Draft title", author_id=officers["author"].id)
    as_(testapp, officers["author"])
    page = edit(testapp, draft, title="Better draft title")
    assert "Saved." in page.text and not page.html.select_one(".revision-panel")
    assert draft.title == "Better draft title"
    assert dbsession.execute(select(NoticeRevision)).scalars().all() == []
