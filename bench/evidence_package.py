"""An evidence package with a large video: time and memory to build it and to check it, side by side
with the least any packager must do (read every byte once, hash it, write it once).

    python bench/evidence_package.py [--mb 200] [--photos 20] [--runs 3]

Fills a throwaway media store (a temp directory) with one video of --mb megabytes of random bytes and
--photos JPEG photos with their staff copies and thumbnails, then, --runs times each, in turn:
(a) the baseline: every stored file read in 64 KiB blocks, SHA-256 taken, written to one temp file;
(b) `evidence.package.write`: the same files into the ZIP with the manifest and its Ed25519 signature;
(c) `evidence.verify.verify` of that package; (d) the baseline of (c): `sha256` of the package file.
Prints the median seconds, the ratios, Python's peak allocation during (b) and (c) (tracemalloc) and the
process's peak resident set growth (VmHWM) over the whole run."""
import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from portal.core import evidence_keys  # noqa: E402
from portal.evidence import package, verify  # noqa: E402
from portal.evidence.sources import StoredFile  # noqa: E402
from portal.media.images import derive_public_copies  # noqa: E402
from portal.media.storage import LocalMediaStore  # noqa: E402
from tests.images import jpeg_at  # noqa: E402

MB = 1024 * 1024
BLOCK = 64 * 1024


def peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def fill(store, mb: int, photos: int) -> list[StoredFile]:
    files = []
    with tempfile.TemporaryFile() as video:
        for _ in range(mb):
            video.write(os.urandom(MB))
        video.seek(0)
        key, sha, size = store.put_stream(video, ".mp4")
    files.append(StoredFile("originals/alarm-1-recording.mp4", key, "original", "video/mp4",
                            {"sha256_on_arrival": sha, "size_on_arrival": size}))
    for n in range(photos):
        key, sha, size = store.put_bytes(jpeg_at(38 + n / 100, 115, size=(1600, 1200)), ".jpg")
        copies = derive_public_copies(store, key)
        files.append(StoredFile(f"originals/tip-1-media-{n}.jpg", key, "original", "image/jpeg",
                                {"sha256_on_arrival": sha, "size_on_arrival": size}))
        files.append(StoredFile(f"copies/tip-1-media-{n}.jpg", copies["public_key"], "staff-copy", "image/jpeg"))
        files.append(StoredFile(f"thumbnails/tip-1-media-{n}.jpg", copies["thumb_key"], "thumbnail", "image/jpeg"))
    return files


def baseline(store, files) -> float:
    started = time.perf_counter()
    with tempfile.TemporaryFile(dir=store.incoming_dir()) as out:
        for stored in files:
            digest = hashlib.sha256()
            with store.open(stored.key) as source:
                while block := source.read(BLOCK):
                    digest.update(block)
                    out.write(block)
        out.flush()
    return time.perf_counter() - started


def hash_file(f) -> float:
    started = time.perf_counter()
    f.seek(0)
    digest = hashlib.sha256()
    while block := f.read(BLOCK):
        digest.update(block)
    return time.perf_counter() - started


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    root = tempfile.mkdtemp(prefix="bench-evidence-")
    try:
        store = LocalMediaStore(root)
        files = fill(store, args.mb, args.photos)
        total = sum(os.path.getsize(store._path(f.key)) for f in files)
        keyring = evidence_keys.parse(f"b1:{evidence_keys.b64(os.urandom(32))}")
        head = {"format": "portal-evidence/1", "subject": {"type": "tip", "id": 1}}
        rss_before = peak_rss_mb()
        times = {"baseline": [], "build": [], "verify": [], "hash": []}
        peaks = {"build": 0, "verify": 0}
        for _ in range(args.runs):
            times["baseline"].append(baseline(store, files))
            tracemalloc.start()
            started = time.perf_counter()
            out, size = package.write(store, keyring, files, head, [], datetime.now(UTC))
            times["build"].append(time.perf_counter() - started)
            peaks["build"] = max(peaks["build"], tracemalloc.get_traced_memory()[1])
            tracemalloc.reset_peak()
            started = time.perf_counter()
            report = verify.verify(out, keyring.public_keys()[0][1])
            times["verify"].append(time.perf_counter() - started)
            peaks["verify"] = max(peaks["verify"], tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            assert report.ok and report.files == len(files), report.problems
            times["hash"].append(hash_file(out))
            out.close()
        median = {name: statistics.median(values) for name, values in times.items()}
        print(f"{len(files)} files, {total / MB:.1f} MB stored; package {size / MB:.1f} MB; {args.runs} runs, "
              f"median seconds")
        print(f"build   {median['build']:.2f} s  baseline (read, hash, write once) {median['baseline']:.2f} s  "
              f"ratio {median['build'] / median['baseline']:.2f}  Python peak {peaks['build'] / MB:.2f} MB")
        print(f"verify  {median['verify']:.2f} s  baseline (sha256 of the package) {median['hash']:.2f} s  "
              f"ratio {median['verify'] / median['hash']:.2f}  Python peak {peaks['verify'] / MB:.2f} MB")
        print(f"VmHWM growth over the runs: {peak_rss_mb() - rss_before:.1f} MB")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
