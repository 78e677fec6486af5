"""File types from the bytes only: accepted photo, video and sound formats, lying files refused
with the file's name, cut-off containers recognised."""
import io

import pytest

from portal.media import sniff
from portal.media.uploads import UploadRefused
from tests import media_samples as m
from tests.images import jpeg_with_gps, png


@pytest.mark.parametrize("data,content_type,kind", [
    (jpeg_with_gps(), "image/jpeg", "image"),
    (png(), "image/png", "image"),
    (m.mp4(), "video/mp4", "video"),
    (m.mp4_large_mdat(), "video/mp4", "video"),
    (m.mov(), "video/quicktime", "video"),
    (m.three_gp(), "video/3gpp", "video"),
    (m.m4a(), "audio/mp4", "audio"),
    (m.webm(), "video/webm", "video"),
    (m.webm(b"matroska"), "video/x-matroska", "video"),
    (m.avi(), "video/x-msvideo", "video"),
    (m.wav(), "audio/wav", "audio"),
    (m.mp3(), "audio/mpeg", "audio"),
    (m.mp3(id3=False), "audio/mpeg", "audio"),
    (m.adts(), "audio/aac", "audio"),
    (m.ogg_opus(), "audio/ogg", "audio"),
    (m.ogg_vorbis(), "audio/ogg", "audio"),
    (m.amr(), "audio/amr", "audio"),
    (m.flac(), "audio/flac", "audio"),
])
def test_accepted_formats_are_known_from_their_bytes(data, content_type, kind):
    f = io.BytesIO(data)
    fmt = sniff.require(f, "whatever.name")
    assert (fmt.content_type, fmt.kind) == (content_type, kind)
    assert f.tell() == 0
    assert sniff.identify_head(data[:sniff.HEAD_BYTES]).kind == kind  # what the stream uses for limits
    assert sniff.is_complete(f, fmt)


def test_aac_behind_an_id3_tag_is_aac():
    tagged = m.mp3(frames=0) + m.adts()
    assert sniff.identify(io.BytesIO(tagged)).content_type == "audio/aac"


@pytest.mark.parametrize("data,filename", [
    (m.windows_exe(), "holiday.jpg"),
    (m.elf(), "video.mp4"),
    (m.html(), "photo.png"),
    (m.pdf(), "scan.jpg"),
    (m.zip_archive(), "photos.jpg"),
    (b"\xff\xfb\x90\x00" + b"no second frame follows" * 40, "song.mp3"),  # one MP3 sync is not enough
    (b"RIFF\x10\x00\x00\x00ACON" + bytes(16), "cursor.wav"),  # RIFF, but an animated cursor
    (b"\x00\x00\x00\x18ftypcrx " + bytes(40), "raw.mp4"),  # an ftyp brand that is no video (camera raw)
])
def test_other_files_are_refused_naming_the_file(data, filename):
    assert sniff.identify(io.BytesIO(data)) is None
    with pytest.raises(UploadRefused) as caught:
        sniff.require(io.BytesIO(data), filename)
    message = caught.value.message.interpolate()
    assert filename in message and "not a photo, video or sound recording we accept" in message


def test_heic_is_a_photo_and_avif_is_refused_with_advice():
    from tests.images import heic_with_gps

    fmt = sniff.require(io.BytesIO(heic_with_gps()), "IMG_0001.HEIC")
    assert (fmt.kind, fmt.content_type, fmt.suffix) == ("image", "image/heic", ".heic") and ".heif" in fmt.extensions
    assert sniff.require(io.BytesIO(m.heic()), "IMG_0002.HEIC").content_type == "image/heic"
    avif = m.box(b"ftyp", b"avif" + bytes(4) + b"mif1avif") + m.box(b"meta", bytes(40))
    with pytest.raises(UploadRefused) as caught:
        sniff.require(io.BytesIO(avif), "IMG_0003.avif")
    assert "IMG_0003.avif is in AVIF format" in caught.value.message.interpolate()


def _complete(data: bytes) -> bool:
    f = io.BytesIO(data)
    return sniff.is_complete(f, sniff.identify(f))


@pytest.mark.parametrize("data", [
    m.mp4()[:-10],  # cut inside mdat (moov first, as phones write "fast start" files)
    m.mp4()[:200],  # cut inside moov
    m.ftyp() + m.box(b"mdat", bytes(100)),  # no moov: a recording never finished
    m.ftyp() + m.box(b"mdat", bytes(100)) + m.moov()[:-1],  # moov at the end, cut
    m.mp4() + b"\x00\x00\x00",  # trailing junk that is no box
    m.mp4_large_mdat()[:-1],
    m.webm()[:-1],
    m.wav()[:-2],
    m.avi()[:-4],
    m.ogg_opus(ended=False),  # no end-of-stream page
    m.ogg_opus()[:-5],
])
def test_cut_off_containers_are_incomplete(data):
    assert not _complete(data)


def test_live_webm_without_a_segment_size_passes():
    # A browser's MediaRecorder writes "unknown size": nothing to check against.
    assert _complete(m.webm(unknown_size=True))


def test_moov_after_mdat_is_complete():
    assert _complete(m.ftyp() + m.box(b"mdat", bytes(100)) + m.moov())


@pytest.mark.parametrize("data,content_type,kind", [
    (m.mp4(handler=b"soun"), "audio/mp4", "audio"),  # a voice recorder's .mp4: sound, no picture
    (m.mp4(major=b"3gp4", compatible=(b"3gp4",), handler=b"soun"), "audio/3gpp", "audio"),
    (m.mp4(), "video/mp4", "video"),
    (m.mp4_with_gps_track(), "video/mp4", "video"),
])
def test_iso_files_are_sound_when_they_have_no_picture_track(data, content_type, kind):
    f = io.BytesIO(data)
    fmt = sniff.refine(f, sniff.require(f, "x"))
    assert (fmt.content_type, fmt.kind) == (content_type, kind)
