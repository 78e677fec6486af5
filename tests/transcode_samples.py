"""Real video and sound files of every format a tip may carry, made by ffmpeg from its test sources
(lavfi testsrc + sine) with metadata a copy must not keep: a title, an artist, a creation time and a
place. AMR has no encoder in Debian's ffmpeg (no libopencore-amrnb encoder): its sample is AMR-NB frames
written here (12.2 kbit/s frames of zero bits, which decode to silence), and AMR has no place for tags.

Tests that need ffmpeg skip with a reason without it, unless PORTAL_REQUIRE_FFMPEG=1 (CI): then they fail."""
import os
import shutil
import subprocess

import pytest

SECRET_TITLE = "Secret-title-Zhang-San"
SECRET_PLACE = "+39.9042+116.4074/"
TAGS = ["-metadata", f"title={SECRET_TITLE}", "-metadata", "artist=Zhang San's phone",
        "-metadata", "creation_time=2024-05-01T10:00:00Z", "-metadata", f"location={SECRET_PLACE}",
        "-metadata", f"comment={SECRET_TITLE}"]
SECRETS = (SECRET_TITLE.encode(), SECRET_PLACE.encode(), b"Zhang San")
# What a clean copy may still say: the container's brands and the neutral stream facts.
ALLOWED_TAGS = {"major_brand", "minor_version", "compatible_brands", "language", "handler_name", "vendor_id",
                "encoder"}

VIDEO_SOURCE = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=15:duration={s}",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration={s}"]
AUDIO_SOURCE = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration={s}"]
# name -> (kind, sniffed content type, suffix, ffmpeg output options)
FORMATS = {
    "mp4": ("video", "video/mp4", ".mp4", ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-f", "mp4"]),
    "mov": ("video", "video/quicktime", ".mov", ["-c:v", "mpeg4", "-c:a", "aac", "-f", "mov"]),
    "3gp": ("video", "video/3gpp", ".3gp", ["-s", "176x144", "-c:v", "h263", "-c:a", "aac", "-ar", "8000", "-ac", "1",
                                            "-f", "3gp"]),
    "webm": ("video", "video/webm", ".webm", ["-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus",
                                              "-f", "webm"]),
    "mkv": ("video", "video/x-matroska", ".mkv", ["-c:v", "mpeg4", "-c:a", "flac", "-f", "matroska"]),
    "avi": ("video", "video/x-msvideo", ".avi", ["-c:v", "mpeg4", "-vtag", "DIVX", "-c:a", "libmp3lame",
                                                 "-f", "avi"]),
    "mp3": ("audio", "audio/mpeg", ".mp3", ["-c:a", "libmp3lame", "-id3v2_version", "3", "-f", "mp3"]),
    "m4a": ("audio", "audio/mp4", ".m4a", ["-c:a", "aac", "-f", "ipod"]),
    "wav": ("audio", "audio/wav", ".wav", ["-c:a", "pcm_s16le", "-ar", "16000", "-f", "wav"]),
    "flac": ("audio", "audio/flac", ".flac", ["-c:a", "flac", "-f", "flac"]),
    "ogg": ("audio", "audio/ogg", ".ogg", ["-c:a", "libopus", "-f", "ogg"]),
    "amr": ("audio", "audio/amr", ".amr", None),
}
VIDEO_FORMATS = [name for name, spec in FORMATS.items() if spec[0] == "video"]
AUDIO_FORMATS = [name for name, spec in FORMATS.items() if spec[0] == "audio"]


def require_ffmpeg() -> str:
    """ffmpeg's path; skips (fails with PORTAL_REQUIRE_FFMPEG=1) when ffmpeg or ffprobe is missing."""
    found = shutil.which("ffmpeg")
    if found is None or shutil.which("ffprobe") is None:
        if os.environ.get("PORTAL_REQUIRE_FFMPEG") == "1":
            pytest.fail("ffmpeg is missing and PORTAL_REQUIRE_FFMPEG=1 (apt-get install ffmpeg)", pytrace=False)
        pytest.skip("ffmpeg not found: apt-get install ffmpeg to test the staff copies")
    return found


def amr_frames(seconds: float) -> bytes:
    return b"#!AMR\n" + (b"\x3c" + bytes(31)) * int(seconds * 50)  # a frame is 20 ms


def make_sample(name: str, directory, seconds: float = 2.0) -> bytes:
    """The bytes of a sample of format `name`, `seconds` long, with TAGS where the format has tags."""
    kind, _type, suffix, options = FORMATS[name]
    if options is None:
        return amr_frames(seconds)
    target = os.path.join(str(directory), f"sample-{name}-{seconds:g}{suffix}")
    if not os.path.exists(target):
        source = [part.format(s=seconds) for part in (VIDEO_SOURCE if kind == "video" else AUDIO_SOURCE)]
        subprocess.run([require_ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *source, *TAGS,
                        *options, "-shortest", target], check=True, timeout=120)
    with open(target, "rb") as made:
        return made.read()
