"""Staff copies of video and sound recordings that every browser plays: H.264/AAC in MP4 for video
(MP4, MOV, 3GP, WebM, MKV, AVI, Ogg video), AAC in M4A for sound (AMR, MP3, M4A, AAC, WAV, FLAC, Ogg),
made by ffmpeg (media/ffmpeg.py: a limited child process) from the original, with no metadata:

- no container or stream tags, chapters, subtitles or data streams (`-map_metadata -1`, only the first
  video and the first audio stream are kept), and no dates (`-fflags +bitexact` leaves every mvhd/tkhd/
  mdhd time at zero);
- no encoder strings: the bitstream's SEI units (x264 writes its version and settings there) are
  dropped, the sample entry's compressor name is blank;
- a poster frame (JPEG, also written bit-exact: no comment) from the copy itself, so it shows what the
  copy shows, rotated as the phone held it.

The input demuxer is chosen from the sniffed type (never probed: a file cannot pass as a playlist that
names other files or URLs) and only the file protocol is allowed."""
import json
import os
import shutil
import tempfile
from dataclasses import dataclass

from portal.media import ffmpeg

# Sniffed type (media/sniff.py) -> ffmpeg's demuxer for it.
DEMUXERS = {
    "video/mp4": "mov", "video/quicktime": "mov", "video/3gpp": "mov", "video/3gpp2": "mov",
    "audio/mp4": "mov", "audio/3gpp": "mov",
    "video/webm": "matroska", "video/x-matroska": "matroska", "video/x-msvideo": "avi",
    "video/ogg": "ogg", "audio/ogg": "ogg", "audio/wav": "wav", "audio/mpeg": "mp3", "audio/aac": "aac",
    "audio/amr": "amr", "audio/amr-wb": "amr", "audio/flac": "flac",
}
LONGEST_SIDE = 1280  # staff look at it in a page, not frame by frame: the original stays for that
VIDEO_TYPE, AUDIO_TYPE = "video/mp4", "audio/mp4"
COPY_SUFFIX = {VIDEO_TYPE: ".staff.mp4", AUDIO_TYPE: ".staff.m4a"}
POSTER_SUFFIX = ".poster.jpg"
# Even width and height (yuv420p needs them), the longest side at most LONGEST_SIDE, square pixels.
_SIDE = f"trunc(min(1\\,{LONGEST_SIDE}/max(iw\\,ih))*i{{}}/2)*2"
SCALE = f"scale=w='{_SIDE.format('w')}':h='{_SIDE.format('h')}',setsar=1,format=yuv420p"
CLEAN_OUTPUT = ["-map_metadata", "-1", "-map_chapters", "-1", "-sn", "-dn", "-fflags", "+bitexact",
                "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-threads", "1"]


class CannotTranscode(ValueError):
    """Not a format we transcode, or a file with neither a video nor an audio stream."""


@dataclass(frozen=True)
class StaffCopy:
    copy_key: str
    content_type: str
    poster_key: str | None
    duration_ms: int | None
    width: int | None
    height: int | None


def _input(path: str, content_type: str) -> list[str]:
    demuxer = DEMUXERS.get(content_type)
    if demuxer is None:
        raise CannotTranscode(f"no staff copy for {content_type}")
    return ["-protocol_whitelist", "file", "-threads", "1", "-f", demuxer, "-i", path]


def probe(path: str, content_type: str, limits: ffmpeg.Limits, settings=None, *, demuxed=True) -> dict:
    """ffprobe's streams and format of a file (the original, forced to its sniffed demuxer)."""
    args = [ffmpeg.tool("ffprobe", settings), "-v", "error", "-of", "json", "-show_streams", "-show_format"]
    if demuxed:
        args += _input(path, content_type)
    else:
        args += ["-protocol_whitelist", "file", path]
    try:
        return json.loads(ffmpeg.run(args, limits) or b"{}")
    except ValueError as exc:
        raise ffmpeg.ToolFailed("ffprobe gave no answer") from exc


def _streams(info: dict, codec_type: str) -> list[dict]:
    return [s for s in info.get("streams", []) if s.get("codec_type") == codec_type
            and not (s.get("disposition") or {}).get("attached_pic")]  # cover art is no video


