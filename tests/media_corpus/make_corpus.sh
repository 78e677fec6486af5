#!/usr/bin/env bash
# Rebuilds the small real files the parser fuzzing mutates (tests/unit/media/test_fuzz_parsers.py) and
# the MP4 date test reads: one per accepted format, encoded by ffmpeg, each carrying a title, a comment,
# a place and a creation time that the staff copies must not keep. Run it here; commit the output.
set -euo pipefail
cd "$(dirname "$0")"
q="-hide_banner -loglevel error -y -fflags +bitexact"
V="-f lavfi -i testsrc=size=32x24:rate=5:duration=0.6"
A="-f lavfi -i sine=frequency=440:sample_rate=8000:duration=0.6"
M="-metadata title=SecretTitle -metadata comment=SpyPhone -metadata creation_time=2026-01-02T03:04:05Z
   -metadata location=+39.9042+116.4074/"
X264="-c:v libx264 -preset ultrafast -crf 40"
ffmpeg $q $V $A $M $X264 -c:a aac -b:a 16k -ac 1 video.mp4
ffmpeg $q $V $A $M $X264 -c:a aac -b:a 16k -ac 1 video.mov
ffmpeg $q -f lavfi -i testsrc=size=128x96:rate=5:duration=0.6 $A $M -c:v h263 -q:v 31 -c:a aac -b:a 16k -ac 1 video.3gp
ffmpeg $q $A $M -c:a aac -b:a 16k -ac 1 audio.m4a
ffmpeg $q $V $A $M -c:v libvpx -b:v 20k -c:a libopus -b:a 8k -ac 1 video.webm
ffmpeg $q $V $A $M $X264 -c:a libvorbis -q:a 0 -ac 1 video.mkv
ffmpeg $q $V $A $M -c:v mpeg4 -q:v 31 -c:a libmp3lame -b:a 8k -ac 1 video.avi
ffmpeg $q $A $M -c:a libvorbis -q:a 0 -ac 1 audio.ogg
ffmpeg $q $A $M -c:a libopus -b:a 8k audio.opus
ffmpeg $q $A $M -c:a flac audio.flac
ffmpeg $q $A $M -c:a pcm_s16le -ac 1 audio.wav
ffmpeg $q $A $M -c:a libmp3lame -b:a 8k -id3v2_version 3 -write_id3v1 1 audio.mp3
ffmpeg $q $A -c:a aac -b:a 16k -f adts audio.aac
for ext in jpg png webp gif; do ffmpeg $q -f lavfi -i testsrc=size=32x24:duration=1 -frames:v 1 photo.$ext; done
