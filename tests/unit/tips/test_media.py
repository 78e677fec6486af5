"""Tip attachments: every file checked from its bytes before any is stored, flags for moderators,
originals kept as evidence, staff copies without metadata, nothing left after an abort."""
import functools
import io
import os
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import transaction
from PIL import Image
from transaction.interfaces import NoTransaction

from portal.core.localtime import LOCAL_TZ
from portal.media import mp4_clean
from portal.media.models import ORIGINAL_NAME_LABEL
from portal.media.uploads import UploadRefused
from portal.tips import media as tip_media
from portal.tips import upload_stream
from portal.tips.media import MB, AttachmentLimits, attachment_limits, check_attachments, store_attachments
from tests import media_samples as m
from tests.images import jpeg_with_gps, png, png_claiming, truncated_jpeg

LIMITS = AttachmentLimits(max_files=4, max_bytes={"image": 1 * MB, "video": 3 * MB, "audio": 2 * MB},
                          max_total_bytes=5 * MB, old_capture=timedelta(hours=24))


def upload(data: bytes, filename="file"):
    return SimpleNamespace(filename=filename, file=io.BytesIO(data))


def refusal(fields, limits=LIMITS) -> str:
    with pytest.raises(UploadRefused) as caught:
        check_attachments(fields, limits)
    return caught.value.message.interpolate()


def now():
    return datetime.now(UTC)


def test_limits_come_from_the_settings():
    limits = attachment_limits({"portal.tip.max_files": "10", "portal.tip.max_photo_mb": "15",
                                "portal.tip.max_video_mb": "250", "portal.tip.max_audio_mb": "50",
                                "portal.tip.max_total_mb": "300", "portal.tip.old_capture_hours": "24"})
    assert limits.max_files == 10 and limits.max_bytes == {"image": 15 * MB, "video": 250 * MB, "audio": 50 * MB}
    assert limits.max_total_bytes == 300 * MB and limits.old_capture == timedelta(hours=24)


def test_photos_video_and_sound_are_sniffed_from_their_bytes():
    checked = check_attachments([upload(jpeg_with_gps(), "a.jpg"), upload(m.mp4(), "b.mp4"),
                                 upload(m.wav(), "c.wav"), upload(m.ogg_opus(), "d.opus")], LIMITS)
    assert [(c.kind, c.content_type, c.suffix, c.flags) for c in checked] == [
        ("image", "image/jpeg", ".jpg", []), ("video", "video/mp4", ".mp4", []),
        ("audio", "audio/wav", ".wav", []), ("audio", "audio/ogg", ".opus", [])]
    assert all(c.field.file.tell() == 0 for c in checked)


@pytest.mark.parametrize("data,filename,words", [
    (b"", "empty.jpg", "empty.jpg is empty"),
    (m.windows_exe(), "holiday.jpg", "holiday.jpg is not a photo, video or sound recording"),
    (m.html(), "cute.png", "cute.png is not a photo, video or sound recording"),
    (m.pdf(), "scan.jpg", "scan.jpg is not a photo"),
    (m.zip_archive(), "photos.mp4", "photos.mp4 is not a photo"),
    (m.heic(), "IMG_1.heic", "IMG_1.heic is not a photo we can read"),  # HEIC's brands, no picture
    (png_claiming(8000, 6000), "bomb.png", "too many pixels"),  # a decompression bomb
    (png_claiming(100_000, 100_000), "bigger-bomb.png", "too many pixels"),
    (truncated_jpeg(), "cut.jpg", "not a photo we can read"),
    (m.mp4()[:-10], "cut.mp4", "cut.mp4 is incomplete or damaged"),
    (m.ftyp() + m.box(b"mdat", bytes(100)), "unfinished.mp4", "incomplete"),
    (m.webm()[:-1], "cut.webm", "cut.webm is incomplete"),
    (m.wav()[:-2], "cut.wav", "cut.wav is incomplete"),
    (m.ogg_opus(ended=False), "cut.ogg", "incomplete"),
])
def test_one_bad_file_refuses_them_all(data, filename, words):
    assert words in refusal([upload(png(), "good.png"), upload(data, filename)])


