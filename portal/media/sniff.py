"""What a file is, from its bytes only: never from its name or what the browser says.

Accepted: photos (JPEG, PNG, WebP, GIF, HEIC/HEIF: pillow-heif decodes them), video (MP4, MOV, 3GP
from their ftyp brands; WebM and Matroska from their EBML header; AVI) and audio (MP3, AAC, M4A,
Ogg/Opus, WAV, AMR, FLAC). Everything else is refused, naming the file: a program named .jpg, a web
page named .png, a PDF, an archive... AVIF photos are refused with their own message (nothing here
decodes them, so we could neither check them nor make a copy).

Containers that state their own length are also checked for truncation (a recording cut off while
being written or sent): MP4 boxes must fill the file and include `moov`, a WebM segment of known
size must fit, a RIFF (WAV, AVI) must fit, an Ogg stream must end with its end-of-stream page."""
import os
import struct
from dataclasses import dataclass, field

from portal.core.i18n import _
from portal.media import mp4_clean
from portal.media.refusals import UploadRefused

HEAD_BYTES = 4096  # enough to recognise every format below (and two MP3 or AAC frames)


@dataclass(frozen=True)
class Format:
    kind: str  # image, video, audio
    content_type: str
    suffix: str
    family: str  # how completeness is checked: image, iso, ebml, riff, ogg, stream
    extensions: frozenset = field(default_factory=frozenset)  # names that agree with the bytes


def _fmt(kind, content_type, suffix, family, *extensions):
    return Format(kind, content_type, suffix, family, frozenset((suffix, *extensions)))


_ISO_VIDEO_NAMES = (".mp4", ".m4v", ".mov", ".qt", ".3gp", ".3gpp", ".3g2")
FORMATS = {
    "jpeg": _fmt("image", "image/jpeg", ".jpg", "image", ".jpeg", ".jpe", ".jfif"),
    "png": _fmt("image", "image/png", ".png", "image"),
    "webp": _fmt("image", "image/webp", ".webp", "image"),
    "gif": _fmt("image", "image/gif", ".gif", "image"),
    "heic": _fmt("image", "image/heic", ".heic", "image", ".heif", ".hif", ".heics", ".heifs"),
    "mp4": _fmt("video", "video/mp4", ".mp4", "iso", *_ISO_VIDEO_NAMES),
    "mov": _fmt("video", "video/quicktime", ".mov", "iso", *_ISO_VIDEO_NAMES),
    "3gp": _fmt("video", "video/3gpp", ".3gp", "iso", *_ISO_VIDEO_NAMES, ".3ga"),
    "3g2": _fmt("video", "video/3gpp2", ".3g2", "iso", *_ISO_VIDEO_NAMES),
    "m4a": _fmt("audio", "audio/mp4", ".m4a", "iso", ".mp4", ".m4b", ".aac", ".mov"),
    "3gp-audio": _fmt("audio", "audio/3gpp", ".3gp", "iso", *_ISO_VIDEO_NAMES, ".3ga", ".amr"),
    "webm": _fmt("video", "video/webm", ".webm", "ebml", ".mkv", ".weba"),
    "mkv": _fmt("video", "video/x-matroska", ".mkv", "ebml", ".mka", ".mk3d", ".webm"),
    "avi": _fmt("video", "video/x-msvideo", ".avi", "riff"),
    "wav": _fmt("audio", "audio/wav", ".wav", "riff", ".wave"),
    "mp3": _fmt("audio", "audio/mpeg", ".mp3", "stream"),
    "aac": _fmt("audio", "audio/aac", ".aac", "stream", ".adts", ".m4a"),
    "ogg": _fmt("audio", "audio/ogg", ".ogg", "ogg", ".oga"),
    "opus": _fmt("audio", "audio/ogg", ".opus", "ogg", ".ogg", ".oga"),
    "ogv": _fmt("video", "video/ogg", ".ogv", "ogg", ".ogg"),
    "amr": _fmt("audio", "audio/amr", ".amr", "stream", ".3ga"),
    "amr-wb": _fmt("audio", "audio/amr-wb", ".awb", "stream", ".amr"),
    "flac": _fmt("audio", "audio/flac", ".flac", "stream"),
}

HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1",
                         b"msf1", b"avif", b"avis"})
AVIF_BRANDS = frozenset({b"avif", b"avis"})
ISO_VIDEO_BRANDS = frozenset({b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9",
                              b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4", b"MSNV",
                              b"XAVC", b"NDAS", b"f4v ", b"hvc1", b"av01"})
# QuickTime files written without ftyp start directly with one of these.
QUICKTIME_FIRST_BOXES = frozenset({b"moov", b"mdat", b"wide", b"pnot"})


