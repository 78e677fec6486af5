"""What a careless or forged post does to the forms of a staff notice page (notices/views/staff.py,
a MultiFormView): a file part where text goes, a NUL, a reason over its length, a change number that is
no number, a step or a form the page does not offer. A clear 4xx page, what was typed kept, nothing
saved; a NUL is dropped and the rest taken."""
from sqlalchemy import func, select
from webtest import Upload

from portal.audit.models import AuditEvent
from portal.notices.models import NoticeRevision
from tests.factories import make_notice
from tests.functional import test_staff_notices as staff_notices
from tests.functional.test_staff_notices import actions, as_

# The staff notices' fixtures: moderators of city A (author, reviewer), the province and others.
officers = staff_notices.officers
NOT_TEXT = "Type this as text: a file cannot go here."


def audit_count(dbsession):
    return dbsession.execute(select(func.count(AuditEvent.id))).scalar_one()


def page_and_token(testapp, notice):
    page = testapp.get(f"/staff/notices/{notice.id}")
    return page, page.html.select_one("input[name=csrf_token]")["value"]


def test_a_file_part_or_an_overlong_reason_in_a_step_is_a_400_with_the_reason_kept(testapp, dbsession, officers,
                                                                                   units):
    notice = make_notice(dbsession, units["city_a"], title="Retract me")
    as_(testapp, officers["reviewer"])
    page, token = page_and_token(testapp, notice)
    before = audit_count(dbsession)
    refused = testapp.post(f"/staff/notices/{notice.id}", [("csrf_token", token), ("transition", "retract"),
                                                           ("reason", Upload("r.txt", b"Published by mistake"))],
                           status=400)
    assert NOT_TEXT in refused.html.select_one(".alert-danger").text
    form = page.forms["transition-retract"]
    form["reason"] = "x" * 4001
    refused = form.submit(status=400)
    assert "Please keep the reason under 4000 characters." in refused.text
    assert refused.forms["transition-retract"]["reason"].value == "x" * 4001
    assert notice.state == "published" and audit_count(dbsession) == before


def test_a_nul_in_a_reason_is_dropped_and_the_step_taken(testapp, dbsession, officers, units):
    notice = make_notice(dbsession, units["city_a"], title="Retract me")
    as_(testapp, officers["reviewer"])
    form = testapp.get(f"/staff/notices/{notice.id}").forms["transition-retract"]
    form["reason"] = "Published\x00 by mistake"
    form.submit(status=303)
    assert notice.state == "retracted" and actions(dbsession, notice) == ["notice.retract"]
    (event,) = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "notice.retract")).scalars()
    assert event.reason == "Published by mistake"


def test_a_file_part_under_an_edit_field_is_a_400_with_the_rest_kept(testapp, dbsession, officers, units):
    notice = make_notice(dbsession, units["city_a"], kind="vehicle", state="draft", title="Stolen car")
    as_(testapp, officers["reviewer"])
    form = testapp.get(f"/staff/notices/{notice.id}").forms["edit"]
    fields = [(name, Upload("t.txt", b"Stolen van") if name == "title" else value)
              for name, value in form.submit_fields("save")]
    fields = [(name, "white" if name == "vehicle_colour" else value) for name, value in fields]
    refused = testapp.post(f"/staff/notices/{notice.id}", fields, status=400)
    assert NOT_TEXT in refused.text and "Pstruct" not in refused.text  # at its field, in our words
    assert refused.forms["edit"]["vehicle_colour"].value == "white"
    assert notice.title == "Stolen car" and actions(dbsession, notice) == []


def test_a_change_number_that_is_no_number_or_no_step_is_refused_clearly(testapp, dbsession, officers, units):
    notice = make_notice(dbsession, units["city_a"], kind="wanted", title="Wanted: robbery suspect")
    as_(testapp, officers["author"])
    form = testapp.get(f"/staff/notices/{notice.id}").forms["edit"]
    form["title"] = "Wrong title"
    form.submit("save", status=303)
    (revision,) = dbsession.execute(select(NoticeRevision)).scalars().all()
    as_(testapp, officers["reviewer"])
    page, token = page_and_token(testapp, notice)
    before = audit_count(dbsession)
    url = f"/staff/notices/{notice.id}"
    for value in ("\u00b2", "\u0663", "99999999999", ""):  # "²".isdigit(), but int("²") fails
        refused = testapp.post(url, {"csrf_token": token, "revision_step": "approve", "revision": value,
                                     "revision_version": str(revision.version)}, status=404)
        assert "This change is not one of this notice" in refused.text
    for step in ("fly", ""):
        refused = testapp.post(url, {"csrf_token": token, "revision_step": step, "revision": str(revision.id),
                                     "revision_version": str(revision.version), "reason": "Kept reason"},
                               status=400)
        assert "Choose one of the buttons on the page." in refused.html.select_one(".alert-danger").text
    refused = testapp.post(url, {"csrf_token": token, "transition": "fly"}, status="*")
    assert 400 <= refused.status_int < 500 and refused.html.select_one(".alert-danger") is not None
    dbsession.refresh(revision)
    assert revision.state == "pending" and notice.title == "Wanted: robbery suspect"
    assert audit_count(dbsession) == before
