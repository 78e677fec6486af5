"""ISO base media files (MP4, MOV, 3GP, M4A): walking their boxes without reading the media data,
and a staff copy whose metadata boxes are blanked.

A box is a 32-bit size, a 4-byte type and a payload (a 64-bit size follows the type when the
32-bit one is 1; 0 means "to the end of the file"). Phones put the place of capture (©xyz, loci,
com.apple.quicktime.location.ISO6709), the device and its owner's name into `udta` and `meta` boxes
inside `moov` and its tracks, and XMP into `uuid` boxes. Removing a box would shift the media data
and break the chunk offset tables (stco/co64), so the copy keeps every box where it is and turns the
metadata ones into `free` boxes of the same size with a zeroed payload: players skip `free` boxes.
The movie, each track and each track's media also carry when they were made and last changed (mvhd,
tkhd, mdhd): those fields are zeroed in place (1904-01-01, "unknown" to every player)."""
import struct
import sys
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate, chain

from portal.media.patched_reader import PatchedReader

# Boxes whose children are boxes (descended to find metadata at any depth).
CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"mvex", b"moof",
                        b"traf", b"mfra", b"tref"})
# Blanked wherever they are: metadata (udta, meta, XMP in uuid boxes) and leftovers in padding.
METADATA = frozenset({b"udta", b"meta", b"uuid", b"free", b"skip", b"XMP_"})
# Tracks of timed metadata rather than picture or sound: Apple's mebx, GoPro's GPS (gpmd), Google's
# camera motion (camm), drones' subtitle tracks with the position of each frame. Their whole trak
# becomes `free` and their samples in mdat are zeroed (found through the track's sample tables).
METADATA_HANDLERS = frozenset({b"meta", b"mdta", b"text", b"sbtl", b"subt", b"camm"})
MAX_SAMPLES = 1_000_000  # per sample table: the tables are read into memory (4-8 bytes an entry)
MAX_TABLE_ENTRIES = 2_000_000  # all sample tables of a file together
MAX_RANGES = 200_000  # chunks of timed metadata to zero, all tracks together (a track has one per second or frame)
MAX_BOXES = 100_000  # a real file has dozens (a fragmented one thousands): beyond this we stop walking
MAX_DEPTH = 8
MP4_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)
# Boxes that start (after version and flags) with a creation and a modification time: 32-bit each in
# version 0, 64-bit in version 1. A phone writes the moment of recording there, to the second.
DATED = frozenset({b"mvhd", b"tkhd", b"mdhd"})


class BrokenBoxes(ValueError):
    """The box structure does not fit the file: truncated or corrupt."""


@dataclass(frozen=True)
class Box:
    type: bytes
    offset: int
    header: int  # 8, or 16 with a 64-bit size
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.size

    @property
    def payload(self) -> int:
        return self.offset + self.header


def _readable_type(kind: bytes) -> bool:
    # Box types are four letters, digits, spaces or Apple's "©" (0xA9): anything else is not a box.
    return all(c == 0x20 or c == 0xA9 or 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A
               or c == 0x5F for c in kind)


def walk(f, start: int, end: int, budget: list | None = None):
    """The boxes between `start` and `end`, in order; BrokenBoxes if one does not fit."""
    budget = budget if budget is not None else [MAX_BOXES]
    pos = start
    while pos < end:
        budget[0] -= 1
        if budget[0] < 0:
            raise BrokenBoxes("too many boxes")
        if end - pos < 8:
            raise BrokenBoxes("a box header is cut off")
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            raise BrokenBoxes("a box header is cut off")
        size, kind = struct.unpack(">I4s", header)
        length = 8
        if size == 1:
            large = f.read(8)
            if len(large) < 8:
                raise BrokenBoxes("a box header is cut off")
            (size,) = struct.unpack(">Q", large)
            length = 16
        elif size == 0:
            size = end - pos
        if size < length or pos + size > end or not _readable_type(kind):
            raise BrokenBoxes("a box does not fit")
        yield Box(kind, pos, length, size)
        pos += size


def top_level(f, file_size: int) -> list[Box]:
    """Every top-level box; BrokenBoxes unless they fill the file exactly and `moov` is there (a
    recording cut off while being written or sent fails one of the two)."""
    boxes = list(walk(f, 0, file_size))
    if not any(box.type == b"moov" for box in boxes):
        raise BrokenBoxes("no moov box")
    return boxes


