"""Small media files built in Python for the upload tests (and the bench): MP4 box structures with
metadata, WAV, Ogg, MP3, AAC, AMR, FLAC, WebM/EBML, AVI, lying files, and multipart bodies that can
be streamed from a generator (a 200 MB video never exists in memory)."""
import io
import struct
import wave
import zipfile
from datetime import UTC, datetime

from PIL import Image

GPS_ISO6709 = b"+39.9042+116.4074+043.000/"  # Beijing, as phones write it into ©xyz
DEVICE_MARKER = b"SpyPhone-4711"  # the device name written into udta and meta
XMP_MARKER = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>SecretPlace</x:xmpmeta>"
MP4_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)


# ISO base media (MP4, MOV, 3GP, M4A) ----------------------------------------------------------------

def box(kind: bytes, *children: bytes) -> bytes:
    payload = b"".join(children)
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full_box(kind: bytes, version: int, payload: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + payload)


def ftyp(major=b"isom", compatible=(b"isom", b"iso2", b"avc1", b"mp41")) -> bytes:
    return box(b"ftyp", major + struct.pack(">I", 512) + b"".join(compatible))


def mvhd(created: datetime | None = None) -> bytes:
    seconds = int((created - MP4_EPOCH).total_seconds()) if created else 0
    return full_box(b"mvhd", 0, struct.pack(">IIII", seconds, seconds, 1000, 1000) + bytes(80))


def metadata_udta() -> bytes:
    """udta as phones write it: place (©xyz), device (©mak, ©mod) and a 3GPP location (loci)."""
    xyz = box(b"\xa9xyz", struct.pack(">HH", len(GPS_ISO6709), 0x15c7) + GPS_ISO6709)
    make = box(b"\xa9mak", struct.pack(">HH", len(DEVICE_MARKER), 0) + DEVICE_MARKER)
    loci = full_box(b"loci", 0, b"\x15\xc7home\0" + bytes(13))
    return box(b"udta", xyz, make, loci)


def metadata_meta() -> bytes:
    """Apple's mdta metadata: keys and values (location, device) in a meta box."""
    hdlr = full_box(b"hdlr", 0, b"\0\0\0\0mdta" + bytes(12) + b"\0")
    keys = full_box(b"keys", 0, struct.pack(">I", 1) + box(b"mdta", b"com.apple.quicktime.location.ISO6709"))
    ilst = box(b"ilst", box(b"\0\0\0\x01", box(b"data", bytes(8) + GPS_ISO6709 + DEVICE_MARKER)))
    return box(b"meta", hdlr, keys, ilst)


def track(with_metadata=True, handler=b"vide", samples=(), offset=0) -> bytes:
    """A trak; `samples` (sizes) in one chunk at `offset` make its sample tables point into mdat."""
    stsz = full_box(b"stsz", 0, struct.pack(">II", 0, len(samples)) + b"".join(struct.pack(">I", n) for n in samples))
    stsc = full_box(b"stsc", 0, struct.pack(">IIII", 1, 1, len(samples), 1) if samples else struct.pack(">I", 0))
    stco = full_box(b"stco", 0, struct.pack(">II", 1, offset) if samples else struct.pack(">I", 0))
    stbl = box(b"stbl", full_box(b"stsd", 0, struct.pack(">I", 0)), stsz, stsc, stco)
    minf = box(b"minf", box(b"dinf", full_box(b"dref", 0, struct.pack(">I", 0))), stbl)
    mdia = box(b"mdia", full_box(b"mdhd", 0, bytes(20)), full_box(b"hdlr", 0, b"\0\0\0\0" + handler + bytes(13)),
               minf)
    extra = (metadata_udta(),) if with_metadata else ()
    return box(b"trak", full_box(b"tkhd", 0, bytes(80)), mdia, *extra)


