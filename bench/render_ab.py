"""Two trees' CPU per request, measured in alternating rounds: an A/B that the machine's load moves alike.

    python bench/render_ab.py BEFORE_TREE AFTER_TREE                      # SQLite, the demo seed
    python bench/render_ab.py BEFORE_TREE AFTER_TREE --database-url URL   # PostgreSQL: emptied, migrated

render_cpu.py measures one tree; on a shared machine two of its runs a minute apart differ by 10-30 %.
Here each tree's portal runs in its own process (a worker of this script, importing that tree's `portal`
and its bench/render_cpu.py) on one database seeded once, and the rounds alternate: A, B, B, A, A, B...
Prints, per path, the median CPU per request of each tree, its ratio to /healthz measured in the same
process, and the median of the per-round ratios after/before (paired: each pair ran back to back)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def worker(tree: str, url: str, workdir: str, lang: str) -> None:
    """Answer "path requests" lines on stdin with the CPU seconds per request, one JSON line each."""
    sys.path[:0] = [os.path.join(tree, "bench"), tree]
    import render_cpu  # noqa: PLC0415 -- this tree's
    import webtest  # noqa: PLC0415

    import portal  # noqa: PLC0415 -- this tree's

    app = portal.main({}, **render_cpu.settings_for(url, workdir))
    testapp = webtest.TestApp(app, extra_environ={"HTTP_HOST": "portal.test", "REMOTE_ADDR": "192.0.2.10",
                                                  "HTTP_ACCEPT_LANGUAGE": lang})
    print(json.dumps({"ready": portal.__file__}), flush=True)
    for line in sys.stdin:
        path, requests = line.split()
        began = time.process_time()
        for _ in range(int(requests)):
            testapp.get(path)
        print(json.dumps({"cpu": (time.process_time() - began) / int(requests)}), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", nargs="?")
    parser.add_argument("after", nargs="?")
    parser.add_argument("--database-url", help="a PostgreSQL database of your own (emptied, migrated)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--lang", default="zh_CN")
    parser.add_argument("--worker", nargs=3, metavar=("TREE", "URL", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker, args.lang)
        return 0
    if not (args.before and args.after):
        parser.error("name the two trees")

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:0] = [here, os.path.dirname(here)]
    from render_cpu import demo_for_two_trees  # noqa: PLC0415

    url, workdir, notice_id = demo_for_two_trees(args.database_url, "portal-render-ab-")
    trees = {"before": os.path.abspath(args.before), "after": os.path.abspath(args.after)}
    workers = {name: subprocess.Popen([sys.executable, __file__, "--lang", args.lang, "--worker", tree, url,
                                       workdir], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for name, tree in trees.items()}
    for name, process in workers.items():
        print(f"{name}: {json.loads(process.stdout.readline())['ready']}")

    def run(name, path, requests):
        process = workers[name]
        process.stdin.write(f"{path} {requests}\n")
        process.stdin.flush()
        return json.loads(process.stdout.readline())["cpu"]

    paths = [("/healthz", "/healthz"), ("missing-person notice", f"/notices/{notice_id}"),
             ("/notices (list)", "/notices"), ("API detail", f"/api/v1/notices/{notice_id}"), ("home", "/")]
    cpu = {(name, path): [] for name in workers for _label, path in paths}
    for _label, path in paths:
        for name in workers:
            run(name, path, max(20, args.requests // 5))  # warm-up
    for round_number in range(args.rounds):
        order = list(workers) if round_number % 2 == 0 else list(reversed(workers))
        for _label, path in paths:
            for name in order:
                cpu[name, path].append(run(name, path, args.requests))
    for process in workers.values():
        process.stdin.close()
        process.wait()

    database = url.split(":", 1)[0].split("+", 1)[0]
    print(f"\n{database}, demo seed, lang {args.lang}, {args.rounds} alternating rounds x {args.requests} requests, "
          f"median CPU per request (time.process_time)")
    print(f"{'page':<24}{'before ms':>10}{'x healthz':>10}{'after ms':>10}{'x healthz':>10}{'after/before':>14}")
    healthz = {name: statistics.median(cpu[name, "/healthz"]) for name in workers}
    for label, path in paths:
        before, after = (statistics.median(cpu[name, path]) for name in workers)
        paired = statistics.median(a / b for a, b in zip(cpu["after", path], cpu["before", path], strict=True))
        print(f"{label:<24}{before * 1000:>10.2f}{before / healthz['before']:>10.1f}"
              f"{after * 1000:>10.2f}{after / healthz['after']:>10.1f}{paired:>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
