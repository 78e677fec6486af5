"""A small closed-loop load generator: N threads, each with a keep-alive connection, for a fixed
time. Runs in its own process so its work is not mixed into the server's interpreter."""
import http.client
import threading
import time


def run(port: int, paths: list[str], seconds: float, concurrency: int, warmup: float = 1.0) -> dict:
    """Requests per second and latency percentiles for cycling through `paths`."""
    latencies: list[float] = []
    errors, hits, stored = [0], [0], [0]
    lock = threading.Lock()
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds

    def worker(offset):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, bad, cached, kept, i = [], 0, 0, 0, offset
        while True:
            begun = time.perf_counter()
            if begun >= stop_at:
                break
            connection.request("GET", paths[i % len(paths)], headers={"Accept-Language": "zh-CN"})
            response = connection.getresponse()
            response.read()
            ended = time.perf_counter()
            i += 1
            if begun >= measure_from:
                if response.status == 200:
                    mine.append(ended - begun)
                    source = response.getheader("X-Page-Cache")
                    cached += source == "hit"  # from the server's memory
                    kept += source == "stored"  # from the pages stored in the database
                else:
                    bad += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad
            hits[0] += cached
            stored[0] += kept

    # Each thread starts at its own share of the paths: none repeats another's requests just after it.
    threads = [threading.Thread(target=worker, args=(n * len(paths) // concurrency,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else float("nan")

    return {"rps": len(latencies) / seconds, "p50": pct(0.50), "p95": pct(0.95), "errors": errors[0],
            "count": len(latencies), "hits": hits[0] / len(latencies) if latencies else 0.0,
            "stored": stored[0] / len(latencies) if latencies else 0.0}


def run_in_process(queue, *args):
    queue.put(run(*args))
