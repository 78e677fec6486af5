"""MP4 sample tables read for the staff copy: hostile tables cost bounded time and memory and end as
"no staff copy" (BrokenBoxes), never as a hang, a MemoryError or a struct.error."""
import io
import json
import os
import pathlib
import shutil
import struct
import subprocess
import time
import tracemalloc

import pytest

from portal.media import mp4_clean, sniff
from tests import media_samples as m


def _tables(sizes, runs, offsets, uniform=0) -> bytes:
    stsz = m.full_box(b"stsz", 0, struct.pack(">II", uniform, len(sizes) if not uniform else sizes)
                      + (b"".join(struct.pack(">I", n) for n in sizes) if not uniform else b""))
    stsc = m.full_box(b"stsc", 0, struct.pack(">I", len(runs)) + b"".join(struct.pack(">III", *r) for r in runs))
    stco = m.full_box(b"stco", 0, struct.pack(">I", len(offsets)) + b"".join(struct.pack(">I", o) for o in offsets))
    return stsz + stsc + stco


def _metadata(data: bytes):
    return mp4_clean.metadata_boxes(io.BytesIO(data), len(data))


def _ranges(data: bytes):
    f = io.BytesIO(data)
    (trak,) = mp4_clean.tracks(f, mp4_clean.top_level(f, len(data)))
    return mp4_clean.sample_ranges(f, trak)


def _accepted(data: bytes) -> bool:
    f = io.BytesIO(data)
    return sniff.is_complete(f, sniff.require(f, "x.mp4"))


def test_chunks_are_found_through_runs_of_different_lengths():
    # Chunks 1-2 hold two samples each, chunks 3-4 one each; sizes differ per sample.
    data = m.mp4_metadata_track(_tables([1, 2, 3, 4, 5, 6], [(1, 2, 1), (3, 1, 1)], [100, 200, 300, 400]))
    assert _ranges(data) == [(100, 103), (200, 207), (300, 305), (400, 406)]
    uniform = m.mp4_metadata_track(_tables(5, [(1, 2, 1), (2, 3, 1)], [10, 20, 30], uniform=7))
    assert _ranges(uniform) == [(10, 24), (20, 41)]  # 5 samples: 2 in chunk 1, 3 in chunk 2, none left


def test_stsc_runs_out_of_order_are_refused_in_bounded_time():
    data = m.mp4_stsc_flood(5000)  # quadratic before: 12.5 million ranges, seconds and gigabytes
    assert _accepted(data)  # the box structure itself is fine: the original is kept as evidence
    started = time.monotonic()
    with pytest.raises(mp4_clean.BrokenBoxes):
        _metadata(data)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("runs", [[(0, 1, 1)], [(2, 1, 1), (2, 1, 1)], [(3, 1, 1), (2, 1, 1)]])
def test_stsc_first_chunks_must_start_at_one_and_increase(runs):
    data = m.mp4_metadata_track(_tables([4, 4, 4], runs, [100, 200, 300]))
    with pytest.raises(mp4_clean.BrokenBoxes):
        _metadata(data)