def test_each_kind_has_its_own_size_limit():
    big_photo = m.jpeg_taken(None) + bytes(1 * MB)  # JPEG decoders stop at the end marker
    assert "big.jpg is larger than 1 MB" in refusal([upload(big_photo, "big.jpg")])
    video = b"".join(m.mp4_stream(2 * MB))
    assert check_attachments([upload(video, "clip.mp4")], LIMITS)[0].size == 2 * MB  # video may be larger
    long_wav = m.wav(frames=int(1.1 * MB))
    assert "long.wav is larger than 2 MB" in refusal([upload(long_wav, "long.wav")])


def test_too_many_files_and_too_much_altogether():
    assert "At most 4 files" in refusal([upload(png(), f"{n}.png") for n in range(5)])
    videos = [upload(b"".join(m.mp4_stream(2 * MB)), f"{n}.mp4") for n in range(3)]
    assert "All files together must be smaller than 5 MB" in refusal(videos)


@pytest.mark.parametrize("data,filename,flagged", [
    (png(), "photo.jpg", True),  # a PNG named .jpg
    (m.mp4(), "song.mp3", True),
    (m.wav(), "voice.amr", True),
    (m.mov(), "clip.mp4", False),  # the same family: not a lie
    (m.mp4(), "VID_0001.MOV", False),
    (jpeg_with_gps(), "IMG.JPEG", False),
    (png(), "no-extension", False),
])
def test_a_name_that_disagrees_with_the_bytes_is_flagged(data, filename, flagged):
    (checked,) = check_attachments([upload(data, filename)], LIMITS)
    assert ("type-mismatch" in checked.flags) is flagged


def test_a_photo_shot_long_before_it_was_sent_is_flagged():
    old = (now() - timedelta(days=3)).astimezone(LOCAL_TZ)
    fresh = (now() - timedelta(minutes=5)).astimezone(LOCAL_TZ)
    checked = check_attachments([upload(m.jpeg_taken(old), "old.jpg"), upload(m.jpeg_taken(fresh), "new.jpg"),
                                 upload(m.jpeg_taken(None), "none.jpg")], LIMITS)
    assert [c.flags for c in checked] == [["old-capture"], [], []]
    # EXIF local time without an offset is read as China time; stored in UTC.
    assert checked[0].captured_at == old.replace(microsecond=0).astimezone(UTC)
    assert checked[2].captured_at is None


def test_an_exif_offset_is_honoured():
    when = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    local = when.astimezone(LOCAL_TZ).replace(tzinfo=None) - timedelta(hours=8)  # what a UTC+0 camera writes
    (checked,) = check_attachments([upload(m.jpeg_taken(local, offset="+00:00"), "a.jpg")], LIMITS)
    assert checked.captured_at == when


def test_a_video_header_time_counts_too():
    created = (now() - timedelta(days=10)).replace(microsecond=0)
    (checked,) = check_attachments([upload(m.mp4(created=created), "v.mp4")], LIMITS)
    assert checked.captured_at == created and checked.flags == ["old-capture"]


def test_what_the_browser_said_is_matched_by_name_in_order():
    old_ms = (now() - timedelta(days=2)).timestamp() * 1000
    fresh_ms = now().timestamp() * 1000
    meta = [{"name": "image.jpg", "lastModified": fresh_ms, "lat": 39.9, "lon": 116.4},
            {"name": "image.jpg", "lastModified": old_ms, "lat": 95, "lon": 116.4},  # impossible latitude
            {"name": "other.png"}, "garbage", {"name": "voice.wav", "lastModified": "soon", "lat": True}]
    fields = [upload(m.jpeg_taken(None), "image.jpg"), upload(m.jpeg_taken(None), "image.jpg"),
              upload(m.wav(), "voice.wav"), upload(png(), "unnamed.png")]
    first, second, voice, unnamed = check_attachments(fields, LIMITS, client_meta=meta)
    assert (first.client_lat, first.client_lon, first.flags) == (39.9, 116.4, [])
    assert abs(first.client_captured_at.timestamp() * 1000 - fresh_ms) < 1
    assert (second.client_lat, second.client_lon, second.flags) == (None, None, ["old-capture"])
    assert (voice.client_captured_at, voice.client_lat) == (None, None)
    assert unnamed.client_captured_at is None