def moov(created: datetime | None = None, with_metadata=True, handler=b"vide", tracks=None) -> bytes:
    extra = (metadata_udta(), metadata_meta()) if with_metadata else ()
    return box(b"moov", mvhd(created), *(tracks or [track(with_metadata, handler)]), *extra)


def mp4(media: bytes = b"\x00\x00\x00\x10fake-h264-frames" * 64, created: datetime | None = None,
        with_metadata=True, major=b"isom", compatible=(b"isom", b"iso2", b"avc1", b"mp41"), xmp=True,
        handler=b"vide") -> bytes:
    """A small MP4 (moov before mdat, as phones' "fast start" files) carrying GPS and device metadata."""
    parts = [ftyp(major, compatible), moov(created, with_metadata, handler)]
    if xmp and with_metadata:
        parts.append(box(b"uuid", bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + XMP_MARKER))
    parts.append(box(b"free", b"old-edit:" + DEVICE_MARKER if with_metadata else b""))
    parts.append(box(b"mdat", media))
    return b"".join(parts)


GPS_SAMPLE = b"GPS5:+39.904200,+116.407400,43.0;"  # a timed GPS sample, as action cameras record them


def mp4_with_gps_track(frames: bytes = b"\x00\x00\x00\x10fake-h264-frames" * 64, fixes=3) -> bytes:
    """An MP4 with a picture track and a timed-metadata track (handler "meta") whose samples in
    mdat are GPS positions; both tracks' sample tables point at their bytes in mdat."""
    def build(video_at, gps_at):
        tracks = [track(False, b"vide", [len(frames)], video_at),
                  track(False, b"meta", [len(GPS_SAMPLE)] * fixes, gps_at)]
        return ftyp() + moov(with_metadata=False, tracks=tracks)

    head = build(0, 0)  # the same length whatever the offsets: 32-bit fields
    video_at = len(head) + 8
    head = build(video_at, video_at + len(frames))
    return head + box(b"mdat", frames + GPS_SAMPLE * fixes)


def mp4_large_mdat(media: bytes = b"frames" * 100) -> bytes:
    """An MP4 whose mdat uses the 64-bit size form (size field 1)."""
    mdat = struct.pack(">I4sQ", 1, b"mdat", 16 + len(media)) + media
    return ftyp() + moov() + mdat


def mp4_header_for(total_size: int, created: datetime | None = None) -> bytes:
    """The first bytes of an MP4 of `total_size` bytes: ftyp, moov, then the mdat header; the
    caller streams `total_size - len(header)` bytes of media after it."""
    head = ftyp() + moov(created)
    return head + struct.pack(">I4sQ", 1, b"mdat", total_size - len(head))


def mp4_stream(total_size: int, chunk=1024 * 1024):
    """A valid MP4 of `total_size` bytes, produced chunk by chunk (never whole in memory)."""
    head = mp4_header_for(total_size)
    yield head
    left = total_size - len(head)
    block = bytes(chunk)
    while left > 0:
        n = min(chunk, left)
        yield block[:n]
        left -= n


def mp4_metadata_track(*stbl_children: bytes, mdat_last=False) -> bytes:
    """An MP4 whose tracks are timed metadata (handler "meta"), one per given set of sample tables."""
    hdlr = full_box(b"hdlr", 0, b"\0\0\0\0meta" + bytes(12) + b"x\0")
    traks = [box(b"trak", box(b"mdia", hdlr, box(b"minf", box(b"stbl", tables)))) for tables in stbl_children]
    movie = box(b"moov", mvhd(), *traks)
    mdat = box(b"mdat", bytes(64))
    return ftyp() + (mdat + movie if mdat_last else movie + mdat)


def mp4_stsc_flood(runs: int) -> bytes:
    """Hostile sample tables (a few hundred KB): stsc runs alternating first chunk 1 and 2**31, so a
    naive reader walks every chunk for every run (quadratic time, a range per step)."""
    stsz = full_box(b"stsz", 0, struct.pack(">II", 1, 1))
    stsc = full_box(b"stsc", 0, struct.pack(">I", runs) + b"".join(
        struct.pack(">III", 1 if i % 2 == 0 else 2**31, 0, 1) for i in range(runs)))
    stco = full_box(b"stco", 0, struct.pack(">I", runs) + bytes(4 * runs))
    return mp4_metadata_track(stsz + stsc + stco)


