"""Readers for the media store's put_stream that make a staff copy in one pass, a chunk at a time,
and the error every cleaner raises when a file's structure does not fit what it walks."""


class Unreadable(ValueError):
    """The file's structure does not fit: no staff copy."""


class SplicedReader:
    """Reads pieces one after the other: bytes as given, (start, end) ranges of the file."""

    def __init__(self, f, pieces):
        self.f = f
        self.pieces = list(pieces)
        self.index = 0

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while self.index < len(self.pieces) and (size < 0 or len(out) < size):
            piece = self.pieces[self.index]
            want = None if size < 0 else size - len(out)
            if isinstance(piece, bytes):
                part = piece if want is None else piece[:want]
                rest = piece[len(part):]
            else:
                start, end = piece
                count = end - start if want is None else min(end - start, want)
                self.f.seek(start)
                part = self.f.read(count)
                if len(part) < count:
                    raise Unreadable("the file is shorter than it was")
                rest = (start + count, end) if start + count < end else b""
            out += part
            if rest:
                self.pieces[self.index] = rest
            else:
                self.index += 1
        return bytes(out)


def read_at(f, pos: int, count: int) -> bytes:
    f.seek(pos)
    data = f.read(count)
    if len(data) < count:
        raise Unreadable("cut off")
    return data
