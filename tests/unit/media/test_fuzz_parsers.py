"""The parsers and cleaners that face hostile files, fuzzed: real files of every accepted format
(tests/media_corpus, made by ffmpeg) and the hand-built samples are mutated (bits flipped, sizes
overwritten with edge values, bytes cut, inserted, repeated) and run through everything an upload
meets: sniffing, the refinement of MP4 sound, the completeness check, the capture time, the photo
check and copies, and the metadata cleaners read to the end.

Each must either succeed or refuse with its documented error (UploadRefused for the checks,
BrokenBoxes or Unreadable for the cleaners: both ValueErrors the callers turn into "no copy"),
within a bounded time and bounded memory. A copy that succeeds is never larger than the original
plus a RIFF header, and a cleaned MP4 still has the original's size.

CI runs a bounded, derandomized number of examples per seed file; `make fuzz` runs many more with
fresh randomness (PORTAL_FUZZ_EXAMPLES, PORTAL_FUZZ_RANDOM, as tests/functional/test_fuzz_routes.py)."""
import io
import os
import pathlib
import time
import tracemalloc
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.media import clean, images, mp4_clean, sniff
from portal.media.readers import Unreadable
from portal.media.storage import LocalMediaStore
from portal.media.uploads import UploadLimits, UploadRefused, _check_image
from portal.tips.media import _own_capture
from tests import media_samples as m

CORPUS = pathlib.Path(__file__).parents[2] / "media_corpus"
EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("PORTAL_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture], database=None)
CPU_SECONDS = 2.0  # per file, every parser together: the seeds take a few milliseconds
PYTHON_MEMORY = 24 * 1024 * 1024  # peak Python allocations per file (Pillow's pixels are bounded by max_pixels)
LIMITS = UploadLimits(max_count=1, max_bytes=15 * 1024 * 1024, max_pixels=4_000_000)
CLEANER_ERRORS = (mp4_clean.BrokenBoxes, Unreadable)
RIFF_HEADER = 12  # the WAV cleaner writes a fresh RIFF header before the chunks it keeps

SYNTHETIC = {
    "mp4-metadata": m.mp4(), "mp4-gps-track": m.mp4_with_gps_track(), "mov": m.mov(), "3gp": m.three_gp(),
    "m4a": m.m4a(), "webm-tagged": m.webm_tagged(), "webm-live": m.webm_tagged(live=True),
    "wav-tagged": m.wav_tagged(), "ogg-vorbis-tagged": m.ogg_vorbis_tagged(), "mp3-tagged": m.mp3_tagged(),
    "adts": m.adts(), "amr": m.amr(), "flac-tagged": m.flac_tagged(), "avi": m.avi(),
}
SEEDS = {**{path.name: path.read_bytes() for path in sorted(CORPUS.iterdir()) if path.suffix != ".sh"},
         **SYNTHETIC}


def _edge_values(size: int) -> list[int]:
    return [0, 1, 7, 8, 9, 12, 16, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
            max(size - 8, 0), size, size + 1]


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    data = bytearray(seed)
    edges = _edge_values(len(seed))
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        op = draw(st.sampled_from(("flip", "byte", "int", "cut", "delete", "insert", "repeat")))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte" and data:
            data[pos] = draw(st.sampled_from((0x00, 0x01, 0x7F, 0x80, 0xFF)))
        elif op == "int":
            width = draw(st.sampled_from((2, 4, 8)))
            value = draw(st.sampled_from(edges)) % (1 << (8 * width))
            data[pos:pos + width] = value.to_bytes(width, draw(st.sampled_from(("big", "little"))))
        elif op == "cut":
            del data[pos:]
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 64))]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        else:
            data[pos:pos] = data[pos:pos + draw(st.integers(1, 512))]
    return bytes(data)


def _copy(data: bytes, fmt: sniff.Format, store) -> bytes | dict | None:
    """The staff or public copy of an upload, as tips/media.py and media/uploads.py make them."""
    f = io.BytesIO(data)
    if fmt.kind == "image":
        field = SimpleNamespace(filename="x", file=f)
        _check_image(field, LIMITS)
        key, _sha, _size = store.put_bytes(data, fmt.suffix)
        return images.derive_public_copies(store, key)
    if fmt.family == "iso":
        boxes, zeroed = mp4_clean.metadata_boxes(f, len(data))
        return mp4_clean.blanked_reader(f, boxes, zeroed).read(-1)
    reader = clean.cleaned(f, len(data), fmt.content_type)
    return reader.read(-1) if reader is not None else None


def _every_parser(data: bytes, store) -> str:
    """Run a file through every parser; return what became of it, or fail on an undocumented error."""
    f = io.BytesIO(data)
    fmt = sniff.identify(f)
    if fmt is None:
        with pytest.raises(UploadRefused):
            sniff.require(f, "x")
        return "refused"
    assert f.tell() == 0
    fmt = sniff.refine(f, fmt)
    assert isinstance(sniff.is_complete(f, fmt), bool)
    capture = _own_capture(f, fmt)  # time and, for photos, place (media/exif.py): never an error
    assert capture.at is None or capture.at.tzinfo is not None
    try:
        copy = _copy(data, fmt, store)
    except UploadRefused:
        assert fmt.kind == "image"
        return "refused"
    except CLEANER_ERRORS:
        assert fmt.kind != "image"
        return "no copy"
    if copy is None:
        return "no cleaner"  # AVI (no copy yet), AMR (no place for metadata: its own copy)
    if isinstance(copy, bytes):
        assert len(copy) <= len(data) + RIFF_HEADER
        if fmt.family == "iso":
            assert len(copy) == len(data)  # boxes blanked in place: every offset still right
    return "copied"


def _bounded(data: bytes, store) -> str:
    tracemalloc.start()
    started = time.process_time()
    try:
        outcome = _every_parser(data, store)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    spent = time.process_time() - started
    assert spent < CPU_SECONDS, f"{spent:.2f} s of CPU"
    assert peak < PYTHON_MEMORY, f"{peak} bytes at the peak"
    return outcome


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return LocalMediaStore(str(tmp_path_factory.mktemp("fuzz-store")))


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_every_seed_is_accepted_and_copied(name, store):
    """The seeds themselves are good files: the fuzzing starts from what a phone really sends."""
    without_cleaner = name in ("video.avi", "avi", "amr")
    assert _bounded(SEEDS[name], store) == ("no cleaner" if without_cleaner else "copied")


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_mutated_files_are_copied_or_refused_within_bounds(name, store):
    @FUZZ
    @given(data=mutated(SEEDS[name]))
    def run(data):
        _bounded(data, store)

    run()


@FUZZ
@given(head=st.sampled_from((b"\x1aE\xdf\xa3", b"OggS\x00\x02", b"fLaC", b"RIFF", b"ID3\x03\x00\x00",
                             b"\x00\x00\x00\x18ftypisom", b"#!AMR\n", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")),
       tail=st.binary(max_size=2048))
def test_random_bytes_behind_a_magic_number_are_refused_or_copied(head, tail, store):
    _bounded(head + tail, store)
