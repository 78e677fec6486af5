"""The portal with its media in a bucket (portal.media.backend = s3) of a real SeaweedFS (tests/seaweed.py):
a reporter sends a tip with a photo, an officer of the unit opens it; every file is in the bucket (none
on the app server's disk), served only through the portal after its checks, byte ranges included."""
import os

import pytest
import webtest
from sqlalchemy import select

import portal
from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter
from portal.core.settings import SettingsError
from portal.media.s3_store import S3MediaStore
from portal.tips.models import Tip
from tests.conftest import TEST_CLIENT_ADDR
from tests.factories import jpeg_bytes, make_officer
from tests.functional.helpers import login
from tests.functional.test_tip_form import areas, category, fill, form_of, send  # noqa: F401 - fixtures


@pytest.fixture(scope="module")
def bucket(seaweed):
    return seaweed.new_bucket("portal")


@pytest.fixture(scope="module")
def s3_app(app_settings, engine, seaweed, bucket, tmp_path_factory):
    settings = {**app_settings, **seaweed.portal_settings(bucket),
                "portal.media_dir": str(tmp_path_factory.mktemp("scratch"))}
    return portal.main({}, **settings)


@pytest.fixture
def s3_testapp(s3_app, tm, dbsession):
    s3_app.registry.registerUtility(MemoryRateLimiter(), IRateLimiter)
    return webtest.TestApp(s3_app, extra_environ={
        "HTTP_HOST": "localhost", "HTTP_ACCEPT_LANGUAGE": "en", "REMOTE_ADDR": TEST_CLIENT_ADDR,
        "tm.active": True, "tm.manager": tm, "app.dbsession": dbsession})


def media_files(directory: str) -> list[str]:
    return [name for root, dirs, names in os.walk(directory) for name in names
            if not any(part.startswith(".") for part in os.path.relpath(root, directory).split(os.sep))]


def test_a_tip_with_a_photo_is_kept_in_the_bucket_and_served_to_its_unit_only(
        s3_testapp, s3_app, dbsession, seaweed, bucket, areas, category):  # noqa: F811 - fixtures
    store = s3_app.registry["media_store"]
    assert isinstance(store, S3MediaStore)
    shot = jpeg_bytes(size=(640, 480))
    page = send(s3_testapp, fill(form_of(s3_testapp)), status=200, files=[("IMG_1.jpg", shot, "image/jpeg")])
    assert "Tip received" in page.text
    tip = dbsession.execute(select(Tip)).scalar_one()
    media = tip.attachments[0].media
    client = seaweed.client()
    original = client.get_object(Bucket=bucket, Key=media.original_key)["Body"].read()
    assert original == shot and media.size == len(shot)  # the original, unchanged, in the bucket
    for key in (media.public_key, media.thumb_key):
        assert client.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0
    assert media_files(s3_app.registry.settings["portal.media_dir"]) == []  # nothing on the server's disk

    make_officer(dbsession, areas["county_a"], ["moderator"], username="mod_s3")
    make_officer(dbsession, areas["county_b"], ["moderator"], username="mod_other")
    login(s3_testapp, "mod_other")
    s3_testapp.get(f"/staff/tips/media/{media.id}", status=403)  # another unit's tip: the portal refuses
    s3_testapp.get("/logout")
    s3_testapp.reset()
    login(s3_testapp, "mod_s3")
    tip_page = s3_testapp.get(f"/staff/tips/{tip.id}")
    assert tip_page.html.select_one(f'img[src="/staff/tips/media/{media.id}?thumb=1"]') is not None
    copy = s3_testapp.get(f"/staff/tips/media/{media.id}")
    public = client.get_object(Bucket=bucket, Key=media.public_key)["Body"].read()
    assert copy.content_type == "image/jpeg" and copy.body == public
    assert copy.headers["Cache-Control"] == "no-store"
    thumb = s3_testapp.get(f"/staff/tips/media/{media.id}?thumb=1")
    assert thumb.body == client.get_object(Bucket=bucket, Key=media.thumb_key)["Body"].read()
    part = s3_testapp.get(f"/staff/tips/media/{media.id}", headers={"Range": "bytes=100-299"}, status=206)
    assert part.body == public[100:300] and part.headers["Content-Range"] == f"bytes 100-299/{len(public)}"


def test_bad_credentials_stop_the_app_at_start_up(app_settings, seaweed, bucket, tmp_path):
    settings = {**app_settings, **seaweed.portal_settings(bucket), "portal.media_dir": str(tmp_path),
                "portal.media.s3.access_key": "nobody-we-know"}
    with pytest.raises(SettingsError, match="refused the credentials for bucket"):
        portal.main({}, **settings)


def test_a_bucket_that_fails_refuses_the_tip_clearly_and_stores_nothing(s3_testapp, s3_app, dbsession, seaweed,
                                                                        bucket, areas, category):  # noqa: F811
    registry = s3_app.registry
    working = registry["media_store"]
    registry["media_store"] = S3MediaStore(seaweed.client(secret_key="not-the-secret-0123456789"), bucket,
                                           registry.settings["portal.media_dir"])
    try:
        page = send(s3_testapp, fill(form_of(s3_testapp)), files=[("IMG_1.jpg", jpeg_bytes(), "image/jpeg")])
    finally:
        registry["media_store"] = working
    assert 400 <= page.status_int < 500 and "could not be stored. Please try again." in page.text
    assert "110" in page.text and page.forms["deform"]["description"].value  # fallbacks; the form kept
    assert dbsession.execute(select(Tip)).scalars().all() == []
