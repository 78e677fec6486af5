"""The Nu HTML Checker (vnu.jar from the npm package `vnu-jar`, run by Debian's default-jre-headless).

The jar is not in the repository: `make vnu` packs the pinned version into ~/.cache/safety-portal
(`npm pack`, no node_modules needed); a node_modules/vnu-jar installed by hand is found too, and
PORTAL_VNU_JAR names any other copy. Without java or the jar the tests skip with one line, unless
PORTAL_REQUIRE_VNU=1 (CI: .ci/run installs both), where they fail.

The JVM is slow to start: `check(pages)` writes every page to a temporary directory and checks them
all in one run, `--format json --errors-only`, and returns "<page>: line N: <message>" per error."""
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

VERSION = "26.9.27"  # keep in step with the Makefile's VNU_VERSION
REPO = Path(__file__).resolve().parents[1]
CANDIDATES = (
    Path.home() / ".cache" / "safety-portal" / f"vnu-jar-{VERSION}" / "vnu.jar",
    REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar",
)


def find_jar() -> Path | None:
    named = os.environ.get("PORTAL_VNU_JAR")
    for path in ([Path(named)] if named else []) + list(CANDIDATES):
        if path.is_file():
            return path
    return None


def require() -> tuple[str, Path]:
    """java and the jar, or a skip (a failure with PORTAL_REQUIRE_VNU=1) saying what is missing."""
    java, jar = shutil.which("java"), find_jar()
    missing = "java (apt-get install default-jre-headless)" if not java else (
        None if jar else f"vnu.jar {VERSION} (make vnu)")
    if missing:
        if os.environ.get("PORTAL_REQUIRE_VNU") == "1":
            pytest.fail(f"the Nu HTML Checker needs {missing}")
        pytest.skip(f"the Nu HTML Checker needs {missing}")
    return java, jar


def check(pages: dict[str, str]) -> list[str]:
    """Every error of every page, as "<page>: line N: message"."""
    java, jar = require()
    with tempfile.TemporaryDirectory(prefix="portal-vnu-") as folder:
        names = {}
        for number, (page, html) in enumerate(pages.items()):
            path = Path(folder) / f"page-{number:03d}.html"
            path.write_text(html, encoding="utf-8")
            names[path.name] = page
        run = subprocess.run([java, "-Xss4m", "-jar", str(jar), "--format", "json", "--errors-only",
                              *(str(Path(folder) / name) for name in names)],
                             capture_output=True, text=True, timeout=300)
    messages = json.loads(run.stderr or '{"messages": []}')["messages"]
    errors = []
    for message in messages:
        url = message.get("url", "?")  # "file:/tmp/portal-vnu-.../page-007.html"
        page = names.get(url.rpartition("/")[2], url)
        errors.append(f"{page}: line {message.get('lastLine', '?')}: {message.get('message', '')}")
    return errors