@pytest.mark.parametrize("meta", [None, "nonsense", {"name": "x"}, [None, 3]])
def test_broken_client_metadata_is_ignored(meta):
    (checked,) = check_attachments([upload(png(), "a.png")], LIMITS, client_meta=meta)
    assert checked.client_captured_at is None and checked.flags == []


# Storing -------------------------------------------------------------------------------------------------

@pytest.fixture
def own_tm(dummy_request):
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    dummy_request.tm = manager
    yield manager
    try:
        manager.abort()
    except NoTransaction:
        pass


def _read(store, key) -> bytes:
    with store.open(key) as f:
        return f.read()


def _keys(media):
    return [k for row in media for k in (row.original_key, row.public_key, row.thumb_key) if k]


def test_photo_original_is_evidence_and_the_staff_copy_has_no_metadata(dummy_request, own_tm):
    store = dummy_request.registry["media_store"]
    taken = (now() - timedelta(hours=1)).astimezone(LOCAL_TZ)
    data = m.jpeg_taken(taken, size=(640, 480))
    ((media, checked),) = store_attachments(dummy_request, check_attachments([upload(data, "phone.jpg")], LIMITS))
    assert _read(store, media.original_key) == data  # unchanged
    assert (media.kind, media.content_type, media.size) == ("image", "image/jpeg", len(data))
    assert "phone" not in media.original_name_sealed  # the name is sealed like a protected field
    cipher = dummy_request.registry["field_cipher"]
    assert cipher.decrypt(media.original_name_sealed, ORIGINAL_NAME_LABEL) == "phone.jpg"
    assert media.captured_at == checked.captured_at and media.uploaded_at is not None
    for key in (media.public_key, media.thumb_key):
        copy = _read(store, key)
        assert b"SpyCam" not in copy
        with Image.open(io.BytesIO(copy)) as image:
            assert not image.getexif()
    own_tm.commit()
    for key in _keys([media]):
        store.delete(key)


def _top_level_types(data: bytes) -> list[bytes]:
    return [b.type for b in mp4_clean.walk(io.BytesIO(data), 0, len(data))]


def test_mp4_staff_copy_has_its_metadata_boxes_blanked(dummy_request, own_tm):
    store = dummy_request.registry["media_store"]
    original = m.mp4()
    assert m.GPS_ISO6709 in original and b"\xa9xyz" in original
    ((media, _),) = store_attachments(dummy_request, check_attachments([upload(original, "VID.mp4")], LIMITS))
    assert _read(store, media.original_key) == original  # the evidence keeps everything
    copy = _read(store, media.public_key)
    assert media.thumb_key is None and len(copy) == len(original)
    for secret in (m.GPS_ISO6709, b"\xa9xyz", b"loci", m.DEVICE_MARKER, m.XMP_MARKER, b"udta", b"ISO6709"):
        assert secret not in copy
    # Same boxes at the same places (chunk offsets stay valid), media data untouched, still a valid file.
    assert _top_level_types(copy) == [b"ftyp", b"moov", b"free", b"free", b"mdat"]
    mdat = original.index(b"mdat") - 4
    assert copy[mdat:] == original[mdat:] and copy[:mdat].count(b"free") == 5
    moov = next(b for b in mp4_clean.walk(io.BytesIO(copy), 0, len(copy)) if b.type == b"moov")
    inside = [b.type for b in mp4_clean.walk(io.BytesIO(copy), moov.payload, moov.end)]
    assert inside == [b"mvhd", b"trak", b"free", b"free"]
    f = io.BytesIO(copy)
    assert tip_media.sniff.is_complete(f, tip_media.sniff.identify(f))