def _child(f, parent: Box, *path: bytes) -> Box | None:
    for kind in path:
        parent = next((box for box in walk(f, parent.payload, parent.end) if box.type == kind), None)
        if parent is None:
            return None
    return parent


def handler(f, trak: Box) -> bytes | None:
    """The handler type of a track (vide, soun, meta, text...)."""
    hdlr = _child(f, trak, b"mdia", b"hdlr")
    if hdlr is None or hdlr.size < hdlr.header + 12:
        return None
    f.seek(hdlr.payload + 8)  # version and flags, pre_defined
    return f.read(4)


def tracks(f, boxes: list[Box]) -> list[Box]:
    moov = next((box for box in boxes if box.type == b"moov"), None)
    return [box for box in walk(f, moov.payload, moov.end) if box.type == b"trak"] if moov else []


def _read(f, size: int) -> bytes:
    data = f.read(size)
    if len(data) < size:
        raise BrokenBoxes("a box is cut off")
    return data


class _Allowance:
    """What the sample tables of one file may cost, all tracks together: entries read, chunk ranges
    built. A file that needs more gets no staff copy (its original is kept as evidence)."""

    def __init__(self):
        self.entries = MAX_TABLE_ENTRIES
        self.ranges = MAX_RANGES

    def read(self, count: int):
        self.entries -= count
        if self.entries < 0:
            raise BrokenBoxes("sample tables too large")

    def build(self, count: int):
        self.ranges -= count
        if self.ranges < 0:
            raise BrokenBoxes("too many chunks")


def _count(f, box: Box, skip: int) -> int:
    """The entry count of a sample table box (after version/flags and `skip` more bytes)."""
    if box.size < box.header + 8 + skip:
        raise BrokenBoxes("a sample table is cut off")
    f.seek(box.payload + 4 + skip)
    (count,) = struct.unpack(">I", _read(f, 4))
    if count > MAX_SAMPLES:
        raise BrokenBoxes("too many samples")
    return count


def _table(f, box: Box, skip: int, code: str, fields: int, allowance: _Allowance) -> array:
    """The entries of a sample table box as one flat array of `fields` numbers per entry (4 or 8
    bytes each, by `code` "I" or "Q"): compact, and checked against the box before it is read."""
    count = _count(f, box, skip)
    values = array(code)
    if values.itemsize not in (4, 8):  # "I" is 4 bytes and "Q" 8 on every platform we run on
        raise BrokenBoxes("unsupported platform")
    if box.payload + 8 + skip + count * fields * values.itemsize > box.end:
        raise BrokenBoxes("a sample table does not fit")
    allowance.read(count * fields)
    values.frombytes(_read(f, count * fields * values.itemsize))
    if sys.byteorder == "little":
        values.byteswap()
    return values


def sample_ranges(f, trak: Box, allowance: _Allowance | None = None) -> list[tuple[int, int]]:
    """Where a track's samples are in the file: (start, end) per chunk, from stsz, stsc and stco/co64.
    Hostile tables must not cost more than the file is worth: stsc runs must start at chunk 1 and
    increase (so every chunk is visited once), counts are checked before anything is built, and all
    tracks share one allowance of entries and ranges."""
    allowance = allowance if allowance is not None else _Allowance()
    stbl = _child(f, trak, b"mdia", b"minf", b"stbl")
    if stbl is None:
        return []
    children = {box.type: box for box in walk(f, stbl.payload, stbl.end)}
    if b"stsz" not in children or b"stsc" not in children:
        return []
    stsz = children[b"stsz"]
    if stsz.size < stsz.header + 12:
        raise BrokenBoxes("stsz is cut off")
    f.seek(stsz.payload + 4)
    uniform, count = struct.unpack(">II", _read(f, 8))
    if count > MAX_SAMPLES:
        raise BrokenBoxes("too many samples")
    # ends[i]: the bytes of the first i samples together (one subtraction per chunk).
    ends = None if uniform else array("Q", accumulate(_table(f, stsz, 4, "I", 1, allowance), initial=0))
    if b"co64" in children:
        offsets = _table(f, children[b"co64"], 0, "Q", 1, allowance)
    elif b"stco" in children:
        offsets = _table(f, children[b"stco"], 0, "I", 1, allowance)
    else:
        return []
    runs = _table(f, children[b"stsc"], 0, "I", 3, allowance)  # first chunk (from 1), samples per chunk, description
    firsts = runs[0::3]
    if any(first <= before for before, first in zip(chain((0,), firsts), firsts, strict=False)):
        raise BrokenBoxes("stsc runs out of order")
    ranges, sample = [], 0
    for index, first in enumerate(firsts):
        if first > len(offsets) or sample >= count:
            break
        last = min(firsts[index + 1] - 1 if index + 1 < len(firsts) else len(offsets), len(offsets))
        allowance.build(last - first + 1)
        per_chunk = runs[3 * index + 1]
        for chunk in range(first - 1, last):
            if sample >= count:
                break
            upto = min(sample + per_chunk, count)
            length = (upto - sample) * uniform if uniform else ends[upto] - ends[sample]
            sample = upto
            ranges.append((offsets[chunk], offsets[chunk] + length))
    return ranges