@pytest.mark.parametrize("count", [10**8, 2**32 - 1])
def test_a_huge_sample_count_is_refused_before_anything_is_built(count):
    data = m.mp4_sample_count(count)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(mp4_clean.BrokenBoxes):
            _metadata(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 1 and peak < 5 * 1024 * 1024  # was a list of `count` sizes (800 MB+)


def test_a_sample_table_cut_off_at_the_end_of_the_file_is_broken_not_a_struct_error():
    data = m.mp4_short_stsz()
    assert _accepted(data)
    with pytest.raises(mp4_clean.BrokenBoxes):
        _metadata(data)


def test_all_tracks_together_have_a_budget_of_ranges(monkeypatch):
    tables = _tables([1] * 3, [(1, 1, 1)], [30, 40, 50])
    # Three chunks per track, and the movie's dates (mvhd), which are zeroed too.
    assert len(_metadata(m.mp4_metadata_track(tables, tables))[1]) == 6 + 1
    monkeypatch.setattr(mp4_clean, "MAX_RANGES", 5)
    assert len(_metadata(m.mp4_metadata_track(tables))[1]) == 3 + 1
    with pytest.raises(mp4_clean.BrokenBoxes):
        _metadata(m.mp4_metadata_track(tables, tables))


def test_all_tables_together_have_a_budget_of_entries(monkeypatch):
    data = m.mp4_metadata_track(_tables([1] * 6, [(1, 1, 1)], [100, 200, 300, 400, 500, 600]))
    monkeypatch.setattr(mp4_clean, "MAX_TABLE_ENTRIES", 10)  # 6 sizes + 1 run + 6 offsets
    with pytest.raises(mp4_clean.BrokenBoxes):
        _metadata(data)


def test_running_out_of_memory_means_no_copy(monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(mp4_clean, "sample_ranges", exhausted)
    with pytest.raises(mp4_clean.BrokenBoxes):
        _metadata(m.mp4_with_gps_track())


# Dates: the movie, its tracks and their media say when they were made, to the second -------------

CORPUS = pathlib.Path(__file__).parents[2] / "media_corpus"
ISO_FILES = ("video.mp4", "video.mov", "video.3gp", "audio.m4a")


def _dates(data: bytes) -> dict:
    """Every mvhd, tkhd and mdhd box's creation and modification times, by box type."""
    f, found = io.BytesIO(data), {}

    def visit(start, end):
        for box in mp4_clean.walk(f, start, end):
            if box.type in mp4_clean.DATED:
                start_, end_ = mp4_clean.dates(f, box)
                found.setdefault(box.type, []).append(data[start_:end_])
            elif box.type in mp4_clean.CONTAINERS:
                visit(box.payload, box.end)

    visit(0, len(data))
    return found


def _copy(data: bytes) -> bytes:
    f = io.BytesIO(data)
    boxes, zeroed = mp4_clean.metadata_boxes(f, len(data))
    return mp4_clean.blanked_reader(f, boxes, zeroed).read(-1)


@pytest.mark.parametrize("name", ISO_FILES)
def test_the_copy_of_a_real_file_keeps_no_date_of_recording(name):
    data = (CORPUS / name).read_bytes()
    before = _dates(data)
    assert set(before) == {b"mvhd", b"tkhd", b"mdhd"} and all(any(v) for vs in before.values() for v in vs)
    after = _dates(_copy(data))
    assert {kind: len(values) for kind, values in after.items()} == {k: len(v) for k, v in before.items()}
    assert all(not any(value) for values in after.values() for value in values)


def test_version_one_dates_are_64_bits_and_zeroed_whole():
    when = struct.pack(">QQ", 0x1_0000_0001, 0x1_0000_0002)
    mvhd = m.full_box(b"mvhd", 1, when + struct.pack(">IQ", 1000, 1000) + bytes(80))
    data = m.ftyp() + m.box(b"moov", mvhd, m.track(with_metadata=False)) + m.box(b"mdat", b"frames")
    assert _dates(data)[b"mvhd"] == [when]
    copy = _copy(data)
    assert _dates(copy)[b"mvhd"] == [bytes(16)] and len(copy) == len(data)
    at = data.index(when)
    assert copy[:at] + when + copy[at + 16:] == data  # nothing else moved or changed


def test_a_dated_box_too_short_for_its_dates_means_no_copy():
    data = m.ftyp() + m.box(b"moov", m.full_box(b"mvhd", 1, bytes(8))) + m.box(b"mdat", b"frames")
    with pytest.raises(mp4_clean.BrokenBoxes):
        _metadata(data)


@pytest.mark.skipif(not shutil.which("ffprobe") and not os.environ.get("PORTAL_REQUIRE_FFMPEG"),
                    reason="ffprobe (Debian's ffmpeg) is not installed")
@pytest.mark.parametrize("name", ISO_FILES)
def test_ffprobe_finds_no_creation_time_in_the_copy(name, tmp_path):
    original, copy = tmp_path / f"original-{name}", tmp_path / f"copy-{name}"
    original.write_bytes((CORPUS / name).read_bytes())
    copy.write_bytes(_copy(original.read_bytes()))

    def creation_times(path):
        out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format_tags:stream_tags", "-of", "json",
                              str(path)], capture_output=True, text=True, check=True).stdout
        return [tags.get("creation_time") for part in json.loads(out).values()
                for tags in ([part.get("tags", {})] if isinstance(part, dict) else [s.get("tags", {}) for s in part])
                if tags.get("creation_time")]

    assert creation_times(original)  # the phone's moment of recording is there...
    assert creation_times(copy) == []  # ...and not in what staff see