def mp4_sample_count(count: int) -> bytes:
    """A tiny MP4 whose stsz claims `count` samples of one uniform size (nothing else backs it)."""
    stsz = full_box(b"stsz", 0, struct.pack(">II", 1, count))
    stsc = full_box(b"stsc", 0, struct.pack(">IIII", 1, 1, 1, 1))
    stco = full_box(b"stco", 0, struct.pack(">II", 1, 0))
    return mp4_metadata_track(stsz + stsc + stco)


def mp4_short_stsz() -> bytes:
    """An MP4 ending with an empty stsz box (no version, no count): reading its fields runs off the file."""
    stsc = full_box(b"stsc", 0, struct.pack(">I", 0))
    stco = full_box(b"stco", 0, struct.pack(">I", 0))
    return mp4_metadata_track(stsc + stco + box(b"stsz"), mdat_last=True)


def m4a() -> bytes:
    return mp4(major=b"M4A ", compatible=(b"M4A ", b"mp42", b"isom"))


def mov() -> bytes:
    return mp4(major=b"qt  ", compatible=(b"qt  ",))


def three_gp() -> bytes:
    return mp4(major=b"3gp4", compatible=(b"3gp4", b"isom"))


def heic() -> bytes:
    return box(b"ftyp", b"heic" + bytes(4) + b"mif1heic") + box(b"meta", bytes(40)) + box(b"mdat", bytes(100))


# EBML (WebM, Matroska) ------------------------------------------------------------------------------

def _ebml_size(n: int) -> bytes:
    return b"\x01" + n.to_bytes(7, "big")  # the 8-byte form of an EBML size


def ebml_element(ident: bytes, payload: bytes) -> bytes:
    return ident + _ebml_size(len(payload)) + payload


WEBM_FRAMES = b"\xa3" + _ebml_size(400) + b"\x81\x00\x00\x80" + b"VP8-frame-data" * 28 + bytes(4)  # SimpleBlocks
UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def webm_tagged(live=False) -> bytes:
    """A WebM as a tagging muxer writes it: SeekHead (to Info, Tags, Attachments), Info with a title
    and a date, a Cluster, Tags (a place and a device) and Attachments (a cover picture) after it.
    `live`: segment and cluster of unknown size, as a browser's MediaRecorder writes them."""
    header = ebml_element(b"\x1a\x45\xdf\xa3", ebml_element(b"\x42\x82", b"webm"))
    info = ebml_element(b"\x15\x49\xa9\x66", ebml_element(b"\x2a\xd7\xb1", b"\x0f\x42\x40")
                        + ebml_element(b"\x7b\xa9", b"Title " + DEVICE_MARKER)
                        + ebml_element(b"\x44\x61", (712345678 * 10**9).to_bytes(8, "big"))
                        + ebml_element(b"\x4d\x80", b"Lavf60"))
    simple_tag = ebml_element(b"\x67\xc8", ebml_element(b"\x45\xa3", b"LOCATION") + ebml_element(b"\x44\x87", GPS_ISO6709))
    tags = ebml_element(b"\x12\x54\xc3\x67", ebml_element(b"\x73\x73", simple_tag))
    attachments = ebml_element(b"\x19\x41\xa4\x69", ebml_element(b"\x61\xa7", ebml_element(b"\x46\x6e", b"cover.jpg")
                                                                   + ebml_element(b"\x46\x5c", XMP_MARKER)))

    def seek(ident):
        return ebml_element(b"\x4d\xbb", ebml_element(b"\x53\xab", ident) + ebml_element(b"\x53\xac", bytes(8)))

    seek_head = ebml_element(b"\x11\x4d\x9b\x74", seek(b"\x15\x49\xa9\x66") + seek(b"\x12\x54\xc3\x67")
                             + seek(b"\x19\x41\xa4\x69"))
    timestamp = b"\xe7\x81\x00"
    cluster = (b"\x1f\x43\xb6\x75" + UNKNOWN_SIZE + timestamp + WEBM_FRAMES if live
               else ebml_element(b"\x1f\x43\xb6\x75", timestamp + WEBM_FRAMES))
    body = seek_head + info + cluster + tags + attachments
    return header + b"\x18\x53\x80\x67" + (UNKNOWN_SIZE if live else _ebml_size(len(body))) + body


