"""The public notice read with Core (notices/public_reading.py) holds what the ORM holds for every
attribute a public answer reads, its photos in Notice.media's order, and the same cache tags."""
from portal.core.meta import utcnow
from portal.notices import public_reading
from portal.notices.purge_tags import notice_tags
from tests.factories import make_notice, make_photo


def _same(record, row, names):
    return {name: getattr(record, name) for name in names} == {name: getattr(row, name) for name in names}


def test_a_missing_person_with_photos_reads_as_the_orm_has_it(dbsession, units, registry):
    notice = make_notice(dbsession, units["city_a"], kind="missing_person", caution="Take care",
                         verified_by_unit_id=units["province"].id, verified_at=utcnow())
    notice.missing_person.last_seen_lat, notice.missing_person.last_seen_lon = 38.04, 114.51
    photos = [make_photo(dbsession, registry["media_store"], notice) for _ in range(3)]
    photos[0].position, photos[1].position, photos[2].position = 3, 1, 2
    photos[1].alt_text = "In a red coat"
    dbsession.flush()
    dbsession.expire_all()

    record = public_reading.public_notice(dbsession, notice.id)
    assert _same(record, notice, public_reading.NOTICE_COLUMNS) and record.is_public
    assert _same(record.missing_person, notice.missing_person, public_reading.PERSON_COLUMNS)
    assert record.missing_person.is_minor == notice.missing_person.is_minor
    assert [p.id for p in record.media] == [m.id for m in notice.media] == [photos[1].id, photos[2].id, photos[0].id]
    assert all(_same(p, m, public_reading.PHOTO_COLUMNS) for p, m in zip(record.media, notice.media, strict=True))
    assert (record.unit.code, record.unit.phone_110, record.verified_by_unit.code) == \
        (notice.unit.code, notice.unit.phone_110, units["province"].code)
    assert notice_tags(record) == notice_tags(notice) == (
        f"notice-{notice.id}", f"unit-{units['city_a'].code}", f"unit-{units['province'].code}")


def test_a_notice_without_person_or_photo_and_an_absent_one(dbsession, units):
    notice = make_notice(dbsession, units["city_a"], kind="vehicle", vehicle_plate="冀A12345", state="draft")
    record = public_reading.public_notice(dbsession, notice.id)
    assert record.missing_person is None and record.media == () and record.verified_by_unit is None
    assert record.vehicle_plate == "冀A12345" and not record.is_public
    assert public_reading.public_notice(dbsession, notice.id + 1000) is None


def test_the_pages_extras_are_made_once_per_record_language_and_address(dbsession, units, dummy_request):
    from dataclasses import replace

    from portal.notices import page_extras

    notice = make_notice(dbsession, units["city_a"], kind="wanted", suspect_description="Tall")
    record = public_reading.public_notice(dbsession, notice.id)
    url = f"http://portal.test/notices/{notice.id}"
    first = page_extras.page(dummy_request, record, url)
    assert page_extras.page(dummy_request, public_reading.public_notice(dbsession, notice.id), url) is first
    assert ("og:title", notice.title) in first["open_graph"] and first["kind_facts"][0][1] == "Tall"
    edited = page_extras.page(dummy_request, replace(record, title="Edited", suspect_description="Short"), url)
    assert edited is not first and ("og:title", "Edited") in edited["open_graph"]
    assert edited["kind_facts"][0][1] == "Short" and "Edited" in edited["share"]["mailto"]
    assert page_extras.page(dummy_request, record, "https://elsewhere.test/n") is not first
