"""Staff copies made by ffmpeg: one per format a tip may carry, each H.264/AAC (video) or AAC (sound) in
MP4 with no metadata left (checked by ffprobe and in the bytes), a poster and the duration; and the
child process's limits hold (CPU, memory, file size, wall clock)."""
import io
import json
import os
import subprocess
import sys
import time

import pytest
from PIL import Image

from portal.media import ffmpeg, sniff, transcode
from portal.media.storage import LocalMediaStore
from tests.transcode_samples import ALLOWED_TAGS, FORMATS, SECRET_TITLE, SECRETS, make_sample, require_ffmpeg

LIMITS = ffmpeg.Limits(cpu_seconds=120, memory_mb=1536, wall_seconds=120, output_mb=100)


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    require_ffmpeg()
    return tmp_path_factory.mktemp("samples")


def ffprobe(path) -> dict:
    done = subprocess.run(["ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", str(path)],
                          capture_output=True, check=True, timeout=60)
    return json.loads(done.stdout)


def tags_of(info: dict) -> dict:
    tags = dict((info.get("format") or {}).get("tags") or {})
    for stream in info.get("streams", []):
        tags.update({f"stream.{k}": v for k, v in (stream.get("tags") or {}).items()})
    return tags


class Media:
    def __init__(self, key, kind, content_type):
        self.original_key, self.kind, self.content_type = key, kind, content_type


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_gets_a_playable_copy_without_metadata(samples, tmp_path, name):
    kind, content_type, suffix, _options = FORMATS[name]
    data = make_sample(name, samples)
    fmt = sniff.refine(io.BytesIO(data), sniff.require(io.BytesIO(data), "sample" + suffix))
    assert (fmt.kind, fmt.content_type) == (kind, content_type)  # what the upload checks say of it
    if name != "amr":  # AMR has no place for tags; every other sample carries them
        assert SECRET_TITLE.encode() in data or SECRET_TITLE in json.dumps(tags_of(ffprobe(_write(tmp_path, data))))
    store = LocalMediaStore(str(tmp_path / "media"))
    key, _sha, _size = store.put_bytes(data, suffix)
    written = []
    made = transcode.make_staff_copy(store, Media(key, kind, content_type), LIMITS, written)

    with store.open(made.copy_key) as copy:
        copied = copy.read()
    assert not any(secret in copied for secret in SECRETS)
    info = ffprobe(store._path(made.copy_key))
    tags = tags_of(info)
    assert {k.removeprefix("stream.") for k in tags} <= ALLOWED_TAGS, tags
    assert tags.get("stream.encoder", " ").strip() == "" and "creation_time" not in json.dumps(tags)
    assert info["format"]["format_name"].startswith("mov,mp4")
    codecs = [s["codec_name"] for s in info["streams"]]
    assert abs(made.duration_ms - 2000) < 200
    if kind == "video":
        assert codecs == ["h264", "aac"] and made.content_type == "video/mp4"
        assert made.width > 0 and made.height > 0 and made.width % 2 == 0 and made.height % 2 == 0
        video = info["streams"][0]
        assert (video["pix_fmt"], video["width"], video["height"]) == ("yuv420p", made.width, made.height)
        assert b"x264 - core" not in copied  # the encoder's settings (an SEI unit) are not kept
        with store.open(made.poster_key) as poster:
            poster_bytes = poster.read()
        with Image.open(io.BytesIO(poster_bytes)) as image:
            assert image.format == "JPEG" and image.size == (made.width, made.height)
            assert not image.getexif() and "comment" not in image.info
        assert not any(secret in poster_bytes for secret in SECRETS)
    else:
        assert codecs == ["aac"] and made.content_type == "audio/mp4" and made.poster_key is None
    assert sorted(written) == sorted(k for k in (made.copy_key, made.poster_key) if k)
    assert os.listdir(store.incoming_dir()) == []  # the work files are gone


def _write(tmp_path, data: bytes):
    path = tmp_path / "original"
    path.write_bytes(data)
    return path