def webm(doctype=b"webm", cluster: bytes = bytes(2000), unknown_size=False) -> bytes:
    header = ebml_element(b"\x1a\x45\xdf\xa3", ebml_element(b"\x42\x86", b"\x01") + ebml_element(b"\x42\x82", doctype))
    body = ebml_element(b"\x1f\x43\xb6\x75", cluster)  # a Cluster
    size = b"\x01\xff\xff\xff\xff\xff\xff\xff" if unknown_size else _ebml_size(len(body))
    return header + b"\x18\x53\x80\x67" + size + body


# RIFF (WAV, AVI) -------------------------------------------------------------------------------------

WAV_SOUND = bytes(range(256)) * 6 + b"\x01\x02\x03"  # odd length: the data chunk gets a pad byte


def wav(frames=800, rate=8000, sound: bytes | None = None) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1 if sound else 2)
        w.setframerate(rate)
        w.writeframes(sound if sound is not None else bytes(frames * 2))
    return out.getvalue()


def riff_chunk(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) % 2 else b"")


def wav_tagged() -> bytes:
    """A WAV as recorders and editors write it: bext (originator, time) before the sound, LIST/INFO
    (title, software) and an id3 chunk after it; the sound (WAV_SOUND) has an odd length."""
    plain = wav(sound=WAV_SOUND)
    fmt, data = plain[12:12 + 24], plain[36:]
    bext = riff_chunk(b"bext", DEVICE_MARKER + bytes(100) + b"2024-05-0109:30:00")
    info = riff_chunk(b"LIST", b"INFO" + riff_chunk(b"INAM", b"Title " + GPS_ISO6709) + riff_chunk(b"ISFT", b"Lavf"))
    id3 = riff_chunk(b"id3 ", b"ID3\x03\x00\x00\x00\x00\x00\x0a" + DEVICE_MARKER[:10])
    body = b"WAVE" + fmt + bext + data + (b"\0" if len(data) % 2 else b"") + info + id3
    return b"RIFF" + struct.pack("<I", len(body)) + body


def avi() -> bytes:
    hdrl = b"LIST" + struct.pack("<I", 4 + 8 + 56) + b"hdrl" + b"avih" + struct.pack("<I", 56) + bytes(56)
    movi = b"LIST" + struct.pack("<I", 4 + 8 + 16) + b"movi" + b"00dc" + struct.pack("<I", 16) + bytes(16)
    body = b"AVI " + hdrl + movi
    return b"RIFF" + struct.pack("<I", len(body)) + body


# Ogg, MP3, AAC, AMR, FLAC -----------------------------------------------------------------------------

