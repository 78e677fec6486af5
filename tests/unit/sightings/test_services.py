import io
import json
import os
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter, RateLimited
from portal.audit.models import AuditEvent
from portal.core.localtime import LOCAL_TZ
from portal.core.pagination import BadCursor
from portal.core.refused import Refused
from portal.media.models import ORIGINAL_NAME_LABEL, Media
from portal.media.uploads import UploadRefused
from portal.privacy import receipts
from portal.sightings import services as sightings
from portal.sightings.models import Sighting
from portal.sightings.resources import SightingContext
from tests.factories import jpeg_bytes, make_notice, make_officer, make_sighting, sign_in


@pytest.fixture
def notice(dbsession, units):
    return make_notice(dbsession, units["county_a"], kind="missing_person")


def upload(data: bytes, name="photo.jpg"):
    return SimpleNamespace(file=io.BytesIO(data), filename=name)


def count(dbsession, model):
    return dbsession.execute(select(func.count()).select_from(model)).scalar_one()


def submit(request, notice, **kw):
    values = {"seen_at": datetime(2026, 11, 24, 18, 30, tzinfo=LOCAL_TZ), "text": "  Saw her at the gate.  ",
              "place": " Gate 3 "}
    sighting, _code = sightings.submit(request, notice, **{**values, **kw})
    return sighting


def test_submit_issues_a_receipt_for_the_sighting_in_its_transaction(dummy_request, dbsession, notice):
    sighting, code = sightings.submit(dummy_request, notice, seen_at=None, text="Saw her.", place="Gate")
    assert receipts.is_well_formed(code)
    receipt = receipts.lookup(dbsession, dummy_request.registry["receipt_hasher"], code)
    assert (receipt.subject_type, receipt.subject_id) == ("sighting", sighting.id)
    assert code not in receipt.code_hash  # only the slow hash is kept


def test_submit_stores_the_row_routed_to_the_notices_unit_and_audits(dummy_request, dbsession, notice, units):
    sighting = submit(dummy_request, notice, contact_name="Li", contact_phone="139 0000 0000")
    assert (sighting.state, sighting.unit_id, sighting.notice_id) == ("received", units["county_a"].id, notice.id)
    assert (sighting.text, sighting.place) == ("Saw her at the gate.", "Gate 3")
    assert sighting.seen_at == datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    assert "139" not in sighting.contact
    cipher = dummy_request.registry["field_cipher"]
    assert json.loads(cipher.decrypt(sighting.contact, "sighting.contact")) == {"name": "Li", "phone": "139 0000 0000"}
    event = dbsession.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.actor, event.officer_id, event.object_id, event.reason) == (
        "sighting.received", "public", None, str(sighting.id), f"notice {notice.id}")


def test_submit_with_a_photo_keeps_it_off_the_notice(dummy_request, dbsession, notice):
    store = dummy_request.registry["media_store"]
    sighting = submit(dummy_request, notice, photos=[upload(jpeg_bytes(), "IMG_1.jpg")])
    media = sighting.media
    assert (media.notice_id, media.kind, media.content_type) == (None, "image", "image/jpeg")
    assert "IMG_1" not in media.original_name_sealed
    cipher = dummy_request.registry["field_cipher"]
    assert cipher.decrypt(media.original_name_sealed, ORIGINAL_NAME_LABEL) == "IMG_1.jpg"
    assert store.exists(media.original_key) and store.exists(media.public_key) and store.exists(media.thumb_key)
    dbsession.expire_all()
    assert dbsession.get(Media, media.id).notice_id is None
    assert notice.media == []


@pytest.mark.parametrize("photos", [[upload(b"not an image")], [upload(b"")],
                                    [upload(jpeg_bytes()), upload(jpeg_bytes())]])
def test_a_refused_photo_stores_nothing(dummy_request, dbsession, notice, photos, app_settings):
    files = sum(len(f) for _, _, f in os.walk(app_settings["portal.media_dir"]))
    with pytest.raises(UploadRefused):
        submit(dummy_request, notice, photos=photos)
    assert [count(dbsession, m) for m in (Sighting, Media, AuditEvent)] == [0, 0, 0]
    assert sum(len(f) for _, _, f in os.walk(app_settings["portal.media_dir"])) == files


