"""Staff copies of sound and video files without their tags, made without a decoder: the tags are
gone, the sound and picture bytes are exactly those of the original, and the copy is still a file of
the same format."""
import functools
import io
import struct
import time
import wave

import pytest

from portal.media import clean as media_clean
from portal.media import clean_ogg, sniff
from portal.media import readers as media_clean_readers
from portal.media.sniff import vint
from tests import media_samples as m

SECRETS = (m.DEVICE_MARKER, m.GPS_ISO6709, m.XMP_MARKER, b"LOCATION", b"Title")


def clean(data: bytes) -> bytes:
    f = io.BytesIO(data)
    fmt = sniff.require(f, "x")
    copy = media_clean.cleaned(f, len(data), fmt.content_type).read(-1)
    g = io.BytesIO(copy)
    assert sniff.require(g, "x") == fmt and sniff.is_complete(g, fmt)  # still a good file of its kind
    return copy


def no_secrets(copy: bytes) -> bool:
    return not any(secret in copy for secret in SECRETS)


def test_mp3_keeps_its_frames_only():
    original = m.mp3_tagged()
    assert m.DEVICE_MARKER in original and b"APETAGEX" in original and original.endswith(m.id3v1())
    copy = clean(original)
    assert copy == m.MP3_FRAME * 12 and no_secrets(copy)


def test_aac_keeps_its_frames_only():
    copy = clean(m.id3v2(b"Title " + m.DEVICE_MARKER) + m.adts() + m.id3v1())
    assert copy == m.adts()


def test_an_mp3_without_tags_is_its_own_copy():
    assert clean(m.mp3(id3=False)) == m.mp3(id3=False)


def _chunks(data: bytes) -> list[bytes]:
    pos, found = 12, []
    while pos + 8 <= len(data):
        kind, length = struct.unpack("<4sI", data[pos:pos + 8])
        found.append(kind)
        pos += 8 + length + (length & 1)
    return found


def test_wav_keeps_the_chunks_that_make_the_sound():
    original = m.wav_tagged()
    assert _chunks(original) == [b"fmt ", b"bext", b"data", b"LIST", b"id3 "]
    copy = clean(original)
    assert _chunks(copy) == [b"fmt ", b"data"] and no_secrets(copy)
    assert struct.unpack("<I", copy[4:8])[0] == len(copy) - 8
    with wave.open(io.BytesIO(copy)) as w:
        assert w.readframes(w.getnframes()) == m.WAV_SOUND  # the sound, byte for byte
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 1, 8000)
    assert clean(m.wav()) == m.wav()


def _flac_blocks(data: bytes) -> list[tuple[int, int]]:
    pos, blocks = 4, []
    while True:
        kind, length = data[pos] & 0x7F, int.from_bytes(data[pos + 1:pos + 4], "big")
        blocks.append((kind, length))
        pos += 4 + length
        if data[pos - 4 - length] & 0x80:
            return blocks


def test_flac_tags_and_pictures_become_padding():
    original = m.flac_tagged()
    copy = clean(original)
    assert len(copy) == len(original) and no_secrets(copy) and b"image/jpeg" not in copy
    before, after = _flac_blocks(original), _flac_blocks(copy)
    assert [k for k, _ in before] == [0, 3, 4, 6, 1] and [k for k, _ in after] == [0, 3, 1, 1, 1]
    assert [n for _, n in before] == [n for _, n in after]  # nothing moved
    assert copy.endswith(m.FLAC_FRAMES) and copy[:4 + 4 + 34 + 4 + 18] == original[:4 + 4 + 34 + 4 + 18]


def _segment_children(data: bytes) -> list[int]:
    header = vint(data, 4)
    pos = 4 + header[1] + header[0]
    size = vint(data, pos + 4)
    pos, found = pos + 4 + size[1], []
    while pos < len(data):
        ident, id_len = vint(data, pos, keep_marker=True)
        value, length = vint(data, pos + id_len)
        found.append(ident)
        if value == (1 << (7 * length)) - 1:  # the live cluster: its blocks follow
            pos += id_len + length + 3
            pos += len(m.WEBM_FRAMES)
            continue
        pos += id_len + length + value
    return found


@pytest.mark.parametrize("live", [False, True])
def test_matroska_tags_and_attachments_become_void(live):
    original = m.webm_tagged(live)
    copy = clean(original)
    assert len(copy) == len(original) and no_secrets(copy)
    assert (712345678 * 10**9).to_bytes(8, "big") not in copy  # DateUTC
    assert b"Lavf60" in copy  # the muxing application stays: it says nothing about anyone
    void, seek_head, info, cluster = 0xEC, 0x114D9B74, 0x1549A966, 0x1F43B675
    assert _segment_children(original) == [seek_head, info, cluster, 0x1254C367, 0x1941A469]
    assert _segment_children(copy) == [seek_head, info, cluster, void, void]
    frames = original.index(m.WEBM_FRAMES)
    assert copy.index(m.WEBM_FRAMES) == frames  # the picture, byte for byte, where it was
    head = copy[:copy.index(b"\x15\x49\xa9\x66")]  # the SeekHead: only the entry for Info is left
    assert head.count(b"\x4d\xbb") == 1 and b"\x12\x54\xc3\x67" not in head and b"\x19\x41\xa4\x69" not in head


def test_a_plain_webm_is_its_own_copy():
    assert clean(m.webm()) == m.webm()


