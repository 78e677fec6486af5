"""Forms taking finished resumable uploads by id (`<field>:upload`): stored as if sent with the form,
claimed only when the form stores them; another session's upload, or an unfinished one, is refused."""
import hashlib

import pytest
import webtest
from sqlalchemy import select

from portal.media.resumable.models import Upload
from portal.sightings.models import Sighting
from portal.tips.models import Tip
from tests import media_samples as m
from tests.factories import jpeg_bytes, make_notice
from tests.functional.resumable_client import Tus, page_token
from tests.functional.test_tip_form import areas, category, fill, form_of, send  # noqa: F401  (fixtures)

MP4 = m.mp4(b"\x00\x00\x00\x10fake-h264-frames" * 20000)


def uploads(dbsession) -> list:
    dbsession.expire_all()
    return dbsession.scalars(select(Upload)).all()


def tip_page(testapp):
    form = fill(form_of(testapp))
    return form, Tus(testapp, form["csrf_token"].value)


def test_a_tip_takes_finished_uploads_and_claims_them(testapp, dbsession, areas, category):  # noqa: F811
    form, tus = tip_page(testapp)
    video = tus.upload(MP4, filename="van.mp4")
    photo = tus.upload(jpeg_bytes(), filename="plate.jpg")
    fields = [(n, v) for n, v in form.submit_fields("send") if n != "attachments"]
    fields += [("attachments:upload", video), ("attachments:upload", photo)]
    page = testapp.post(form.action or form.response.request.url, fields, content_type="multipart/form-data", status=200)
    assert "Tip received" in page.text
    (tip,) = dbsession.scalars(select(Tip)).all()
    first, second = tip.attachments
    assert (first.media.kind, first.media.sha256, first.media.size) == ("video", hashlib.sha256(MP4).hexdigest(),
                                                                         len(MP4))
    assert second.media.kind == "image"
    assert uploads(dbsession) == []  # claimed by the form's transaction


def test_a_refused_tip_keeps_its_uploads_for_the_next_try(testapp, dbsession, areas, category):  # noqa: F811
    form, tus = tip_page(testapp)
    video = tus.upload(MP4)
    form["description"] = ""
    fields = [(n, v) for n, v in form.submit_fields("send") if n != "attachments"] + [("attachments:upload", video)]
    testapp.post(form.action or form.response.request.url, fields, content_type="multipart/form-data", status=400)
    assert [u.id for u in uploads(dbsession)] == [video]


def test_another_sessions_or_an_unfinished_upload_is_refused(app, testapp, dbsession, areas, category):  # noqa: F811
    other = webtest.TestApp(app, extra_environ=dict(testapp.extra_environ))
    theirs = Tus(other, page_token(other)).upload(MP4)
    form, tus = tip_page(testapp)
    unfinished = tus.new(len(MP4))
    for upload_id, reason in ((theirs, "no longer available"),
                              (unfinished.rsplit("/", 1)[1], "has not finished uploading")):
        form = fill(form_of(testapp))  # a form is sent once
        fields = [(n, v) for n, v in form.submit_fields("send") if n != "attachments"]
        page = testapp.post(form.action or form.response.request.url, fields + [("attachments:upload", upload_id)],
                            content_type="multipart/form-data", status=400)
        assert reason in page.text
    assert len(uploads(dbsession)) == 2  # nothing claimed


@pytest.fixture
def notice(dbsession, units):
    return make_notice(dbsession, units["city_a"], kind="missing_person", title="Missing: Zhang Lan, 9")


def test_a_sighting_takes_a_photo_upload(testapp, dbsession, notice):
    form = testapp.get(f"/notices/{notice.id}/sightings/new").forms["deform"]
    form["seen_at"] = "2026-01-01T10:00"
    form["place"] = "Bus stop"
    form["text"] = "A girl in a red coat at the bus stop."
    photo = Tus(testapp, form["csrf_token"].value).upload(jpeg_bytes(), purpose="photo", filename="IMG_1.jpg")
    fields = [(n, v) for n, v in form.submit_fields("send") if n != "photo"] + [("photo:upload", photo)]
    testapp.post(form.action or form.response.request.url, fields, content_type="multipart/form-data", status=200)
    (sighting,) = dbsession.scalars(select(Sighting)).all()
    assert sighting.media.kind == "image" and sighting.media.sha256 == hashlib.sha256(jpeg_bytes()).hexdigest()
    assert uploads(dbsession) == []


def test_finished_uploads_go_into_the_bucket_with_the_s3_store(s3_media, testapp, dbsession, areas, category):  # noqa: F811
    test_a_tip_takes_finished_uploads_and_claims_them(testapp, dbsession, areas, category)
    (tip,) = dbsession.scalars(select(Tip)).all()
    assert all(s3_media.stored_sha256(a.media.original_key) == a.media.sha256 for a in tip.attachments)