def ogg_crc(data: bytes) -> int:
    """The Ogg page checksum (CRC-32, polynomial 0x04C11DB7, not reflected, no initial or final
    value), bit by bit: slow and plainly right, to check the service's fast one against."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def ogg_page(payload: bytes, flags=0, sequence=0, serial=1, parts=None) -> bytes:
    """One page with a right checksum. `parts`: (bytes, ends a packet) pieces of packets instead of
    one whole packet `payload` (a piece that does not end its packet is a multiple of 255 long)."""
    parts = parts if parts is not None else [(payload, True)]
    segments = []
    for part, ends in parts:
        segments += [255] * (len(part) // 255) + ([len(part) % 255] if ends else [])
    header = b"OggS" + bytes([0, flags]) + bytes(8) + struct.pack("<II", serial, sequence)
    tail = bytes([len(segments)]) + bytes(segments) + b"".join(part for part, _ends in parts)
    return header + struct.pack("<I", ogg_crc(header + bytes(4) + tail)) + tail


def ogg_opus(ended=True, tags: bytes = b"") -> bytes:
    """An Opus file; `tags`: its user comments (count, then length and text each), none by default."""
    head = ogg_page(b"OpusHead\x01\x01\x38\x01\x80\xbb\0\0\0\0\0", flags=0x02)
    tags = ogg_page(b"OpusTags" + struct.pack("<I", 4) + b"test" + (tags or bytes(4)), sequence=1)
    audio = ogg_page(OGG_SOUND, flags=0x04 if ended else 0, sequence=2)
    return head + tags + audio


OGG_SOUND = bytes(range(150)) * 2  # stands for the encoded sound


def vorbis_comments(*comments: bytes) -> bytes:
    return struct.pack("<I", len(comments)) + b"".join(struct.pack("<I", len(c)) + c for c in comments)


def ogg_vorbis_tagged() -> bytes:
    """An Ogg Vorbis file whose comment packet (a place, a device, a picture) spans two pages and
    shares the second with the setup packet."""
    comment = (b"\x03vorbis" + struct.pack("<I", 6) + b"Lavf60" + vorbis_comments(
        b"LOCATION=" + GPS_ISO6709, b"ARTIST=" + DEVICE_MARKER, b"METADATA_BLOCK_PICTURE=" + XMP_MARKER * 8) + b"\x01")
    assert len(comment) > 510
    setup = b"\x05vorbis" + bytes(range(60))
    return (ogg_page(b"\x01vorbis" + bytes(22), flags=0x02)
            + ogg_page(b"", sequence=1, parts=[(comment[:510], False)])
            + ogg_page(b"", flags=0x01, sequence=2, parts=[(comment[510:], True), (setup, True)])
            + ogg_page(OGG_SOUND, flags=0x04, sequence=3))


def ogg_vorbis() -> bytes:
    return ogg_page(b"\x01vorbis" + bytes(22), flags=0x02) + ogg_page(bytes(100), flags=0x04, sequence=1)


MP3_FRAME = b"\xff\xfb\x90\x00" + bytes(413)  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417 bytes


def id3v2(text: bytes = DEVICE_MARKER[:7]) -> bytes:
    title = b"TIT2" + struct.pack(">I", len(text) + 1) + b"\0\0\0" + text
    return b"ID3\x03\x00\x00" + bytes([0, 0, 0, len(title)]) + title


def mp3(frames=12, id3=True) -> bytes:
    return (id3v2() if id3 else b"") + MP3_FRAME * frames


def id3v1() -> bytes:
    return b"TAG" + b"Title".ljust(30, b"\0") + DEVICE_MARKER.ljust(30, b"\0") + bytes(65)


def ape_tag() -> bytes:
    item = struct.pack("<II", len(GPS_ISO6709), 0) + b"Location\0" + GPS_ISO6709
    footer_size = len(item) + 32

    def frame(flags):
        return b"APETAGEX" + struct.pack("<IIII", 2000, footer_size, 1, flags) + bytes(8)

    return frame(0xA0000000) + item + frame(0x80000000)  # header (bit 29), items, footer; bit 31: has a header


def mp3_tagged() -> bytes:
    """An MP3 with every kind of tag we strip: ID3v2 at the start, APEv2 and ID3v1 at the end."""
    return id3v2(b"Title " + DEVICE_MARKER) + MP3_FRAME * 12 + ape_tag() + id3v1()


def adts(frames=10) -> bytes:
    length = 7 + 100
    header = bytes([0xFF, 0xF1, 0x50, 0x80 | (length >> 11), (length >> 3) & 0xFF, ((length & 7) << 5) | 0x1F, 0xFC])
    return (header + bytes(100)) * frames


def amr() -> bytes:
    return b"#!AMR\n" + (b"\x3c" + bytes(31)) * 20


def flac() -> bytes:
    streaminfo = bytes([0x80]) + (34).to_bytes(3, "big") + bytes(34)
    return b"fLaC" + streaminfo + bytes(200)


FLAC_FRAMES = b"\xff\xf8\x69\x08" + bytes(range(200))  # stands for the encoded sound


def _flac_block(kind: int, payload: bytes, last=False) -> bytes:
    return bytes([kind | (0x80 if last else 0)]) + len(payload).to_bytes(3, "big") + payload


def flac_tagged() -> bytes:
    """A FLAC with STREAMINFO, a seek table, VORBIS_COMMENT (place, device), PICTURE and padding."""
    comments = struct.pack("<I", 6) + b"tagger" + struct.pack("<I", 1) + struct.pack("<I", 30) + (
        b"LOCATION=" + GPS_ISO6709)[:30]
    picture = struct.pack(">II", 3, 10) + b"image/jpeg" + struct.pack(">I", 0) + bytes(16) + struct.pack(
        ">I", len(XMP_MARKER)) + XMP_MARKER
    return (b"fLaC" + _flac_block(0, bytes(34)) + _flac_block(3, bytes(18)) + _flac_block(4, comments)
            + _flac_block(6, picture) + _flac_block(1, bytes(10), last=True) + FLAC_FRAMES)


# Photos -------------------------------------------------------------------------------------------------

def jpeg_taken(when: datetime | None, offset: str | None = None, size=(64, 48)) -> bytes:
    """A JPEG whose EXIF says when it was shot (DateTimeOriginal, optionally OffsetTimeOriginal)."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    if when is not None:
        sub = {0x9003: when.strftime("%Y:%m:%d %H:%M:%S")}
        if offset:
            sub[0x9011] = offset
        exif[0x8769] = sub
    out = io.BytesIO()
    Image.new("RGB", size, (90, 90, 200)).save(out, "JPEG", exif=exif)
    return out.getvalue()


