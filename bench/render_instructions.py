"""Two trees' instructions per request, counted by valgrind's callgrind: an A/B the machine's load cannot move.

    python bench/render_instructions.py BEFORE_TREE AFTER_TREE                      # SQLite, the demo seed
    python bench/render_instructions.py BEFORE_TREE AFTER_TREE --database-url URL   # PostgreSQL: emptied, migrated

render_ab.py measures CPU seconds, which a busy shared machine inflates by up to 2x and moves by 10-30 %
between runs. Callgrind counts the instructions the app server's process executes in user space: the
same count for the same code and data, whatever else runs. Each tree's portal runs in a Python process
under `valgrind --tool=callgrind --instr-atstart=no` (about 5x slower to start, nothing counted); for each
path it is warmed up, then instrumentation is switched on (callgrind_control) around --requests requests
and the count dumped. Not counted: time in the kernel (each round trip to PostgreSQL costs system time
too) and the database server's own work; render_ab.py sees the first. Needs Debian's valgrind."""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys

PATHS = ("/healthz", "/notices/{id}", "/notices", "/api/v1/notices/{id}", "/")


def worker(tree: str, url: str, workdir: str) -> None:
    """Under callgrind: answer "path requests" lines, warming up, then waiting for "go" before the count."""
    sys.path[:0] = [os.path.join(tree, "bench"), tree]
    import render_cpu  # noqa: PLC0415 -- this tree's
    import webtest  # noqa: PLC0415

    import portal  # noqa: PLC0415 -- this tree's

    app = portal.main({}, **render_cpu.settings_for(url, workdir))
    testapp = webtest.TestApp(app, extra_environ={"HTTP_HOST": "portal.test", "REMOTE_ADDR": "192.0.2.10",
                                                  "HTTP_ACCEPT_LANGUAGE": "zh_CN"})
    print(portal.__file__, flush=True)
    for line in sys.stdin:
        path, requests = line.split()
        for _ in range(30):
            testapp.get(path)
        print("warm", flush=True)
        sys.stdin.readline()
        for _ in range(int(requests)):
            testapp.get(path)
        print("done", flush=True)


def count(process, workdir: str, path: str, requests: int) -> float:
    """Instructions per request of `path`: instrumentation on only around the requests themselves."""
    def control(*args):
        subprocess.run(["callgrind_control", *args, str(process.pid)], capture_output=True, check=True)

    process.stdin.write(f"{path} {requests}\n")
    process.stdin.flush()
    if process.stdout.readline().strip() != "warm":
        raise RuntimeError("the worker did not warm up")
    control("-z")
    control("-i", "on")
    process.stdin.write("go\n")
    process.stdin.flush()
    if process.stdout.readline().strip() != "done":
        raise RuntimeError("the worker did not finish")
    dumps = set(glob.glob(os.path.join(workdir, "callgrind.*")))
    control("-d")
    control("-i", "off")
    dump = max(set(glob.glob(os.path.join(workdir, "callgrind.*"))) - dumps, key=os.path.getmtime)
    with open(dump) as counts:
        total = re.search(r"^(?:summary|totals):\s*(\d+)", counts.read(), re.M)
    return int(total.group(1)) / requests


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", nargs="?")
    parser.add_argument("after", nargs="?")
    parser.add_argument("--database-url", help="a PostgreSQL database of your own (emptied, migrated)")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--worker", nargs=3, metavar=("TREE", "URL", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    if not (args.before and args.after):
        parser.error("name the two trees")
    if not shutil.which("valgrind"):
        parser.error("valgrind is not installed (apt-get install valgrind)")

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:0] = [here, os.path.dirname(here)]
    from render_cpu import demo_for_two_trees  # noqa: PLC0415

    url, workdir, notice_id = demo_for_two_trees(args.database_url, "portal-render-instructions-")
    counts = {}
    for name, tree in (("before", args.before), ("after", args.after)):
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={os.path.join(workdir, 'callgrind.%p')}",
             sys.executable, os.path.abspath(__file__), "--worker", os.path.abspath(tree), url, workdir],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONHASHSEED": "0"})  # the same dicts and sets in both: fewer stray differences
        print(f"{name}: {process.stdout.readline().strip()}", flush=True)
        for path in PATHS:
            counts[name, path] = count(process, workdir, path.format(id=notice_id), args.requests)
        process.stdin.close()
        process.wait()

    database = url.split(":", 1)[0].split("+", 1)[0]
    print(f"\n{database}, demo seed, lang zh_CN, {args.requests} requests each, instructions per request (callgrind)")
    print(f"{'page':<24}{'before M':>10}{'x healthz':>10}{'after M':>10}{'x healthz':>10}{'after/before':>14}")
    for path in PATHS:
        before, after = counts["before", path], counts["after", path]
        print(f"{path:<24}{before / 1e6:>10.2f}{before / counts['before', '/healthz']:>10.1f}"
              f"{after / 1e6:>10.2f}{after / counts['after', '/healthz']:>10.1f}{after / before:>14.3f}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
