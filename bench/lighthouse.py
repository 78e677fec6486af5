"""Lighthouse (mobile) on the public pages of the demo portal: every category must score >= 95.

    .venv/bin/python bench/lighthouse.py              # the five pages, the median of three runs each
    .venv/bin/python bench/lighthouse.py --runs 5     # the median of five runs per page
    .venv/bin/python bench/lighthouse.py --language en   # the pages in English (default: Chinese)
    .venv/bin/python bench/lighthouse.py --base URL   # a server already running (no demo server started)
    .venv/bin/python bench/lighthouse.py --reports DIR --details   # keep the JSON reports; list lost points

Lighthouse comes from the npm registry, pinned in bench/lighthouse/package-lock.json and installed by
`npm ci` into bench/lighthouse/node_modules (ignored by git) the first time; it drives Debian's Chromium
(CHROME_PATH=/usr/bin/chromium). The demo server is the one `make serve` runs (bench/demo_server.py): one
waitress process, no caching proxy, no compression in front. Lighthouse's defaults apply: the mobile form
factor (Moto G Power screen) and *simulated* throttling (slow 4G, 150 ms RTT, 1.6 Mbit/s, CPU x4), so the
performance score models a mid-range phone on a slow network, not this machine's loopback. Its blocking
time is still taken from this machine's trace (x4): on a loaded machine one run can lose points to work
of other processes, hence the median of three runs per page by default.

Prints the four category scores per page and exits 1 when any is below the threshold."""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from demo_server import demo_server  # noqa: E402

PACKAGE = os.path.join(HERE, "lighthouse")
CLI = os.path.join(PACKAGE, "node_modules", "lighthouse", "cli", "index.js")
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
THRESHOLD = 95


def install() -> str:
    """Lighthouse from the committed lock (npm ci, no install scripts); returns its version."""
    if not os.path.exists(CLI):
        subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=PACKAGE, check=True)
    with open(os.path.join(PACKAGE, "node_modules", "lighthouse", "package.json"), encoding="utf-8") as manifest:
        return json.load(manifest)["version"]


def pages(base: str) -> list[tuple[str, str]]:
    """The five pages: the notice is the newest missing person's (the kind with a picture and the most
    details)."""
    with urllib.request.urlopen(base + "/notices?kind=missing_person", timeout=10) as response:
        listing = response.read().decode("utf-8")
    notice = re.search(r'href="(/notices/\d+)"', listing)
    if not notice:
        raise RuntimeError("/notices?kind=missing_person links to no notice (is the demo seeded?)")
    return [("/", "/"), ("/notices", "/notices"), ("a notice", notice.group(1)), ("/alarm", "/alarm"),
            ("/tips/new", "/tips/new")]


def lighthouse(url: str, report_path: str, language: str, attempts: int = 3) -> dict:
    """One Lighthouse run; a run that failed (Chromium slow to start on a loaded machine) is tried again."""
    for attempt in range(1, attempts + 1):
        done = subprocess.run(
            ["node", CLI, url, "--output=json", f"--output-path={report_path}", "--quiet",
             f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS} --accept-lang={language}"],
            env={**os.environ, "CHROME_PATH": CHROMIUM})
        if done.returncode == 0:
            with open(report_path, encoding="utf-8") as report:
                return json.load(report)
        print(f"Lighthouse failed on {url} (attempt {attempt} of {attempts})", file=sys.stderr)
    raise RuntimeError(f"Lighthouse failed {attempts} times on {url}")


def scores(report: dict) -> dict[str, int]:
    return {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}


def outside_requests(report: dict, base: str) -> list[str]:
    """What the page asked of any other origin (data: and blob: URLs aside): nothing may leave the server."""
    items = report["audits"]["network-requests"]["details"]["items"]
    return sorted({item["url"] for item in items
                   if not item["url"].startswith((base + "/", "data:", "blob:"))})


def lost_points(report: dict) -> list[str]:
    """The audits that cost points, per category (what to fix)."""
    lines = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                value = audit.get("displayValue", "")
                lines.append(f"    {name}: {ref['id']} score {audit['score']:.2f} {value}")
    return lines


def measure(base: str, args, reports: str) -> list[tuple[str, dict[str, int]]]:
    """Scores per page (median over the runs); a page that reaches outside the server scores 0 everywhere."""
    table, speeds = [], []
    for label, path in pages(base):
        per_run = []
        for run in range(args.runs):
            slug = re.sub(r"\W+", "_", path).strip("_") or "home"
            report = lighthouse(base + path, os.path.join(reports, f"{slug}-{run + 1}.json"), args.language)
            per_run.append(scores(report))
            speeds.append(report["environment"]["benchmarkIndex"])
            if outside := outside_requests(report, base):
                print(f"{label}: requests outside {base}:", *outside, sep="\n    ")
                per_run[-1] = dict.fromkeys(CATEGORIES, 0)
            if args.details:
                print(f"{label} (run {run + 1}): {per_run[-1]}", *lost_points(report), sep="\n", flush=True)
        table.append((label, {name: round(statistics.median(s[name] for s in per_run)) for name in CATEGORIES}))
    # Lighthouse's own measure of this machine's speed at each run (lower: busier); printed beside the table.
    print(f"benchmarkIndex: median {statistics.median(speeds):.0f}, min {min(speeds):.0f}, max {max(speeds):.0f}")
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="measure a server already running at this URL")
    parser.add_argument("--runs", type=int, default=3, help="runs per page; the median is reported")
    parser.add_argument("--reports", help="keep the JSON reports in this folder")
    parser.add_argument("--language", default="zh-CN",
                        help="the browser's Accept-Language (default zh-CN, the portal's default language)")
    parser.add_argument("--details", action="store_true", help="list the audits that lost points")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the demo server and remove its files
    version = install()
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as scratch:
        reports = args.reports or scratch
        os.makedirs(reports, exist_ok=True)
        if args.base:
            table = measure(args.base.rstrip("/"), args, reports)
        else:
            with demo_server() as base:
                table = measure(base, args, reports)
    print(f"\nLighthouse {version}, mobile, simulated throttling, {args.language}, median of {args.runs} run(s), "
          f"threshold {THRESHOLD}")
    print(f"{'page':<12}" + "".join(f"{name:>16}" for name in CATEGORIES))
    failed = False
    for label, row in table:
        print(f"{label:<12}" + "".join(f"{row[name]:>16}" for name in CATEGORIES))
        failed |= any(score < THRESHOLD for score in row.values())
    print("FAIL: a score is below the threshold" if failed else "OK: every score meets the threshold")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
