"""The S3 media store with a large video: memory and time to store it and to read it back, side by side
with the least any S3 client must do, against a throwaway SeaweedFS on the loopback (tests/seaweed.py).

    PORTAL_TEST_PORTS=7400-7449 python bench/s3_store.py [--mb 200] [--runs 3]

Per run: (a) the baseline: boto3's own `upload_file` of the file under a fixed key (no hashing, no
spool); (b) `S3MediaStore.put_stream` from the open file (hashed into the store's spool, then sent in
8 MB parts: what a tip's upload costs); (c) the baseline read: boto3 `get_object` read in 64 KiB blocks;
(d) `S3MediaStore.open` read in 64 KiB blocks. Prints the medians, the ratios, Python's peak allocation
during (b) and (d) (tracemalloc) and the process's peak resident set growth (VmHWM) over all runs."""
import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from portal.media.backends import make_media_store  # noqa: E402
from tests.seaweed import running_seaweed  # noqa: E402

MB = 1024 * 1024
BLOCK = 64 * 1024


def peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def timed(action) -> tuple[float, float]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        action()
        return time.perf_counter() - start, tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def drain(stream) -> None:
    while stream.read(BLOCK):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-s3-"))
    video = work / "video.mp4"
    with open(video, "wb") as out:
        for _ in range(args.mb):
            out.write(os.urandom(MB))
    rss_before = peak_rss_mb()
    with running_seaweed(work / "seaweed") as seaweed:
        bucket = seaweed.new_bucket("bench")
        client = seaweed.client()
        store = make_media_store({**seaweed.portal_settings(bucket), "portal.media_dir": str(work / "scratch")})
        results = {name: [] for name in ("upload_file", "put_stream", "get_object", "open")}
        peaks = {"put_stream": 0.0, "open": 0.0}
        for _run in range(args.runs):
            results["upload_file"].append(timed(lambda: client.upload_file(str(video), bucket, "baseline"))[0])
            key = None

            def put():
                nonlocal key
                with open(video, "rb") as f:
                    key = store.put_stream(f, ".mp4")[0]
            seconds, peak = timed(put)
            results["put_stream"].append(seconds)
            peaks["put_stream"] = max(peaks["put_stream"], peak)
            seconds, _peak = timed(lambda: drain(client.get_object(Bucket=bucket, Key="baseline")["Body"]))
            results["get_object"].append(seconds)

            def read(stored_key):
                with store.open(stored_key) as stored:
                    drain(stored)
            seconds, peak = timed(lambda: read(key))  # noqa: B023 - called at once, in this round
            results["open"].append(seconds)
            peaks["open"] = max(peaks["open"], peak)
            store.delete(key)  # the next put sends it again
    median = {name: statistics.median(values) for name, values in results.items()}
    print(f"{datetime.now(UTC):%Y-%m-%d}, {args.mb} MB, {args.runs} run(s), load {os.getloadavg()[0]:.1f}")
    print(f"store  put_stream {median['put_stream']:.2f} s vs upload_file {median['upload_file']:.2f} s "
          f"({median['put_stream'] / median['upload_file']:.2f}), Python peak {peaks['put_stream']:.1f} MB")
    print(f"read   open       {median['open']:.2f} s vs get_object  {median['get_object']:.2f} s "
          f"({median['open'] / median['get_object']:.2f}), Python peak {peaks['open']:.1f} MB")
    print(f"VmHWM grew by {peak_rss_mb() - rss_before:.1f} MB")


if __name__ == "__main__":
    main()