def test_staff_copies_without_metadata_by_format(dummy_request, own_tm):
    store = dummy_request.registry["media_store"]
    fields = [upload(m.m4a(), "a.m4a"), upload(m.mov(), "b.mov"), upload(m.webm_tagged(), "c.webm"),
              upload(m.mp3_tagged(), "d.mp3"), upload(m.wav_tagged(), "e.wav"), upload(m.flac_tagged(), "f.flac"),
              upload(m.ogg_vorbis_tagged(), "h.ogg"), upload(m.amr(), "i.amr"), upload(m.avi(), "j.avi")]
    limits = AttachmentLimits(max_files=9, max_bytes=LIMITS.max_bytes, max_total_bytes=LIMITS.max_total_bytes,
                              old_capture=LIMITS.old_capture)
    stored = store_attachments(dummy_request, check_attachments(fields, limits))
    kinds = [(media.kind, media.content_type, media.public_key is not None) for media, _ in stored]
    assert kinds == [("audio", "audio/mp4", True), ("video", "video/quicktime", True), ("video", "video/webm", True),
                     ("audio", "audio/mpeg", True), ("audio", "audio/wav", True), ("audio", "audio/flac", True),
                     ("audio", "audio/ogg", True), ("audio", "audio/amr", True),
                     ("video", "video/x-msvideo", False)]  # AVI: no way to clean it yet
    for (media, _), field in zip(stored[:7], fields, strict=False):
        original, copy = _read(store, media.original_key), _read(store, media.public_key)
        assert original == field.file.getvalue() and copy != original
        assert not any(secret in copy for secret in (m.GPS_ISO6709, m.DEVICE_MARKER, m.XMP_MARKER))
    amr = stored[7][0]
    assert amr.public_key == amr.original_key  # nothing in AMR can carry metadata: the original is shown
    assert [media.position for media, _ in stored] == list(range(9))
    # Each also waits for the playable copy the worker makes (media/copy_jobs.py), AVI included.
    assert [(media.staff_copy.state, media.staff_copy.attempts) for media, _ in stored] == [("pending", 0)] * 9


def test_an_iphone_heic_is_a_photo_with_its_capture_time_and_a_jpeg_copy(dummy_request, own_tm):
    from tests.images import GPS_MARKER, heic_with_gps

    store = dummy_request.registry["media_store"]
    ((media, checked),) = store_attachments(dummy_request, check_attachments([upload(heic_with_gps((320, 240)),
                                                                                     "IMG_0001.HEIC")], LIMITS))
    assert (checked.kind, media.content_type, checked.flags, media.staff_copy) == ("image", "image/heic", [], None)
    assert media.original_key.endswith(".heic") and GPS_MARKER in _read(store, media.original_key)
    for key in (media.public_key, media.thumb_key):
        copy = _read(store, key)
        assert GPS_MARKER not in copy
        with Image.open(io.BytesIO(copy)) as image:
            assert image.format == "JPEG" and not image.getexif()
    assert (media.width, media.height) == (320, 240)


@pytest.mark.parametrize("data,name", [
    (m.ebml_element(b"\x1a\x45\xdf\xa3", m.ebml_element(b"\x42\x82", b"webm")) + b"\x18\x53\x80\x67" + m.UNKNOWN_SIZE
     + b"\x12\x54\xc3\x67" + m.UNKNOWN_SIZE + bytes(20), "odd.webm"),
    (b"fLaC" + bytes([0x00]) + (34).to_bytes(3, "big") + bytes(34), "odd.flac"),
])
def test_a_file_we_cannot_walk_is_kept_without_a_staff_copy(dummy_request, own_tm, data, name):
    store = dummy_request.registry["media_store"]
    ((media, _),) = store_attachments(dummy_request, check_attachments([upload(data, name)], LIMITS))
    assert media.public_key is None and _read(store, media.original_key) == data


def test_a_streamed_upload_is_moved_into_the_store_not_copied(dummy_request, own_tm):
    store = dummy_request.registry["media_store"]
    incoming = os.path.join(store.root, ".incoming")
    video = m.mp4()
    stream = upload_stream.FormStream(m.BOUNDARY, None, LIMITS, 65536, incoming)
    assert stream.run(io.BytesIO(m.multipart_body([("attachments", "v.mp4", video)])).read) is None
    (streamed,) = stream.files
    ((media, _),) = store_attachments(dummy_request, check_attachments([streamed], LIMITS))
    assert not os.path.exists(streamed.path)  # renamed into place
    assert _read(store, media.original_key) == video and media.sha256 == streamed.sha256
    streamed.discard()  # what the end of the request does: harmless after the move
    own_tm.abort()
    assert not store.exists(media.original_key)