def transcode_args(ffmpeg_path: str, source: str, content_type: str, target: str, *, video: bool,
                   audio: bool) -> list[str]:
    """The ffmpeg command for a copy of `source` (first video and first audio stream) into `target`."""
    args = [ffmpeg_path, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *_input(source, content_type)]
    if video:
        args += ["-map", "0:V:0", "-filter_threads", "1", "-vf", SCALE, "-c:v", "libx264", "-preset", "veryfast",
                 "-crf", "26", "-maxrate", "2500k", "-bufsize", "5000k",  # at most 2.5 Mbit/s: copies stay small
                 "-bsf:v", "filter_units=remove_types=6", "-metadata:s:v:0", "encoder= "]
    if audio:
        args += ["-map", "0:a:0", "-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "2"]
    return args + [*CLEAN_OUTPUT, "-movflags", "+faststart", "-empty_hdlr_name", "1", "-f", "mp4", target]


def poster_args(ffmpeg_path: str, copy: str, at_seconds: float, target: str) -> list[str]:
    return [ffmpeg_path, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-protocol_whitelist", "file",
            "-threads", "1", "-ss", f"{at_seconds:.3f}", "-f", "mov", "-i", copy, "-map", "0:v:0", "-frames:v", "1",
            *CLEAN_OUTPUT, "-c:v", "mjpeg", "-q:v", "4", "-f", "image2", target]


def _number(value, kind=float):
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None


def make_files(source: str, content_type: str, kind: str, workdir: str, limits: ffmpeg.Limits,
               settings=None) -> dict:
    """Transcode `source` into files in `workdir`: the copy, for video a poster; their facts."""
    info = probe(source, content_type, limits, settings)
    video = kind == "video" and bool(_streams(info, "video"))
    audio = bool(_streams(info, "audio"))
    if not video and not audio:
        raise CannotTranscode("no video or audio stream")
    ffmpeg_path = ffmpeg.tool("ffmpeg", settings)
    copy = os.path.join(workdir, "copy.mp4")
    ffmpeg.run(transcode_args(ffmpeg_path, source, content_type, copy, video=video, audio=audio), limits)
    made = probe(copy, VIDEO_TYPE, limits, settings)
    seconds = _number((made.get("format") or {}).get("duration"))
    facts = {"copy": copy, "content_type": VIDEO_TYPE if video else AUDIO_TYPE, "poster": None,
             "duration_ms": round(seconds * 1000) if seconds is not None else None, "width": None, "height": None}
    if video:
        shown = _streams(made, "video")[0]
        facts["width"], facts["height"] = _number(shown.get("width"), int), _number(shown.get("height"), int)
        poster = os.path.join(workdir, "poster.jpg")
        ffmpeg.run(poster_args(ffmpeg_path, copy, min(1.0, (seconds or 0) / 3), poster), limits)
        facts["poster"] = poster if os.path.getsize(poster) else None
    return facts


def make_staff_copy(store, media, limits: ffmpeg.Limits, written: list, settings=None) -> StaffCopy:
    """The staff copy of a stored video or sound recording, put into `store` (new keys appended to
    `written`). Works on temporary files in the store's incoming directory, removed afterwards."""
    workdir = tempfile.mkdtemp(dir=store.incoming_dir(), prefix="transcode-")
    try:
        source = os.path.join(workdir, "original")
        with store.open(media.original_key) as original, open(source, "wb") as out:
            shutil.copyfileobj(original, out, 1024 * 1024)
        facts = make_files(source, media.content_type, media.kind, workdir, limits, settings)
        with open(facts["copy"], "rb") as copy:
            copy_key, _sha, _size = store.put_stream(copy, COPY_SUFFIX[facts["content_type"]], written)
        poster_key = None
        if facts["poster"]:
            with open(facts["poster"], "rb") as poster:
                poster_key, _sha, _size = store.put_stream(poster, POSTER_SUFFIX, written)
        return StaffCopy(copy_key=copy_key, content_type=facts["content_type"], poster_key=poster_key,
                         duration_ms=facts["duration_ms"], width=facts["width"], height=facts["height"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
