"""Changes to published notices wait for a second officer (issue 10, finding 8): the public keeps the
approved version, the author cannot approve their own change, a stale approval is refused, and the
audit keeps each changed field's old and new value."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.audit.models import AuditEvent
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.notices import cap, revisions, staff_queries
from portal.notices import editing as notice_editing
from portal.notices.models import Notice, NoticeRevision
from tests.factories import make_notice, make_officer


@pytest.fixture
def colleague(dbsession, units):
    return make_officer(dbsession, units["city_a"], ["moderator"], username="colleague")


@pytest.fixture
def published(dbsession, units):
    return make_notice(dbsession, units["city_a"], kind="vehicle", title="Stolen van", body="A white van.",
                       vehicle_plate="冀A11111", minutes_ago=30)


def last_event(dbsession, action):
    return dbsession.execute(select(AuditEvent).where(AuditEvent.action == action)
                             .order_by(AuditEvent.id.desc()).limit(1)).scalar_one()


def diff_of(event):
    prefix, _, text = event.reason.partition(": ")
    assert prefix.startswith("revision ")
    return json.loads(text)


def propose(request, notice, pending=None, **values):
    return notice_editing.update(request, notice, values, version=notice.version, pending=pending)


def pending(dbsession, notice):
    return revisions.pending_for(dbsession, notice)


def test_an_edit_of_a_published_notice_is_not_public_until_approved(as_officer, author, published, dbsession,
                                                                      purged):
    before = (published.version, published.updated_at)
    changed = propose(as_officer(author, published), published, title="Stolen van (blue now)", vehicle_colour="blue")
    assert changed == ["title", "vehicle_colour"]
    # The notice, what every public page, feed, CAP message and index is made of, is as it was.
    assert (published.title, published.vehicle_colour) == ("Stolen van", "")
    assert (published.version, published.updated_at) == before and not purged()
    revision = pending(dbsession, published)
    assert (revision.state, revision.author_id, revision.base_version) == ("pending", author.id, published.version)
    assert revision.old_values == {"title": "Stolen van", "vehicle_colour": ""}
    assert revision.new_values == {"title": "Stolen van (blue now)", "vehicle_colour": "blue"}
    event = last_event(dbsession, "notice.revision_proposed")
    assert (event.object_type, event.object_id, event.actor) == ("notice", str(published.id), "officer:author")
    assert diff_of(event) == {"title": {"old": "Stolen van", "new": "Stolen van (blue now)"},
                              "vehicle_colour": {"old": "", "new": "blue"}}


def test_the_author_cannot_approve_their_own_change(as_officer, author, published, dbsession, purged):
    propose(as_officer(author, published), published, title="Mine")
    revision = pending(dbsession, published)
    with pytest.raises(Refused, match="you proposed this change, so you cannot approve it") as refused:
        revisions.approve(as_officer(author, published), published, revision.id, version=revision.version)
    assert refused.value.status == 403
    assert (revision.state, published.title) == ("pending", "Stolen van") and not purged()


def test_a_second_officer_approves_and_the_change_goes_public(as_officer, author, reviewer, published, dbsession,
                                                             purged):
    expires = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    propose(as_officer(author, published), published, body="A white van, dented.", expires_at=expires)
    revision = pending(dbsession, published)
    version, updated_at = published.version, published.updated_at
    now = utcnow()
    assert cap.message(published, now, horizon=timedelta(days=30), cancel_for=timedelta(days=7)).msg_type == "Alert"
    revisions.approve(as_officer(reviewer, published), published, revision.id, version=revision.version)
    assert (published.body, published.expires_at) == ("A white van, dented.", expires)
    assert published.version == version + 1 and published.updated_at > updated_at and f"notice-{published.id}" in purged()
    assert (revision.state, revision.decided_by_id, revision.pending_notice_id) == ("approved", reviewer.id, None)
    assert pending(dbsession, published) is None
    # CAP consumers get an Update with the new text.
    assert cap.message(published, utcnow(), horizon=timedelta(days=30), cancel_for=timedelta(days=7)).msg_type == "Update"
    event = last_event(dbsession, "notice_revision.approve")
    assert (event.object_type, event.object_id, event.actor) == ("notice_revision", str(revision.id), "officer:reviewer")
    assert (event.from_state, event.to_state) == ("pending", "approved")
    assert diff_of(event) == {"body": {"old": "A white van.", "new": "A white van, dented."},
                              "expires_at": {"old": None, "new": expires.isoformat()}}


def test_an_officer_outside_the_notices_units_cannot_approve(as_officer, author, published, dbsession, units):
    outsider = make_officer(dbsession, units["city_b"], ["moderator"], username="outsider")
    propose(as_officer(author, published), published, title="Mine")
    revision = pending(dbsession, published)
    with pytest.raises(Refused, match="Your role does not allow"):
        revisions.approve(as_officer(outsider, published), published, revision.id, version=revision.version)
    assert revision.state == "pending"


def test_reject_needs_a_reason_and_keeps_the_public_version(as_officer, author, reviewer, published, dbsession,
                                                           purged):
    propose(as_officer(author, published), published, vehicle_plate="冀A99999")
    revision = pending(dbsession, published)
    with pytest.raises(Refused, match="Give a reason"):
        revisions.reject(as_officer(reviewer, published), published, revision.id, "  ", version=revision.version)
    revisions.reject(as_officer(reviewer, published), published, revision.id, "Plate not confirmed",
                     version=revision.version)
    assert (revision.state, revision.reason, revision.decided_by_id) == ("rejected", "Plate not confirmed", reviewer.id)
    assert published.vehicle_plate == "冀A11111" and not purged()
    event = last_event(dbsession, "notice_revision.reject")
    assert event.reason == f"revision {revision.id}: Plate not confirmed"
    with pytest.raises(Refused) as late:
        revisions.approve(as_officer(reviewer, published), published, revision.id, version=revision.version)
    assert late.value.status == 409 and published.vehicle_plate == "冀A11111"


def test_approving_after_the_notice_changed_is_refused(as_officer, author, reviewer, published, dbsession):
    propose(as_officer(author, published), published, title="Mine")
    revision = pending(dbsession, published)
    # The notice changes after the change was proposed (another step, another save).
    dbsession.execute(update(Notice).where(Notice.id == published.id).values(version=Notice.version + 1)
                      .execution_options(synchronize_session=False))
    dbsession.expire(published)
    with pytest.raises(Refused, match="The notice changed after this change was proposed") as refused:
        revisions.approve(as_officer(reviewer, published), published, revision.id, version=revision.version)
    assert refused.value.status == 409
    assert (revision.state, published.title) == ("pending", "Stolen van")


def test_approving_from_a_page_that_showed_another_version_of_the_change_is_refused(
        as_officer, author, reviewer, published, dbsession):
    propose(as_officer(author, published), published, title="Mine")
    revision = pending(dbsession, published)
    with pytest.raises(Refused, match="Someone else changed this meanwhile"):
        revisions.approve(as_officer(reviewer, published), published, revision.id, version=revision.version - 1)
    assert revision.state == "pending" and published.title == "Stolen van"


def test_a_newer_edit_supersedes_the_pending_change(as_officer, author, colleague, reviewer, published, dbsession):
    propose(as_officer(author, published), published, title="First")
    first = pending(dbsession, published)
    propose(as_officer(colleague, published), published, pending=first.id, title="Second", body="Better.")
    second = pending(dbsession, published)
    assert (first.state, first.pending_notice_id, first.decided_by_id) == ("superseded", None, colleague.id)
    assert second.new_values == {"title": "Second", "body": "Better."} and second.author_id == colleague.id
    # The officer who proposed the first change may approve the second: it is not theirs.
    revisions.approve(as_officer(author, published), published, second.id, version=second.version)
    assert (published.title, published.body) == ("Second", "Better.")
    with pytest.raises(Refused) as stale:
        revisions.approve(as_officer(reviewer, published), published, first.id, version=first.version)
    assert stale.value.status == 409


def test_an_edit_that_did_not_see_the_pending_change_is_refused(as_officer, author, colleague, published, dbsession):
    propose(as_officer(author, published), published, title="First")
    first = pending(dbsession, published)
    with pytest.raises(Refused, match="Someone else proposed a change") as refused:
        propose(as_officer(colleague, published), published, pending=None, title="Second")
    assert refused.value.status == 409
    assert pending(dbsession, published) is first and first.new_values == {"title": "First"}


def test_an_edit_back_to_the_public_version_withdraws_the_change(as_officer, author, published, dbsession):
    propose(as_officer(author, published), published, title="First")
    first = pending(dbsession, published)
    assert propose(as_officer(author, published), published, pending=first.id, title="Stolen van") == []
    assert first.state == "superseded" and pending(dbsession, published) is None


def test_long_values_are_cut_in_the_audit_but_kept_whole_in_the_revision(as_officer, author, reviewer, published,
                                                                         dbsession):
    body = "长" * 20_000
    propose(as_officer(author, published), published, body=body)
    revision = pending(dbsession, published)
    assert revision.new_values["body"] == body
    cut = diff_of(last_event(dbsession, "notice.revision_proposed"))["body"]["new"]
    assert cut.startswith("长" * revisions.AUDIT_VALUE_CHARS) and cut.endswith("(20000 characters)")
    revisions.approve(as_officer(reviewer, published), published, revision.id, version=revision.version)
    assert published.body == body
    assert len(last_event(dbsession, "notice_revision.approve").reason) < 2 * revisions.AUDIT_VALUE_CHARS + 200


def test_drafts_are_edited_directly_without_a_revision(as_officer, author, units, dbsession):
    draft = make_notice(dbsession, units["city_a"], state="draft", title="Draft title")
    assert propose(as_officer(author, draft), draft, title="New draft title") == ["title"]
    assert draft.title == "New draft title"
    assert dbsession.execute(select(NoticeRevision)).scalars().all() == []


def test_two_edits_saved_at_once_cannot_both_be_pending(as_officer, author, colleague, published, dbsession,
                                                        monkeypatch):
    propose(as_officer(author, published), published, title="First")
    first = pending(dbsession, published)
    # The colleague's request read "no pending change" just before the author's was stored.
    monkeypatch.setattr(revisions, "pending_for", lambda dbsession, notice: None)
    with pytest.raises(Refused, match="Someone else proposed a change") as refused:
        propose(as_officer(colleague, published), published, title="Second")
    assert refused.value.status == 409
    monkeypatch.undo()
    # Only this step was undone: the session goes on, with the first change still the pending one.
    assert pending(dbsession, published) is first and first.state == "pending"
    assert dbsession.execute(select(NoticeRevision)).scalars().all() == [first]


def test_the_review_queue_and_its_count_hold_published_notices_with_a_pending_change(
        as_officer, author, reviewer, published, dbsession, units):
    other = make_notice(dbsession, units["city_a"], title="No change")
    assert staff_queries.review_queue(dbsession, reviewer) == []
    propose(as_officer(author, published), published, title="Mine")
    assert staff_queries.review_queue(dbsession, reviewer) == [published]
    assert staff_queries.review_queue_count(dbsession, reviewer) == 1
    assert staff_queries.with_pending_change(dbsession, [published, other]) == {published.id}
