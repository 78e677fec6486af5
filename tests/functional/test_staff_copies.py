"""Playable staff copies on the tip page: "preparing" until the worker made the copy, then a player of
the copy with its poster and duration, served with the same checks as the tip's other files; a copy that
could not be made says so and offers the original to the assigned handler."""
import pytest

from portal.media import copy_jobs
from portal.media.models import Media
from portal.tips.models import TipAttachment
from tests.functional.test_staff_tips import assign, category, csrf, events, officers, sign_in, tip  # noqa: F401
from tests.transcode_samples import SECRET_TITLE, make_sample

pytestmark = pytest.mark.usefixtures("units")


def attach(dbsession, store, tip, data: bytes, kind: str, content_type: str, suffix: str) -> Media:  # noqa: F811
    """A file sent with the tip as tips/media.py stores it: the original and a pending staff copy."""
    key, sha, size = store.put_bytes(data, suffix)
    media = Media(kind=kind, sha256=sha, size=size, content_type=content_type, original_key=key)
    copy_jobs.request_copy(media)
    dbsession.add(media)
    dbsession.flush()
    dbsession.add(TipAttachment(tip=tip, media=media))
    dbsession.flush()
    return media


def test_preparing_then_a_player_of_the_clean_copy(testapp, dbsession, dummy_request, registry, officers, tip,  # noqa: F811
                                                   tmp_path_factory):
    store = registry["media_store"]
    samples = tmp_path_factory.getbasetemp()
    video = attach(dbsession, store, tip, make_sample("avi", samples), "video", "video/x-msvideo", ".avi")
    audio = attach(dbsession, store, tip, make_sample("amr", samples), "audio", "audio/amr", ".amr")
    sign_in(testapp, "mod_county")
    page = testapp.get(f"/staff/tips/{tip.id}")
    preparing = page.html.select(f"#file-{video.id} .preparing, #file-{audio.id} .preparing")
    assert len(preparing) == 2 and "Preparing a copy" in preparing[0].text
    assert page.html.select_one(f'#file-{video.id} video') is None
    testapp.get(f"/staff/tips/media/{video.id}?play=1", status=404)  # nothing to play yet

    assert copy_jobs.prepare_staff_copies(dummy_request) == 2
    page = testapp.get(f"/staff/tips/{tip.id}")
    player = page.html.select_one(f"#file-{video.id} video")
    assert player["src"] == f"/staff/tips/media/{video.id}?play=1"
    assert player["poster"] == f"/staff/tips/media/{video.id}?poster=1"
    assert page.html.select_one(f"#file-{audio.id} audio")["src"] == f"/staff/tips/media/{audio.id}?play=1"
    assert "duration 0:02" in page.html.select_one(f"#file-{video.id} .file-facts").text
    assert not page.html.select(".preparing")

    played = testapp.get(f"/staff/tips/media/{video.id}?play=1")
    assert played.content_type == "video/mp4" and played.body[4:8] == b"ftyp"
    assert played.headers["Cache-Control"] == "no-store"
    assert played.headers["Content-Disposition"] == f'inline; filename="tip-{tip.id}-{video.id}.mp4"'
    assert SECRET_TITLE.encode() not in played.body
    part = testapp.get(f"/staff/tips/media/{video.id}?play=1", headers={"Range": "bytes=0-99"}, status=206)
    assert part.body == played.body[:100]  # a player seeks by byte ranges
    poster = testapp.get(f"/staff/tips/media/{video.id}?poster=1")
    assert poster.content_type == "image/jpeg" and poster.body.startswith(b"\xff\xd8")
    heard = testapp.get(f"/staff/tips/media/{audio.id}?play=1")
    assert heard.content_type == "audio/mp4"
    testapp.get(f"/staff/tips/media/{audio.id}?poster=1", status=404)  # sound has no poster
    # A copy is the handler's to open as much as the file itself: an officer of another city gets nothing.
    sign_in(testapp, "mod_b")
    for query in ("play=1", "poster=1"):
        assert testapp.get(f"/staff/tips/media/{video.id}?{query}", expect_errors=True).status_int in (403, 404)


def test_a_copy_that_cannot_be_made_offers_the_original(testapp, dbsession, dummy_request, registry, officers,  # noqa: F811
                                                         tip):  # noqa: F811
    store = registry["media_store"]
    broken = attach(dbsession, store, tip, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200, "video", "video/mp4", ".mp4")
    dummy_request.registry.settings["portal.transcode.max_attempts"] = "1"
    try:
        copy_jobs.prepare_staff_copies(dummy_request)
    finally:
        dummy_request.registry.settings["portal.transcode.max_attempts"] = "3"
    assert broken.staff_copy.state == "failed" and broken.staff_copy.failure
    sign_in(testapp, "mod_county")
    page = testapp.get(f"/staff/tips/{tip.id}")
    assert "Could not prepare a playable copy; download the original." in page.html.select_one(
        f"#file-{broken.id}").text
    assert not page.html.select(f"#file-{broken.id} video") and not page.html.select(".preparing")
    assign(testapp, dbsession, tip, officers)
    sign_in(testapp, "handler_county")
    form = testapp.get(f"/staff/tips/{tip.id}").forms[f"original-{broken.id}"]
    form["reason"] = "The copy failed: the case file needs the video"
    original = form.submit(status=200)
    assert original.content_type == "application/octet-stream" and original.body.startswith(b"\x00\x00\x00\x18ftyp")
    assert len(events(dbsession, action="tip.media_original")) == 1


def test_the_original_waits_while_the_copy_is_prepared(testapp, dbsession, registry, officers, tip):  # noqa: F811
    store = registry["media_store"]
    video = attach(dbsession, store, tip, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200, "video", "video/mp4", ".mp4")
    sign_in(testapp, "mod_county")
    assign(testapp, dbsession, tip, officers)
    sign_in(testapp, "handler_county")
    assert f"original-{video.id}" not in testapp.get(f"/staff/tips/{tip.id}").forms
    refused = testapp.post(f"/staff/tips/media/{video.id}", {"reason": "I want it before the copy is ready",
                                                              "csrf_token": csrf(testapp)}, status=400)
    assert "has a safe copy" in refused.text


def test_copies_made_from_the_bucket_and_played_from_it_with_the_s3_store(  # noqa: F811
        s3_media, testapp, dbsession, dummy_request, registry, officers, tip, tmp_path_factory):  # noqa: F811
    test_preparing_then_a_player_of_the_clean_copy(testapp, dbsession, dummy_request, registry, officers, tip,
                                                   tmp_path_factory)
    dbsession.refresh(tip)
    (media,) = [a.media for a in tip.attachments if a.media.kind == "video"]
    assert s3_media.exists(media.staff_copy.copy_key) and s3_media.exists(media.staff_copy.poster_key)