@pytest.mark.parametrize("content_type,data", [
    ("audio/wav", b"RIFF" + struct.pack("<I", 4 + 24 + 16) + b"WAVE" + m.riff_chunk(b"fmt ", bytes(16))
     + m.riff_chunk(b"LIST", b"INFOxxxx")),  # no sound at all
    ("audio/wav", b"RIFF" + struct.pack("<I", 4 + 8) + b"WAVE" + b"data" + struct.pack("<I", 99)),
    ("audio/flac", b"fLaC" + bytes([0x00]) + (34).to_bytes(3, "big") + bytes(34)),  # no last block, then the end
    ("audio/flac", b"fLaC" + bytes([0x84]) + (500).to_bytes(3, "big") + bytes(34)),
    ("video/webm", m.ebml_element(b"\x1a\x45\xdf\xa3", b"") + b"\x18\x53\x80\x67" + m.UNKNOWN_SIZE
     + b"\x12\x54\xc3\x67" + m.UNKNOWN_SIZE + bytes(20)),  # only clusters may have an unknown size
    ("audio/mpeg", m.id3v1()),  # tags and nothing else
])
def test_structures_that_do_not_fit_get_no_copy(content_type, data):
    with pytest.raises(media_clean_readers.Unreadable):
        media_clean.cleaned(io.BytesIO(data), len(data), content_type)


def _ogg_pages(data: bytes) -> list[tuple[int, bytes]]:
    """(header type, page) of every page, each checked against its checksum."""
    pages, pos = [], 0
    while pos < len(data):
        count = data[pos + 26]
        end = pos + 27 + count + sum(data[pos + 27:pos + 27 + count])
        page = data[pos:end]
        assert struct.unpack("<I", page[22:26])[0] == m.ogg_crc(page[:22] + bytes(4) + page[26:])
        pages.append((page[5], page))
        pos = end
    return pages


def test_ogg_vorbis_comments_are_blanked_across_pages_with_right_checksums():
    original = m.ogg_vorbis_tagged()
    copy = clean(original)
    assert len(copy) == len(original) and no_secrets(copy)
    before, after = _ogg_pages(original), _ogg_pages(copy)  # every checksum right, before and after
    assert [flags for flags, _ in after] == [flags for flags, _ in before]
    assert before[0] == after[0] and before[3] == after[3]  # identification and sound pages untouched
    setup = b"\x05vorbis" + bytes(range(60))
    assert after[2][1].endswith(setup)  # the setup packet sharing the last comment page is untouched
    packet = after[1][1][27 + after[1][1][26]:] + after[2][1][27 + after[2][1][26]:-len(setup)]
    assert packet.startswith(b"\x03vorbis" + struct.pack("<I", 6) + b"Lavf60" + bytes(4) + b"\x01")
    assert packet.rstrip(b"\0").endswith(b"Lavf60" + bytes(4) + b"\x01")


def test_opus_comments_are_blanked():
    original = m.ogg_opus(tags=m.vorbis_comments(b"LOCATION=" + m.GPS_ISO6709, b"ARTIST=" + m.DEVICE_MARKER))
    copy = clean(original)
    assert len(copy) == len(original) and no_secrets(copy) and copy.endswith(m.OGG_SOUND)
    tags = _ogg_pages(copy)[1][1]
    assert tags[27 + tags[26]:].rstrip(b"\0") == b"OpusTags" + struct.pack("<I", 4) + b"test"
    assert clean(m.ogg_opus()) == m.ogg_opus()  # nothing to blank: the same bytes


def test_the_ogg_checksum_is_oggs():
    for data in (b"", b"OggS", bytes(range(256)) * 3, m.ogg_opus()):
        assert clean_ogg.ogg_crc(data) == m.ogg_crc(data)
    assert clean_ogg.ogg_crc(b"123456789") == 0x89A1897F


def test_an_ogg_stream_of_a_kind_we_do_not_clean_gets_no_copy():
    flac_in_ogg = m.ogg_page(b"\x7fFLAC\x01\x00\x00\x01fLaC" + bytes(38), flags=0x02) + m.ogg_page(
        bytes(100), flags=0x04, sequence=1)
    with pytest.raises(media_clean_readers.Unreadable):
        media_clean.cleaned(io.BytesIO(flac_in_ogg), len(flac_in_ogg), "audio/ogg")


def test_formats_without_a_cleaner_get_none():
    data = m.avi()
    assert media_clean.cleaned(io.BytesIO(data), len(data), "video/x-msvideo") is None
    assert "audio/amr" in media_clean.AS_IS


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 4096])
def test_copies_do_not_depend_on_how_they_are_read(chunk):
    for data in (m.mp3_tagged(), m.wav_tagged(), m.flac_tagged(), m.webm_tagged(), m.webm_tagged(live=True),
                 m.ogg_vorbis_tagged()):
        fmt = sniff.identify(io.BytesIO(data))
        whole = media_clean.cleaned(io.BytesIO(data), len(data), fmt.content_type).read(-1)
        reader = media_clean.cleaned(io.BytesIO(data), len(data), fmt.content_type)
        assert b"".join(iter(functools.partial(reader.read, chunk), b"")) == whole


def test_a_flood_of_tiny_elements_or_pages_costs_bounded_time():
    header = m.ebml_element(b"\x1a\x45\xdf\xa3", m.ebml_element(b"\x42\x82", b"webm"))
    webm = header + b"\x18\x53\x80\x67" + m.UNKNOWN_SIZE + b"\x1f\x43\xb6\x75" + m.UNKNOWN_SIZE + b"\xe7\x80" * 250_000
    first = m.ogg_page(b"OpusHead\x01\x01\x38\x01\x80\xbb\0\0\0\0\0", flags=0x02)
    ogg = first + m.ogg_page(b"", parts=[]) * 210_000
    for data, content_type in ((webm, "video/webm"), (ogg, "audio/ogg")):
        started = time.monotonic()
        with pytest.raises(media_clean_readers.Unreadable, match="too many"):
            media_clean.cleaned(io.BytesIO(data), len(data), content_type)
        assert time.monotonic() - started < 2