@pytest.mark.parametrize("name,phone,expected", [("", "", None), ("  ", " ", None), ("Li", "", {"name": "Li", "phone": ""}),
                                                 ("", "110", {"name": "", "phone": "110"})])
def test_contact_is_sealed_only_when_given(dummy_request, name, phone, expected):
    token = sightings.seal_contact(dummy_request, name, phone)
    if expected is None:
        assert token is None
    else:
        assert json.loads(dummy_request.registry["field_cipher"].decrypt(token, "sighting.contact")) == expected


@pytest.fixture
def moderator(dbsession, units):
    return make_officer(dbsession, units["city_a"], ["moderator"], username="m")


def test_transition_keeps_the_reason_and_audits_the_officer(dummy_request, dbsession, notice, moderator):
    sighting = make_sighting(dbsession, notice)
    sightings.transition(sign_in(dummy_request, moderator, SightingContext, sighting), sighting, "review", " matches the camera ")
    assert (sighting.state, sighting.reason) == ("reviewed", "matches the camera")
    event = dbsession.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.officer_id, event.actor) == ("sighting.review", moderator.id, "officer:m")
    with pytest.raises(Refused):
        sightings.transition(sign_in(dummy_request, moderator, SightingContext, sighting), sighting, "close", "")
    assert sighting.state == "reviewed"


def test_reveal_contact_audits_first_and_needs_a_reason(dummy_request, dbsession, notice, moderator):
    cipher = dummy_request.registry["field_cipher"]
    sighting = make_sighting(dbsession, notice, cipher=cipher, contact='{"name": "Li", "phone": "13900000000"}')
    with pytest.raises(Refused):
        sightings.reveal_contact(dummy_request, sighting, "no", officer=moderator)
    assert count(dbsession, AuditEvent) == 0
    assert sightings.reveal_contact(dummy_request, sighting, "calling back", officer=moderator) == {
        "name": "Li", "phone": "13900000000"}
    event = dbsession.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.object_type, event.object_id, event.reason) == (
        "protected.reveal", "sighting", str(sighting.id), "sighting.contact: calling back")
    assert "13900000000" not in event.reason


def test_queue_is_scoped_filtered_and_newest_first(dbsession, units, notice, moderator):
    city_notice = make_notice(dbsession, units["city_a"])
    elsewhere = make_sighting(dbsession, make_notice(dbsession, units["city_b"]))
    old = make_sighting(dbsession, notice, created_at=datetime.now(UTC) - timedelta(hours=1))
    new = make_sighting(dbsession, city_notice, state="reviewed")
    rows, cursor = sightings.queue(dbsession, moderator)
    assert rows == [new, old] and cursor is None
    assert sightings.queue(dbsession, moderator, state="reviewed")[0] == [new]
    assert sightings.queue(dbsession, moderator, notice_id=notice.id)[0] == [old]
    province = make_officer(dbsession, units["province"], ["moderator"])
    assert elsewhere in sightings.queue(dbsession, province)[0]
    assert sightings.counts(dbsession, moderator) == {"received": 1, "reviewed": 1, "forwarded": 0, "closed": 0}
    assert sightings.counts(dbsession, moderator, notice_id=notice.id)["reviewed"] == 0
    with pytest.raises(ValueError):
        sightings.queue(dbsession, moderator, state="lost")


def test_queue_pages_by_keyset_without_losing_equal_times(dbsession, notice, moderator):
    same = datetime.now(UTC).replace(microsecond=0)
    made = {make_sighting(dbsession, notice, created_at=same - timedelta(minutes=i // 3)).id for i in range(10)}
    seen, cursor = [], None
    while True:
        rows, cursor = sightings.queue(dbsession, moderator, cursor=cursor, size=4)
        seen += [r.id for r in rows]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made) and len(seen) == 10
    with pytest.raises(BadCursor):
        sightings.queue(dbsession, moderator, cursor="garbage!")


def test_count_attempt_limits_each_address(dummy_request, registry):
    registry.registerUtility(MemoryRateLimiter(), IRateLimiter)
    limit = int(registry.settings["portal.sighting.rate_per_hour"])
    for _ in range(limit):
        sightings.count_attempt(dummy_request)
    with pytest.raises(RateLimited) as refused:
        sightings.count_attempt(dummy_request)
    assert 0 < refused.value.retry_after <= 3600
