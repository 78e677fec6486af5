"""Retention of ended family requests (missing/jobs.py): the family's contact, the verification note
and the appeal's photos (rows and files) go N days after it was resolved, rejected or withdrawn."""
from datetime import timedelta

from sqlalchemy import func, select

from portal.core.meta import utcnow
from portal.media.models import Media
from portal.missing import jobs as missing_jobs
from portal.missing import services as missing
from tests.factories import make_missing_request, make_officer, sign_in
from tests.retention import assert_one_event, own_photo, purge_events


def request_with_photo(dbsession, registry, unit, state, days_ago):
    made = make_missing_request(dbsession, registry["field_cipher"], unit, state=state,
                                verification_how="Called the mother at 13800000000")
    photo = own_photo(dbsession, registry["media_store"], notice=made.notice)
    made.notice.missing_person.medical_needs = registry["field_cipher"].encrypt("Asthma", "missing.medical_needs")
    made.notice.missing_person.medical_needs_public = True
    made.notice.vehicle_plate = "冀A·12345"
    if state == "resolved":  # it was published, then resolved
        made.notice.state, made.notice.published_at = "resolved", utcnow() - timedelta(days=days_ago + 30)
    made.updated_at = utcnow() - timedelta(days=days_ago)
    dbsession.flush()
    return made, photo.original_key


def test_ended_requests_past_the_period_lose_contact_and_photos(dummy_request, dbsession, registry, units):
    store = registry["media_store"]
    resolved, key1 = request_with_photo(dbsession, registry, units["city_a"], "resolved", 91)
    rejected, key2 = request_with_photo(dbsession, registry, units["city_a"], "rejected", 95)
    rejected_name = rejected.notice.missing_person.full_name
    young, key3 = request_with_photo(dbsession, registry, units["city_a"], "withdrawn", 89)
    published, key4 = request_with_photo(dbsession, registry, units["city_a"], "published", 300)

    assert missing_jobs.purge_ended(dummy_request) == 2

    for row, key in ((resolved, key1), (rejected, key2)):
        dbsession.refresh(row)
        assert row.purged_at is not None and (row.family_contact, row.verification_how) == ("", "")
        assert not store.exists(key)
        assert dbsession.execute(select(func.count()).select_from(Media).where(Media.notice_id == row.notice_id)
                                 ).scalar_one() == 0
        # The medical needs are protected like the contact: they go with it, published or not.
        assert row.notice.missing_person.medical_needs is None and not row.notice.missing_person.medical_needs_public
    for row, key in ((young, key3), (published, key4)):
        dbsession.refresh(row)
        assert row.purged_at is None and row.family_contact and store.exists(key)
        assert row.notice.missing_person.medical_needs
    # The never-published appeal forgets the person too; the published (now resolved) one keeps its record.
    assert rejected.notice.missing_person.full_name == "" and "Person" not in rejected.notice.title
    assert rejected.notice.vehicle_plate == "" and resolved.notice.vehicle_plate == "冀A·12345"
    assert resolved.notice.missing_person.full_name.startswith("Person")
    assert_one_event(dbsession, "missing_request", "2 missing_request(s) past retention: 2 photos, 2 contacts, "
                     "1 descriptions", "13800000000", "Li Hua", rejected_name)
    assert missing_jobs.purge_ended(dummy_request) == 0
    assert len(purge_events(dbsession, "missing_request")) == 1

    # A dispatcher asking for the purged contact gets nothing (audited), not an error.
    officer = make_officer(dbsession, units["city_a"], ["dispatcher"], username="disp_missing")
    sign_in(dummy_request, officer)
    assert missing.reveal_contact(dummy_request, resolved, "Family asks for a copy of the file") == {}
