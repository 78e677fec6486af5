"""Ogg (Vorbis, Opus, Theora, Speex): staff copies with every comment packet blanked and the
pages' checksums made again, read a chunk at a time (clean.py chooses it by type; FLAC in Ogg: no copy)."""
import struct
import zlib

from portal.media.patched_reader import PatchedReader
from portal.media.readers import Unreadable, read_at

OGG_SKELETON = b"fishead\0"  # an index of the other streams: no comments
MAX_PAGES = 200_000
MAX_COMMENT_BYTES = 16 * 1024 * 1024  # all streams' comment packets together, held in memory
_REVERSED = bytes(int(f"{n:08b}"[::-1], 2) for n in range(256))

# What the first packet of a logical stream starts with -> what its comment packet (the second) starts
# with, and whether a framing bit must follow the comments (Vorbis checks it).
OGG_COMMENTS = {b"\x01vorbis": (b"\x03vorbis", True), b"OpusHead": (b"OpusTags", False),
                b"\x80theora": (b"\x81theora", False), b"Speex   ": (b"", False)}


def ogg_crc(data: bytes) -> int:
    """The Ogg page checksum: CRC-32 with polynomial 0x04C11DB7, not reflected, no initial or final
    value. zlib's CRC-32 is the reflected one: fed the bytes bit-reversed, started at zero (its
    initial 0xFFFFFFFF undone), its result bit-reversed is Ogg's."""
    reflected = zlib.crc32(data.translate(_REVERSED), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{reflected:032b}"[::-1], 2)


class _OggStream:
    def __init__(self, comment_magic: bytes | None, framing: bool):
        self.magic, self.framing = comment_magic, framing
        self.packets = 0  # packets completed
        self.spans = []  # (file offset, length) of the comment packet's bytes, page by page
        self.pages = []  # (offset, length) of the pages holding them


def _ogg_streams(f, size: int) -> dict:
    """Walk every page; for each logical stream, where its comment packet lies."""
    streams, pos = {}, 0
    for _ in range(MAX_PAGES):
        if pos >= size:
            return streams
        header = read_at(f, pos, 27)
        if header[:4] != b"OggS" or header[4] != 0:
            raise Unreadable("not an Ogg page")
        serial, count = struct.unpack("<I", header[14:18])[0], header[26]
        lacing = read_at(f, pos + 27, count)
        body = pos + 27 + count
        end = body + sum(lacing)
        if end > size:
            raise Unreadable("a page does not fit")
        if header[5] & 0x02:  # beginning of a stream: its first packet says what it is
            first = read_at(f, body, min(8, end - body))
            kind = next((magic for magic in (*OGG_COMMENTS, OGG_SKELETON) if first.startswith(magic)), None)
            if kind is None or serial in streams:
                raise Unreadable("a stream we do not know")
            streams[serial] = _OggStream(*OGG_COMMENTS[kind]) if kind != OGG_SKELETON else _OggStream(None, False)
        stream = streams.get(serial)
        if stream is None:
            raise Unreadable("a page of no stream")
        offset = body
        for value in lacing:
            if stream.packets == 1 and stream.magic is not None:
                if value:
                    stream.spans.append((offset, value))
                if not stream.pages or stream.pages[-1][0] != pos:
                    stream.pages.append((pos, end - pos))
            offset += value
            if value < 255:
                stream.packets += 1
        pos = end
    raise Unreadable("too many pages")


def _blank_comments(packet: bytes, magic: bytes, framing: bool) -> bytes:
    """The comment packet with its vendor string and no comments, padded with zeros to its length
    (Opus calls that padding; Vorbis wants its framing bit right after the comments)."""
    start = len(magic)
    if not packet.startswith(magic) or len(packet) < start + 4:
        raise Unreadable("not a comment packet")
    vendor_end = start + 4 + struct.unpack("<I", packet[start:start + 4])[0]
    kept = packet[:vendor_end] + bytes(4) + (b"\x01" if framing else b"")
    if len(kept) > len(packet):
        raise Unreadable("a comment packet too short")
    return kept + bytes(len(packet) - len(kept))


def ogg(f, size: int) -> PatchedReader:
    """The Ogg file with every stream's comments (and pictures in them) blanked, page checksums redone."""
    patches, total = [], 0
    for stream in _ogg_streams(f, size).values():
        if stream.magic is None or not stream.spans:
            continue
        total += sum(n for _offset, n in stream.spans)
        if total > MAX_COMMENT_BYTES:  # all streams together: the blanked packets are held in memory
            raise Unreadable("comments too large")
        packet = b"".join(read_at(f, offset, n) for offset, n in stream.spans)
        blank, done, mine = _blank_comments(packet, stream.magic, stream.framing), 0, []
        for offset, n in stream.spans:
            mine.append((offset, blank[done:done + n]))
            done += n
        for page, page_length in stream.pages:
            data = bytearray(read_at(f, page, page_length))
            for offset, piece in mine:
                if page <= offset < page + page_length:
                    data[offset - page:offset - page + len(piece)] = piece
            data[22:26] = bytes(4)
            patches.append((page + 22, struct.pack("<I", ogg_crc(bytes(data)))))
        patches += mine
    return PatchedReader(f, (), patches)