def test_a_copy_fits_the_longest_side_and_stays_even(samples, tmp_path):
    target = tmp_path / "odd.mp4"
    subprocess.run([require_ffmpeg(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=size=2001x1001:rate=5:duration=1", "-c:v", "mpeg4", str(target)], check=True, timeout=60)
    facts = transcode.make_files(str(target), "video/mp4", "video", str(tmp_path), LIMITS)
    assert (facts["width"], facts["height"]) == (1280, 640)


def test_a_phones_rotation_is_applied_to_the_picture(samples, tmp_path):
    """A phone held upright records landscape frames and a rotation: the copy is upright, without it."""
    plain, rotated = tmp_path / "plain.mp4", tmp_path / "rotated.mp4"
    ffmpeg_path = require_ffmpeg()
    subprocess.run([ffmpeg_path, "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=size=320x240:rate=10:duration=1", "-c:v", "libx264", "-preset", "ultrafast", str(plain)],
                   check=True, timeout=60)
    subprocess.run([ffmpeg_path, "-nostdin", "-loglevel", "error", "-i", str(plain), "-c", "copy",
                    "-metadata:s:v:0", "rotate=90", str(rotated)], check=True, timeout=60)
    facts = transcode.make_files(str(rotated), "video/mp4", "video", str(tmp_path), LIMITS)
    assert (facts["width"], facts["height"]) == (240, 320)
    assert "side_data_list" not in ffprobe(facts["copy"])["streams"][0]


def test_the_sniffed_type_chooses_the_demuxer(samples, tmp_path):
    """ffmpeg never guesses: a playlist naming a local file, sent as an MP3, is read as MP3 and fails."""
    secret = tmp_path / "secret.wav"
    secret.write_bytes(make_sample("wav", samples))
    playlist = tmp_path / "playlist"
    playlist.write_text(f"#EXTM3U\n#EXTINF:2,\n{secret}\n")
    with pytest.raises((ffmpeg.ToolFailed, transcode.CannotTranscode)):
        transcode.make_files(str(playlist), "audio/mpeg", "audio", str(tmp_path), LIMITS)
    with pytest.raises(transcode.CannotTranscode):
        transcode.make_files(str(secret), "application/x-mpegurl", "audio", str(tmp_path), LIMITS)


ENDLESS = ["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=640x480:rate=25", "-c:v", "mpeg4"]


def test_the_wall_clock_limit_kills_the_process_group(samples, tmp_path):
    limits = ffmpeg.Limits(cpu_seconds=60, memory_mb=1536, wall_seconds=1.5, output_mb=100)
    started = time.monotonic()
    with pytest.raises(ffmpeg.ToolFailed, match="time limit"):
        ffmpeg.run([require_ffmpeg(), *ENDLESS, "-f", "null", "-"], limits)
    assert time.monotonic() - started < 10


def test_the_cpu_limit(samples, tmp_path):
    limits = ffmpeg.Limits(cpu_seconds=1, memory_mb=1536, wall_seconds=60, output_mb=100)
    with pytest.raises(ffmpeg.ToolFailed, match="CPU time limit"):
        ffmpeg.run([require_ffmpeg(), *ENDLESS, "-f", "null", "-"], limits)


def test_the_output_size_limit(samples, tmp_path):
    limits = ffmpeg.Limits(cpu_seconds=60, memory_mb=1536, wall_seconds=60, output_mb=1)
    target = tmp_path / "big.avi"
    with pytest.raises(ffmpeg.ToolFailed, match="output size limit"):
        ffmpeg.run([require_ffmpeg(), *ENDLESS, "-q:v", "1", "-f", "avi", str(target)], limits)
    assert target.stat().st_size <= 1024 * 1024


def test_the_memory_limit(samples, tmp_path):
    limits = ffmpeg.Limits(cpu_seconds=60, memory_mb=40, wall_seconds=60, output_mb=100)
    with pytest.raises(ffmpeg.ToolFailed):
        ffmpeg.run([require_ffmpeg(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=size=3840x2160:rate=25:duration=2", "-c:v", "libx264", "-f", "null", "-"], limits)


def test_a_missing_ffmpeg_is_said_plainly():
    with pytest.raises(ffmpeg.ToolMissing, match="apt-get install ffmpeg"):
        ffmpeg.tool("ffmpeg", {"portal.transcode.ffmpeg": "/nonexistent/ffmpeg"})


KILLED_WORKER = """
import sys
from portal.media import ffmpeg
ffmpeg.run([sys.argv[1], *sys.argv[2:]], ffmpeg.Limits(cpu_seconds=600, memory_mb=1536, wall_seconds=600,
                                                       output_mb=10))
"""


def test_ffmpeg_dies_with_a_killed_worker(samples):
    """A worker killed outright (kill -9, out of memory) leaves no ffmpeg running without its wall clock."""
    import signal

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    worker = subprocess.Popen([sys.executable, "-c", KILLED_WORKER, require_ffmpeg(), *ENDLESS, "-f", "null", "-"],
                              cwd=root)
    children = f"/proc/{worker.pid}/task/{worker.pid}/children"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not open(children).read().split():
        time.sleep(0.1)
    (child,) = [int(pid) for pid in open(children).read().split()]
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False
