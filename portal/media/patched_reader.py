"""A file read with byte ranges zeroed and bytes written over it, for media_store.put_stream: one
pass, a chunk at a time, the same length, nothing moved (chunk offset tables stay valid)."""
import bisect


class PatchedReader:
    """Reads a file with byte ranges zeroed and then bytes written over it (`patches`: offset, bytes):
    the same length, nothing moved."""

    def __init__(self, f, zeros=(), patches=()):
        self.f = f
        self.pos = 0
        self.zeros = _merged(zeros)
        self.zero_starts = [lo for lo, _hi in self.zeros]
        self.patches = sorted(patches)
        self.patch_starts = [offset for offset, _data in self.patches]
        self.longest = max((len(data) for _offset, data in self.patches), default=0)
        f.seek(0)

    def read(self, size: int = -1) -> bytes:
        chunk = self.f.read(size)
        if not chunk:
            return chunk
        start, end = self.pos, self.pos + len(chunk)
        self.pos = end
        data = None
        index = max(0, bisect.bisect_right(self.zero_starts, start) - 1)
        while index < len(self.zeros) and self.zeros[index][0] < end:
            lo, hi = self.zeros[index]
            index += 1
            if hi <= start:
                continue
            data = data if data is not None else bytearray(chunk)
            a, b = max(lo, start), min(hi, end)
            data[a - start:b - start] = bytes(b - a)
        index = bisect.bisect_left(self.patch_starts, start - self.longest + 1)
        while index < len(self.patches) and self.patches[index][0] < end:
            lo, patch = self.patches[index]
            index += 1
            if lo + len(patch) <= start:
                continue
            data = data if data is not None else bytearray(chunk)
            a, b = max(lo, start), min(lo + len(patch), end)
            data[a - start:b - start] = patch[a - lo:b - lo]
        return bytes(data) if data is not None else chunk


def _merged(ranges):
    merged = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return merged
