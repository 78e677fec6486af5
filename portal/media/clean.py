"""Staff copies without metadata for the sound and video formats other than MP4 (mp4_clean.py),
made without a decoder: the tags these formats keep in known places are cut out or overwritten, and
the sound and picture data are copied byte for byte.

- MP3 and AAC (ADTS): ID3v2 tags at the start; ID3v1, APEv2, Lyrics3v2 and appended ID3v2 at the
  end. A stream of frames needs nothing around them, so the copy is the frames alone.
- WAV: only the chunks needed to play it (fmt, fact, data) are kept; LIST/INFO (title, artist,
  software, date), bext (originator, time of recording), iXML, id3 and the rest are left out, and
  the RIFF size says what is left.
- FLAC: VORBIS_COMMENT, PICTURE and APPLICATION metadata blocks become PADDING blocks of the same
  size with a zeroed payload (nothing moves, so seek tables stay right).
- Matroska and WebM: Tags and Attachments (cover art, any file), the Title and DateUTC of the
  segment Info, and the SeekHead entries pointing at Tags or Attachments become EBML Void elements
  of the same size (players skip Void, and nothing moves, so Cues and SeekHead offsets stay right).
- Ogg (Vorbis, Opus, Theora, Speex): each stream's comment packet keeps its vendor string and loses
  its comments (pictures included), zero-padded to its length; the checksums of its pages are redone.
  A stream of another kind (FLAC in Ogg) means no copy.
- AMR: the format has no place for metadata; the original is its own staff copy.
- AVI: not yet (its INFO lists and camera chunks sit inside nested lists): no copy.

A file whose structure does not fit what we walk raises Unreadable: no staff copy, the original is
kept as evidence."""
import struct

from portal.media.clean_ogg import ogg
from portal.media.patched_reader import PatchedReader
from portal.media.readers import SplicedReader, Unreadable, read_at
from portal.media.sniff import id3_end, vint

AS_IS = frozenset({"audio/amr", "audio/amr-wb"})
MAX_TAGS = 16  # stacked tags at either end of an MP3: far more than any tagger writes
MAX_CHUNKS = 10_000  # RIFF chunks, FLAC metadata blocks
MAX_ELEMENTS = 200_000  # Matroska elements walked (an unknown-size cluster is walked block by block)


# Readers for media_store.put_stream: one pass, a chunk at a time ------------------------------------


# MP3, AAC --------------------------------------------------------------------------------------------

def _syncsafe(data: bytes) -> int:
    return (data[0] & 0x7F) << 21 | (data[1] & 0x7F) << 14 | (data[2] & 0x7F) << 7 | (data[3] & 0x7F)


def _trailing_tag(f, start: int, end: int) -> int | None:
    """Where a tag at the end of [start, end) begins, or None when none ends there."""
    low = max(start, end - 256)
    tail = read_at(f, low, end - low)

    def at(back: int, text: bytes) -> bool:
        return end - back >= start and tail[len(tail) - back:len(tail) - back + len(text)] == text

    if at(128, b"TAG"):  # ID3v1, perhaps with the 227-byte "TAG+" block before it
        cut = end - 128
        return cut - 227 if cut - 227 >= start and read_at(f, cut - 227, 4) == b"TAG+" else cut
    if at(32, b"APETAGEX"):  # APEv2 footer: size of items and footer, then flags (bit 31: a header too)
        size, _items, flags = struct.unpack("<III", tail[len(tail) - 20:len(tail) - 8])
        return end - size - (32 if flags & 0x80000000 else 0)
    if at(9, b"LYRICS200"):  # Lyrics3v2: six digits of size before the end marker
        digits = tail[len(tail) - 15:len(tail) - 9]
        if not digits.isdigit():
            raise Unreadable("a Lyrics3 size that is no number")
        return end - 15 - int(digits)
    if at(10, b"3DI"):  # an ID3v2 tag appended with its footer
        return end - 20 - _syncsafe(tail[len(tail) - 4:])
    return None