# Files that lie about what they are ------------------------------------------------------------------

def windows_exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(50) + b"This program cannot be run in DOS mode"


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01" + bytes(200)


def html() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("photo.jpg", b"not really")
    return out.getvalue()


# Multipart bodies ------------------------------------------------------------------------------------------

BOUNDARY = "----portal-test-boundary-7MA4YWxkTrZu0gW"


def _part_head(name: str, filename: str | None = None, content_type: str = "application/octet-stream") -> bytes:
    if filename is None:
        return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").encode()
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode()


def multipart_chunks(parts):
    """Chunks of a multipart/form-data body. `parts`: (name, text) for fields and
    (name, filename, data) for files, where data is bytes or an iterable of byte chunks."""
    for part in parts:
        if len(part) == 2:
            name, value = part
            yield _part_head(name) + value.encode() + b"\r\n"
        else:
            name, filename, data = part[:3]
            yield _part_head(name, filename, part[3] if len(part) > 3 else "application/octet-stream")
            yield from ([data] if isinstance(data, bytes) else data)
            yield b"\r\n"
    yield f"--{BOUNDARY}--\r\n".encode()


def multipart_body(parts) -> bytes:
    return b"".join(multipart_chunks(parts))


def multipart_length(parts, file_sizes: dict) -> int:
    """The length of the body multipart_chunks would produce, files counted by `file_sizes[filename]`
    (so a streamed file need not be produced to know it)."""
    total = 0
    for part in parts:
        if len(part) == 2:
            total += len(_part_head(part[0])) + len(part[1].encode()) + 2
        else:
            total += len(_part_head(part[0], part[1], part[3] if len(part) > 3 else "application/octet-stream"))
            total += file_sizes[part[1]] + 2
    return total + len(f"--{BOUNDARY}--\r\n")


CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
