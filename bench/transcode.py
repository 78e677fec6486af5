"""Staff copies: CPU and wall seconds per minute of video (or sound) for each input format, as the worker
makes them (media/transcode.py: ffmpeg in a limited child process, one thread, the copy then its poster).

    python bench/transcode.py [--seconds 60] [--size 1280x720] [--fps 30] [--formats mp4,avi,...]

Inputs are made first by ffmpeg from lavfi testsrc2 with temporal noise (a moving picture with grain, closer
to a phone's video than a still test card) and a sine tone; phone-like codecs per container (3GP: H.263 at
352x288, as old phones record it; AVI: MPEG-4 part 2). CPU seconds are the children's user+system time
(getrusage), which a loaded machine changes less than the wall time."""
import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from portal.media import ffmpeg, transcode  # noqa: E402

# name -> (kind, sniffed type, suffix, ffmpeg options of the input, picture size or None for the --size)
INPUTS = {
    "mp4": ("video", "video/mp4", ".mp4", ["-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-c:a", "aac"],
            None),
    "mov": ("video", "video/quicktime", ".mov", ["-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-c:a", "aac",
                                                 "-f", "mov"], None),
    "3gp": ("video", "video/3gpp", ".3gp", ["-c:v", "h263", "-b:v", "384k", "-c:a", "aac", "-ar", "8000", "-ac", "1",
                                            "-f", "3gp"], "352x288"),
    "webm": ("video", "video/webm", ".webm", ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "4M",
                                              "-c:a", "libopus"], None),
    "mkv": ("video", "video/x-matroska", ".mkv", ["-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M",
                                                  "-c:a", "flac"], None),
    "avi": ("video", "video/x-msvideo", ".avi", ["-c:v", "mpeg4", "-q:v", "4", "-c:a", "libmp3lame"], "640x480"),
    "mp3": ("audio", "audio/mpeg", ".mp3", ["-c:a", "libmp3lame", "-b:a", "128k"], None),
    "m4a": ("audio", "audio/mp4", ".m4a", ["-c:a", "aac", "-f", "ipod"], None),
    "wav": ("audio", "audio/wav", ".wav", ["-c:a", "pcm_s16le"], None),
    "flac": ("audio", "audio/flac", ".flac", ["-c:a", "flac"], None),
    "ogg": ("audio", "audio/ogg", ".ogg", ["-c:a", "libopus"], None),
    "amr": ("audio", "audio/amr", ".amr", None, None),
}
LIMITS = ffmpeg.Limits(cpu_seconds=3600, memory_mb=1536, wall_seconds=3600, output_mb=2000)


def make_input(name: str, directory: str, seconds: float, size: str, fps: int) -> str:
    kind, _type, suffix, options, own_size = INPUTS[name]
    path = os.path.join(directory, f"input-{name}{suffix}")
    if options is None:  # no AMR encoder in Debian's ffmpeg: AMR-NB 12.2 kbit/s frames (see tests/transcode_samples.py)
        with open(path, "wb") as out:
            out.write(b"#!AMR\n" + (b"\x3c" + bytes(31)) * int(seconds * 50))
        return path
    audio = ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]
    video = ["-f", "lavfi", "-i", f"testsrc2=size={own_size or size}:rate={fps}:duration={seconds}"] \
        if kind == "video" else []
    grain = ["-vf", "noise=alls=4:allf=t"] if kind == "video" else []
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *video, *audio, *grain, *options, "-shortest",
                    path], check=True)
    return path


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", default="1280x720", help="picture size of the MP4, MOV, WebM and MKV inputs")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--formats", default=",".join(INPUTS))
    args = parser.parse_args(argv)
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · "
          f"{subprocess.run(['ffmpeg', '-version'], capture_output=True, text=True).stdout.split(chr(10))[0]}")
    print(f"{'format':7} {'input':>9} {'MB':>7} {'CPU s/min':>10} {'wall s/min':>10} {'copy MB':>8} {'copy':>10}")
    with tempfile.TemporaryDirectory() as directory:
        for name in args.formats.split(","):
            kind, content_type, _suffix, _options, own_size = INPUTS[name]
            source = make_input(name, directory, args.seconds, args.size, args.fps)
            workdir = tempfile.mkdtemp(dir=directory)
            cpu, wall = children_cpu(), time.monotonic()
            facts = transcode.make_files(source, content_type, kind, workdir, LIMITS)
            cpu, wall = children_cpu() - cpu, time.monotonic() - wall
            per_minute = 60.0 / (facts["duration_ms"] / 1000)
            shown = f"{facts['width']}x{facts['height']}" if facts["width"] else "audio"
            print(f"{name:7} {(own_size or args.size) if kind == 'video' else 'audio':>9} "
                  f"{os.path.getsize(source) / 1e6:7.1f} {cpu * per_minute:10.1f} {wall * per_minute:10.1f} "
                  f"{os.path.getsize(facts['copy']) / 1e6:8.1f} {shown:>10}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