def frames_only(f, size: int) -> SplicedReader:
    """An MP3 or ADTS stream without the tags before and after its frames."""
    start = 0
    for _ in range(MAX_TAGS):
        f.seek(start)
        head = f.read(10)
        if len(head) < 10 or head[:3] != b"ID3":
            break
        start += id3_end(head)
    end = size
    for _ in range(MAX_TAGS):
        cut = _trailing_tag(f, start, end) if start < end else None
        if cut is None:
            break
        end = cut
    if not start < end <= size:
        raise Unreadable("the tags leave no frames")
    return SplicedReader(f, [(start, end)])


# WAV -------------------------------------------------------------------------------------------------

WAV_KEPT = frozenset({b"fmt ", b"fact", b"data"})


def wav(f, size: int) -> SplicedReader:
    """The RIFF/WAVE file with only the chunks that make the sound."""
    header = read_at(f, 0, 12)
    riff_end = min(size, 8 + struct.unpack("<I", header[4:8])[0])
    pos, pieces, kept, seen = 12, [], 0, set()
    for _ in range(MAX_CHUNKS):
        if pos + 8 > riff_end:
            break
        chunk, length = struct.unpack("<4sI", read_at(f, pos, 8))
        end = pos + 8 + length + (length & 1)  # chunks are padded to an even length
        if pos + 8 + length > size:
            if {b"fmt ", b"data"} <= seen:  # junk after the sound: left out like any other chunk
                break
            raise Unreadable("a chunk does not fit")
        if chunk in WAV_KEPT:
            pieces.append((pos, min(end, size)))  # the last chunk may lack its pad byte
            kept += min(end, size) - pos
            seen.add(chunk)
        pos = end
    else:
        raise Unreadable("too many chunks")
    if not {b"fmt ", b"data"} <= seen:
        raise Unreadable("no sound")
    return SplicedReader(f, [b"RIFF" + struct.pack("<I", 4 + kept) + b"WAVE", *pieces])


# FLAC ------------------------------------------------------------------------------------------------

FLAC_BLANKED = frozenset({2, 4, 6})  # APPLICATION, VORBIS_COMMENT, PICTURE
FLAC_PADDING = 1


def flac(f, size: int) -> PatchedReader:
    """The FLAC file with its tag, picture and application blocks turned into padding."""
    if read_at(f, 0, 4) != b"fLaC":
        raise Unreadable("no FLAC marker")
    pos, zeros, patches = 4, [], []
    for _ in range(MAX_CHUNKS):
        header = read_at(f, pos, 4)
        last, kind, length = header[0] & 0x80, header[0] & 0x7F, int.from_bytes(header[1:4], "big")
        if kind == 127 or pos + 4 + length > size:
            raise Unreadable("a metadata block does not fit")
        if kind in FLAC_BLANKED:
            patches.append((pos, bytes([last | FLAC_PADDING])))
            zeros.append((pos + 4, pos + 4 + length))
        pos += 4 + length
        if last:
            return PatchedReader(f, zeros, patches)
    raise Unreadable("too many metadata blocks")


# Matroska, WebM --------------------------------------------------------------------------------------

EBML, SEGMENT, CLUSTER = 0x1A45DFA3, 0x18538067, 0x1F43B675
SEEK_HEAD, SEEK, SEEK_ID, INFO = 0x114D9B74, 0x4DBB, 0x53AB, 0x1549A966
TAGS, ATTACHMENTS = 0x1254C367, 0x1941A469
INFO_BLANKED = frozenset({0x7BA9, 0x4461})  # Title, DateUTC
LEVEL_ONE = frozenset({SEEK_HEAD, INFO, 0x1654AE6B, 0x1C53BB6B, 0x1043A770, TAGS, ATTACHMENTS, CLUSTER})
VOID = b"\xec"