def _ftyp(head: bytes) -> str | None:
    size = struct.unpack(">I", head[:4])[0]
    brands = [head[8:12]] + [head[i:i + 4] for i in range(16, min(size, len(head)) - 3, 4)]
    major = brands[0]
    if major in HEIF_BRANDS or (major not in ISO_VIDEO_BRANDS and any(b in HEIF_BRANDS for b in brands)):
        return "avif" if major in AVIF_BRANDS else "heic"  # HEVC-coded (HEIC) or the generic HEIF brands
    if major in (b"M4A ", b"M4B ", b"M4P "):
        return "m4a"
    if major == b"qt  ":
        return "mov"
    if major.startswith(b"3g2"):
        return "3g2"
    if major.startswith(b"3g"):
        return "3gp"
    if b"M4A " in brands:
        return "m4a"
    if any(b in ISO_VIDEO_BRANDS for b in brands):
        return "mp4"
    return None


def vint(data: bytes, pos: int, keep_marker=False) -> tuple[int, int] | None:
    """An EBML variable-length integer at `pos`: (value, length), None when cut off or invalid."""
    if pos >= len(data) or data[pos] == 0:
        return None
    length = 8 - data[pos].bit_length() + 1
    if pos + length > len(data):
        return None
    value = data[pos] if keep_marker else data[pos] & (0xFF >> length)
    for byte in data[pos + 1:pos + length]:
        value = (value << 8) | byte
    return value, length


def _ebml(head: bytes) -> str | None:
    """The DocType in the EBML header: "webm" or "matroska"."""
    size = vint(head, 4)
    if size is None:
        return None
    pos, end = 4 + size[1], min(len(head), 4 + size[1] + size[0])
    while pos < end:
        element = vint(head, pos, keep_marker=True)
        if element is None:
            return None
        ident, id_len = element
        size = vint(head, pos + id_len)
        if size is None:
            return None
        start = pos + id_len + size[1]
        if ident == 0x4282:  # DocType
            doctype = head[start:start + size[0]].rstrip(b"\0")
            return {b"webm": "webm", b"matroska": "mkv"}.get(doctype)
        pos = start + size[0]
    return None