def dates(f, box: Box) -> tuple[int, int]:
    """The byte range of the creation and modification times of an mvhd, tkhd or mdhd box."""
    if box.size < box.header + 4:
        raise BrokenBoxes("a dated box is cut off")
    f.seek(box.payload)
    width = 16 if _read(f, 1)[0] == 1 else 8
    if box.size < box.header + 4 + width:
        raise BrokenBoxes("a dated box is cut off")
    return box.payload + 4, box.payload + 4 + width


def metadata_boxes(f, file_size: int) -> tuple[list[Box], list[tuple[int, int]]]:
    """The boxes to blank, at the top level and at any depth inside moov and its tracks (whole
    tracks of timed metadata included), and the byte ranges to zero: those tracks' samples and the
    dates of the movie, its tracks and their media."""
    found, samples = [], []
    budget = [MAX_BOXES]
    allowance = _Allowance()

    def visit(start, end, depth):
        for box in walk(f, start, end, budget):
            if box.type in METADATA:
                found.append(box)
            elif box.type == b"trak" and handler(f, box) in METADATA_HANDLERS:
                samples.extend(sample_ranges(f, box, allowance))
                found.append(box)
            elif box.type in CONTAINERS and depth < MAX_DEPTH:
                visit(box.payload, box.end, depth + 1)
            elif box.type in DATED and depth > 0:
                samples.append(dates(f, box))

    try:
        visit(0, file_size, 0)
    except (struct.error, MemoryError) as exc:  # whatever slipped past the checks: no copy, not a crash
        raise BrokenBoxes(type(exc).__name__) from None
    return found, [(max(0, a), min(b, file_size)) for a, b in samples if a < b and a < file_size]


def creation_time(f, boxes: list[Box]) -> datetime | None:
    """When the camera says the movie was made (mvhd), or None when it does not say."""
    moov = next((box for box in boxes if box.type == b"moov"), None)
    if moov is None:
        return None
    for box in walk(f, moov.payload, moov.end):
        if box.type == b"mvhd":
            f.seek(box.payload)
            data = f.read(12)
            if len(data) < 12:
                return None
            seconds = struct.unpack(">Q", data[4:12])[0] if data[0] == 1 else struct.unpack(">I", data[4:8])[0]
            # Many encoders write 0 (1904) or a fixed default: only a plausible time counts.
            when = MP4_EPOCH + timedelta(seconds=seconds)
            return when if when.year >= 2000 else None
    return None


def blanked_reader(f, boxes: list[Box], zeroed: list[tuple[int, int]] = ()) -> PatchedReader:
    """Reads a file as if the given boxes were `free` boxes with zeroed payloads (and the given
    ranges zeroed), for `media_store.put_stream`: one pass, a chunk at a time, sizes and offsets
    unchanged. Blanked boxes never nest (nothing inside one is looked at), so the type fields lie
    outside every zeroed range and the "free" written over them is never zeroed again."""
    return PatchedReader(f, zeros=[(box.payload, box.end) for box in boxes] + list(zeroed),
                         patches=[(box.offset + 4, b"free") for box in boxes])