class _Matroska:
    def __init__(self, f, size: int):
        self.f, self.size = f, size
        self.zeros, self.patches = [], []
        self.budget = MAX_ELEMENTS

    def element(self, pos: int) -> tuple[int, int, int | None]:
        """(id, where its data starts, where it ends or None for "unknown size") of the element at pos."""
        self.budget -= 1
        if self.budget < 0:
            raise Unreadable("too many elements")
        self.f.seek(pos)
        head = self.f.read(12)
        ident = vint(head, 0, keep_marker=True)
        if ident is None or ident[1] > 4:
            raise Unreadable("not an element")
        size = vint(head, ident[1])
        if size is None:
            raise Unreadable("not an element")
        value, length = size
        start = pos + ident[1] + length
        return ident[0], start, None if value == (1 << (7 * length)) - 1 else start + value

    def children(self, start: int, end: int):
        pos = start
        while pos < end:
            ident, data, stop = self.element(pos)
            if stop is None or stop > end:
                raise Unreadable("a child element does not fit")
            yield ident, pos, data, stop
            pos = stop

    def void(self, pos: int, end: int):
        """The element at [pos, end) becomes a Void element of the same size, its payload zeroed."""
        length = min(8, end - pos - 1)
        payload = end - pos - 1 - length
        header = VOID + ((1 << (7 * length)) | payload).to_bytes(length, "big")
        self.patches.append((pos, header))
        self.zeros.append((pos + len(header), end))

    def walk(self):
        pos = 0
        while pos < self.size:
            ident, data, stop = self.element(pos)
            if ident == SEGMENT:
                pos = self.segment(data, min(stop or self.size, self.size))
            elif stop is None or stop > self.size:
                raise Unreadable("an element does not fit")
            else:
                pos = stop

    def segment(self, pos: int, end: int) -> int:
        while pos < end:
            ident, data, stop = self.element(pos)
            if ident == EBML:  # the next segment of a chained file
                return pos
            if stop is None:
                if ident != CLUSTER:  # only clusters are written before their size is known
                    raise Unreadable("an element of unknown size")
                pos = self.open_cluster(data, end)
                continue
            if stop > end:
                if ident == CLUSTER:  # a recording cut off: it plays up to the cut
                    return end
                raise Unreadable("an element does not fit")
            if ident in (TAGS, ATTACHMENTS):
                self.void(pos, stop)
            elif ident == INFO:
                for child, at, _data, child_end in self.children(data, stop):
                    if child in INFO_BLANKED:
                        self.void(at, child_end)
            elif ident == SEEK_HEAD:
                self.seek_head(data, stop)
            pos = stop
        return end

    def seek_head(self, start: int, end: int):
        for child, at, data, stop in self.children(start, end):
            if child != SEEK:
                continue
            for grandchild, _at, id_data, id_end in self.children(data, stop):
                if grandchild == SEEK_ID and int.from_bytes(read_at(self.f, id_data, id_end - id_data), "big") in (
                        TAGS, ATTACHMENTS):
                    self.void(at, stop)
                    break

    def open_cluster(self, pos: int, end: int) -> int:
        """Where a cluster of unknown size (a live recording) ends: at the next level-one element."""
        while pos < end:
            ident, _data, stop = self.element(pos)
            if ident in LEVEL_ONE or ident == EBML:
                return pos
            if stop is None or stop > end:  # cut off inside a block: it plays up to the cut
                return end
            pos = stop
        return end


def matroska(f, size: int) -> PatchedReader:
    """The Matroska or WebM file with its tags, attachments, title and date turned into Void."""
    walker = _Matroska(f, size)
    walker.walk()
    return PatchedReader(f, walker.zeros, walker.patches)


# Ogg: clean_ogg.py ---------------------------------------------------------------------------------

CLEANERS = {"audio/mpeg": frames_only, "audio/aac": frames_only, "audio/wav": wav, "audio/flac": flac,
            "video/webm": matroska, "video/x-matroska": matroska, "audio/ogg": ogg, "video/ogg": ogg}


def cleaned(f, size: int, content_type: str):
    """A reader of the staff copy of a file of this (sniffed) type, or None when we have no way to
    clean it without a decoder; Unreadable when its structure does not fit."""
    cleaner = CLEANERS.get(content_type)
    return cleaner(f, size) if cleaner is not None else None