_MP3_BITRATES = {
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1 layer III
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2 and 2.5 layer III
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_frame(head: bytes, pos: int) -> int | None:
    """The length of the MPEG audio layer III frame at `pos`, or None if there is none."""
    if pos + 4 > len(head) or head[pos] != 0xFF or head[pos + 1] & 0xE0 != 0xE0:
        return None
    version, layer = (head[pos + 1] >> 3) & 3, (head[pos + 1] >> 1) & 3
    bitrate_index, rate_index, padding = head[pos + 2] >> 4, (head[pos + 2] >> 2) & 3, (head[pos + 2] >> 1) & 1
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    bitrate = _MP3_BITRATES[3 if version == 3 else 2][bitrate_index] * 1000
    rate = _MP3_RATES[version][rate_index]
    return (144 if version == 3 else 72) * bitrate // rate + padding


def _adts_frame(head: bytes, pos: int) -> int | None:
    """The length of the ADTS (AAC) frame at `pos`, or None."""
    if pos + 7 > len(head) or head[pos] != 0xFF or head[pos + 1] & 0xF6 != 0xF0:
        return None
    if (head[pos + 2] >> 2) & 0xF > 12:  # sampling frequency index
        return None
    length = ((head[pos + 3] & 3) << 11) | (head[pos + 4] << 3) | (head[pos + 5] >> 5)
    return length if length >= 7 else None


def _frames(head: bytes, pos: int, frame) -> bool:
    """Two frames in a row (one frame sync alone is too easy to find by chance), or one that
    reaches the end of what we have."""
    first = frame(head, pos)
    if first is None:
        return False
    return pos + first >= len(head) - 4 or frame(head, pos + first) is not None


def _name_of(head: bytes) -> str | None:
    """The FORMATS key (or "avif") the first bytes of a file show, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"WEBP": "webp", b"WAVE": "wav", b"AVI ": "avi"}.get(head[8:12])
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _ftyp(head)
    if len(head) >= 8 and head[4:8] in QUICKTIME_FIRST_BOXES:
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _ebml(head)
    if head.startswith(b"OggS"):
        first_page = head[:200]
        if b"OpusHead" in first_page:
            return "opus"
        if b"\x80theora" in first_page:
            return "ogv"
        return "ogg" if b"\x01vorbis" in first_page or b"FLAC" in first_page or b"Speex" in first_page else None
    if head.startswith(b"#!AMR-WB\n"):
        return "amr-wb"
    if head.startswith(b"#!AMR\n"):
        return "amr"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"ID3"):
        return "mp3"  # refined by identify() when the tag fits in what it reads
    if _frames(head, 0, _mp3_frame):
        return "mp3"
    if _frames(head, 0, _adts_frame):
        return "aac"
    return None


def identify_head(head: bytes) -> Format | None:
    """The format the first bytes of a file show (None: not one we accept, AVIF included)."""
    name = _name_of(head)
    return FORMATS.get(name) if name else None


def id3_end(head: bytes) -> int:
    # ID3v2: "ID3", version (2), flags, then a 28-bit "syncsafe" size; a footer adds 10 bytes.
    size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
    return 10 + size + (10 if head[5] & 0x10 else 0)


def identify(f) -> Format | None:
    """The format of a seekable binary file (left at position 0)."""
    f.seek(0)
    head = f.read(HEAD_BYTES)
    name = _name_of(head)
    if name == "mp3" and head.startswith(b"ID3") and len(head) >= 10:
        # What follows the tag decides: MP3 frames, or AAC (ADTS) with an ID3 tag in front.
        f.seek(id3_end(head))
        rest = f.read(HEAD_BYTES)
        name = "aac" if _frames(rest, 0, _adts_frame) else "mp3" if _frames(rest, 0, _mp3_frame) else None
    f.seek(0)
    return FORMATS.get(name) if name else None


_SOUND_ONLY = {"video/mp4": "m4a", "video/quicktime": "m4a", "video/3gpp": "3gp-audio", "video/3gpp2": "3gp-audio"}


def refine(f, fmt: Format) -> Format:
    """An MP4, MOV or 3GP with a sound track and no picture is a sound recording (phones' voice
    recorders write these): the brand alone does not say so, the tracks' handlers do."""
    if fmt.content_type not in _SOUND_ONLY:
        return fmt
    try:
        f.seek(0, os.SEEK_END)
        boxes = mp4_clean.top_level(f, f.tell())
        handlers = {mp4_clean.handler(f, trak) for trak in mp4_clean.tracks(f, boxes)}
    except (mp4_clean.BrokenBoxes, struct.error):
        return fmt  # is_complete() says so
    finally:
        f.seek(0)
    return FORMATS[_SOUND_ONLY[fmt.content_type]] if b"soun" in handlers and b"vide" not in handlers else fmt


def refusal(head: bytes, filename: str) -> UploadRefused:
    """Why a file whose bytes are not an accepted format is refused."""
    if _name_of(head) == "avif":
        return UploadRefused(_("The photo ${name} is in AVIF format, which we cannot check. Please send it as "
                               "JPEG or HEIC.", mapping={"name": filename}))
    return UploadRefused(_("The file ${name} is not a photo, video or sound recording we accept "
                           "(photos: JPEG, PNG, WebP, GIF, HEIC; video: MP4, MOV, 3GP, WebM, AVI; "
                           "sound: MP3, M4A, AAC, Ogg, Opus, WAV, AMR, FLAC).", mapping={"name": filename}))


def require(f, filename: str) -> Format:
    """The format of the file, or UploadRefused naming it."""
    fmt = identify(f)
    if fmt is None:
        head = f.read(HEAD_BYTES)
        f.seek(0)
        raise refusal(head, filename)
    return fmt


# Completeness -------------------------------------------------------------------------------------

def _ebml_complete(f, size: int) -> bool:
    head = f.read(64 * 1024)
    header_size = vint(head, 4)
    if header_size is None:
        return False
    pos = 4 + header_size[1] + header_size[0]
    segment_id = vint(head, pos, keep_marker=True)
    if segment_id is None or segment_id[0] != 0x18538067:
        return False
    segment_size = vint(head, pos + segment_id[1])
    if segment_size is None:
        return False
    value, length = segment_size
    if value == (1 << (7 * length)) - 1:
        # "Unknown size": a live recording (a browser's MediaRecorder writes these) states no
        # length to check against; a cut-off one still plays up to the cut.
        return True
    return pos + segment_id[1] + length + value <= size


def _riff_complete(f, size: int) -> bool:
    header = f.read(12)
    declared = struct.unpack("<I", header[4:8])[0]
    if 8 + declared > size:
        return False
    if header[8:12] != b"WAVE":
        return True
    # The data chunk itself must fit too (a few writers put a wrong RIFF size but right chunks).
    pos = 12
    while pos + 8 <= size:
        f.seek(pos)
        chunk, length = struct.unpack("<4sI", f.read(8))
        if chunk == b"data":
            return pos + 8 + length <= size
        pos += 8 + length + (length & 1)
    return False


def _ogg_complete(f, size: int) -> bool:
    # The last page carries the end-of-stream flag (header type bit 2) and must be whole.
    tail_start = max(0, size - 70_000)  # a page is at most 65,307 bytes
    f.seek(tail_start)
    tail = f.read()
    last = tail.rfind(b"OggS")
    if last < 0 or last + 27 > len(tail):
        return False
    segments = tail[last + 26]
    if last + 27 + segments > len(tail):
        return False
    body = sum(tail[last + 27:last + 27 + segments])
    return bool(tail[last + 5] & 0x04) and last + 27 + segments + body == len(tail)


def is_complete(f, fmt: Format) -> bool:
    """False when a container's own lengths show the file is cut off or broken. Formats that are
    a plain run of frames (MP3, AAC, AMR, FLAC) state no length: a cut one still plays up to the cut."""
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(0)
    try:
        if fmt.family == "iso":
            mp4_clean.top_level(f, size)
            return True
        if fmt.family == "ebml":
            return _ebml_complete(f, size)
        if fmt.family == "riff":
            return _riff_complete(f, size)
        if fmt.family == "ogg":
            return _ogg_complete(f, size)
        return True
    except (mp4_clean.BrokenBoxes, struct.error, IndexError):
        return False
    finally:
        f.seek(0)
