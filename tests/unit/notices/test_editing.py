"""The notice editing service: drafts, stale edits, four eyes, reasons, expiry; every step audited."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.audit.models import AuditEvent
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.notices import editing as notice_editing
from portal.notices import jobs as notice_jobs
from portal.notices.models import Notice
from tests.factories import make_notice


def events(dbsession, notice):
    return [e.action for e in dbsession.execute(
        select(AuditEvent).where(AuditEvent.object_id == str(notice.id)).order_by(AuditEvent.id)).scalars()]


def audit_count(dbsession):
    return dbsession.execute(select(func.count(AuditEvent.id))).scalar_one()


def draft(request, units, kind="vehicle", **values):
    values.setdefault("title", "Stolen van")
    values.setdefault("body", "A white van.")
    return notice_editing.create_draft(request, kind=kind, unit=units["city_a"], values=values)


def test_create_draft_keeps_only_the_kinds_fields_and_audits(as_officer, author, units, dbsession):
    request = as_officer(author)
    notice = draft(request, units, vehicle_plate="冀A12345", reward_amount=500, unit_id="9", version=7)
    assert (notice.state, notice.author_id, notice.slug) == ("draft", author.id, f"vehicle-{notice.id}")
    assert notice.vehicle_plate == "冀A12345" and notice.reward_amount is None  # not a vehicle field
    assert events(dbsession, notice) == ["notice.created"]


def test_officers_cannot_write_missing_person_notices(as_officer, author, units):
    with pytest.raises(ValueError):
        draft(as_officer(author), units, kind="missing_person")


def test_walk_from_draft_to_published_to_resolved(as_officer, author, reviewer, units, dbsession, purged):
    notice = draft(as_officer(author), units)
    notice_editing.transition(as_officer(author, notice), notice, "submit")
    notice_editing.transition(as_officer(reviewer, notice), notice, "request_changes", "Add the plate number")
    assert (notice.state, notice.review_note) == ("draft", "Add the plate number")
    notice_editing.transition(as_officer(author, notice), notice, "submit")
    assert not purged()  # a draft and a notice in review are on no public answer
    notice_editing.transition(as_officer(reviewer, notice), notice, "approve")
    assert purged() == {f"notice-{notice.id}", "notice-list"}
    assert notice.state == "published" and notice.approver_id == reviewer.id and notice.review_note == ""
    assert notice.published_at == notice.updated_at
    notice_editing.transition(as_officer(reviewer, notice), notice, "resolve", "Vehicle recovered")
    assert notice.state == "resolved" and notice.resolved_at is not None
    assert events(dbsession, notice) == ["notice.created", "notice.submit", "notice.request_changes",
                                         "notice.submit", "notice.approve", "notice.resolve"]
    last = dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (last.actor, last.from_state, last.to_state, last.reason) == (
        "officer:reviewer", "published", "resolved", "Vehicle recovered")
    assert purged() == {f"notice-{notice.id}", "notice-list"}  # the resolution too, in its transaction


def test_the_author_can_never_approve(as_officer, author, units, dbsession):
    notice = draft(as_officer(author), units)
    notice_editing.transition(as_officer(author, notice), notice, "submit")
    before = audit_count(dbsession)
    with pytest.raises(Refused, match="Four eyes"):
        notice_editing.transition(as_officer(author, notice), notice, "approve")
    assert notice.state == "in_review" and notice.approver_id is None and audit_count(dbsession) == before


@pytest.mark.parametrize("step,state", [("request_changes", "in_review"), ("resolve", "published"),
                                        ("retract", "published")])
@pytest.mark.parametrize("reason", ["", "   "])
def test_steps_that_need_a_reason_refuse_without_one(as_officer, reviewer, units, dbsession, step, state, reason):
    notice = make_notice(dbsession, units["city_a"], state=state)
    before = audit_count(dbsession)
    with pytest.raises(Refused, match="reason"):
        notice_editing.transition(as_officer(reviewer, notice), notice, step, reason)
    assert notice.state == state and audit_count(dbsession) == before


@pytest.mark.parametrize("step", ["expire", "no_such_step"])
def test_expire_and_unknown_steps_are_not_for_officers(as_officer, reviewer, units, dbsession, step):
    notice = make_notice(dbsession, units["city_a"])
    with pytest.raises(Refused):
        notice_editing.transition(as_officer(reviewer, notice), notice, step, "a reason")
    assert notice.state == "published"


def test_a_step_from_the_wrong_state_is_refused(as_officer, reviewer, units, dbsession):
    notice = make_notice(dbsession, units["city_a"], state="draft")
    with pytest.raises(Refused, match="not possible while the notice is"):
        notice_editing.transition(as_officer(reviewer, notice), notice, "approve")
    assert notice.state == "draft"


def test_missing_person_notices_are_left_to_their_own_workflow(as_officer, reviewer, units, dbsession):
    notice = make_notice(dbsession, units["city_a"], kind="missing_person")
    with pytest.raises(Refused, match="missing-person"):
        notice_editing.transition(as_officer(reviewer, notice), notice, "retract", "a reason")
    with pytest.raises(Refused, match="missing-person"):
        notice_editing.update(as_officer(reviewer), notice, {"title": "x"}, version=notice.version)
    assert notice.state == "published" and notice.title != "x"


def test_update_changes_fields_moves_the_version_and_audits(as_officer, author, units, dbsession, purged):
    # A draft: an edit of a published notice waits for a second officer instead (test_revisions.py).
    notice = make_notice(dbsession, units["city_a"], kind="reward_task", state="draft")
    notice.updated_at = notice.created_at = utcnow() - timedelta(minutes=5)
    dbsession.flush()
    version, published_at = notice.version, notice.updated_at
    changed = notice_editing.update(as_officer(author), notice, {"title": notice.title, "reward_amount": 800,
                                                                 "caution": "not a reward field"},
                                    version=version)
    assert changed == ["reward_amount"] and notice.reward_amount == 800 and notice.caution == ""
    assert notice.version == version + 1 and notice.updated_at > published_at
    assert events(dbsession, notice)[-1] == "notice.edited" and not purged()  # a draft is not public


def test_an_edit_that_changes_nothing_writes_nothing(as_officer, author, units, dbsession):
    notice = make_notice(dbsession, units["city_a"], state="draft")
    before = audit_count(dbsession), notice.version
    assert notice_editing.update(as_officer(author), notice, {"title": notice.title}, version=notice.version) == []
    assert (audit_count(dbsession), notice.version) == before


@pytest.mark.parametrize("version", [0, None])
def test_update_from_a_stale_form_is_refused(as_officer, author, units, dbsession, version):
    notice = make_notice(dbsession, units["city_a"], state="draft", title="Original")
    with pytest.raises(Refused, match="Someone else saved"):
        notice_editing.update(as_officer(author), notice, {"title": "Mine"}, version=version)
    assert notice.title == "Original"


def test_a_save_racing_another_is_refused_and_the_session_stays_usable(as_officer, author, units, dbsession):
    notice = make_notice(dbsession, units["city_a"], state="draft", title="Original")
    seen = notice.version
    # Another officer's save lands after this request read the notice.
    dbsession.execute(update(Notice).where(Notice.id == notice.id)
                      .values(title="Theirs", version=Notice.version + 1).execution_options(synchronize_session=False))
    with pytest.raises(Refused, match="Someone else saved"):
        notice_editing.update(as_officer(author), notice, {"title": "Mine"}, version=seen)
    dbsession.refresh(notice)
    assert (notice.title, notice.version) == ("Theirs", seen + 1)
    assert "notice.edited" not in events(dbsession, notice)


@pytest.mark.parametrize("state", ["in_review", "resolved", "expired", "retracted"])
def test_only_drafts_and_published_notices_can_be_edited(as_officer, author, units, dbsession, state):
    notice = make_notice(dbsession, units["city_a"], state=state, title="Kept")
    with pytest.raises(Refused, match="can no longer be edited"):
        notice_editing.update(as_officer(author), notice, {"title": "Changed"}, version=notice.version)
    assert notice.title == "Kept"


def test_expire_due_moves_only_overdue_staff_notices(dummy_request, units, dbsession, purged):
    past, future = utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=1)
    due = make_notice(dbsession, units["city_a"], expires_at=past)
    later = make_notice(dbsession, units["city_a"], expires_at=future)
    never = make_notice(dbsession, units["city_a"])
    person = make_notice(dbsession, units["city_a"], kind="missing_person", expires_at=past)
    assert notice_jobs.expire_due(dummy_request) == 1
    assert [n.state for n in (due, later, never, person)] == ["expired", "published", "published", "published"]
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "notice.expire")).scalar_one()
    assert event.actor == "system" and event.object_id == str(due.id) and "expiry time" in event.reason
    assert f"notice-{due.id}" in purged() and "notice-list" in purged()
    assert notice_jobs.expire_due(dummy_request) == 0