def test_everything_written_is_removed_when_the_transaction_aborts(dummy_request, own_tm):
    store = dummy_request.registry["media_store"]
    fields = [upload(png((30, 20), (1, 2, 3)), "a.png"), upload(m.mp4(b"unique-frames-1234" * 10), "b.mp4"),
              upload(m.wav(frames=1234), "c.wav")]
    stored = store_attachments(dummy_request, check_attachments(fields, LIMITS))
    keys = _keys([media for media, _ in stored])
    # photo and two copies, mp4 and one, wav (a plain WAV is its own copy: the same bytes, the same key)
    assert len(keys) == 7 and all(store.exists(k) for k in keys)
    own_tm.abort()
    assert not any(store.exists(k) for k in keys)
    assert not [n for n in os.listdir(store.incoming_dir()) if n.startswith("copy-")]


def test_timed_gps_tracks_are_blanked_with_their_samples(dummy_request, own_tm):
    store = dummy_request.registry["media_store"]
    original = m.mp4_with_gps_track()
    assert original.count(m.GPS_SAMPLE) == 3
    ((media, _),) = store_attachments(dummy_request, check_attachments([upload(original, "GOPR0001.MP4")], LIMITS))
    copy = _read(store, media.public_key)
    assert m.GPS_SAMPLE[:4] not in copy and len(copy) == len(original)
    assert b"\x00\x00\x00\x10fake-h264-frames" * 64 in copy  # the picture's samples are untouched
    moov = next(b for b in mp4_clean.walk(io.BytesIO(copy), 0, len(copy)) if b.type == b"moov")
    assert [b.type for b in mp4_clean.walk(io.BytesIO(copy), moov.payload, moov.end)] == [b"mvhd", b"trak", b"free"]


def test_sound_only_mp4_is_audio_with_the_audio_limit():
    (checked,) = check_attachments([upload(m.mp4(handler=b"soun"), "memo.mp4")], LIMITS)
    assert (checked.kind, checked.content_type, checked.flags) == ("audio", "audio/mp4", [])
    long_memo = m.mp4(media=bytes(int(2.5 * MB)), handler=b"soun")  # under the video limit, over the audio one
    assert "memo.mp4 is larger than 2 MB" in refusal([upload(long_memo, "memo.mp4")])


def test_names_are_stored_without_paths_or_control_characters(dummy_request, own_tm):
    ((media, _),) = store_attachments(dummy_request, check_attachments([upload(png(), "C:\\fakepath\\a\x00b\n.png")],
                                                                       LIMITS))
    cipher = dummy_request.registry["field_cipher"]
    assert cipher.decrypt(media.original_name_sealed, ORIGINAL_NAME_LABEL) == "ab.png"


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 4096])
def test_blanking_does_not_depend_on_how_the_file_is_read(chunk):
    # Boxes at every level, patches crossing every chunk boundary.
    for data in (m.mp4(), m.mp4_with_gps_track()):
        f = io.BytesIO(data)
        boxes, samples = mp4_clean.metadata_boxes(f, len(data))
        whole = mp4_clean.blanked_reader(io.BytesIO(data), boxes, samples).read(-1)
        reader = mp4_clean.blanked_reader(io.BytesIO(data), boxes, samples)
        pieces = b"".join(iter(functools.partial(reader.read, chunk), b""))
        assert pieces == whole and len(whole) == len(data) and whole != data


@pytest.mark.parametrize("data", [m.mp4_short_stsz(), m.mp4_stsc_flood(5000), m.mp4_sample_count(2**32 - 1)],
                         ids=["stsz cut off", "stsc flood", "4 billion samples"])
def test_hostile_sample_tables_are_kept_as_evidence_without_a_staff_copy(dummy_request, own_tm, data):
    store = dummy_request.registry["media_store"]
    started = time.monotonic()
    ((media, _),) = store_attachments(dummy_request, check_attachments([upload(data, "v.mp4")], LIMITS))
    assert time.monotonic() - started < 1
    assert media.public_key is None and _read(store, media.original_key) == data
