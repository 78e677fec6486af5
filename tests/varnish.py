"""A throwaway varnishd with deploy/varnish/safety-portal.vcl, on the loopback, in front of the app
servers a test serves (its backends' ports and the checkout's path replaced, nothing else changed). Its
port comes from PORTAL_TEST_PORTS (tests/coturn.py's reserve_ports). Skips without Debian's varnish and
varnish-modules (xkey) unless PORTAL_REQUIRE_VARNISH=1, which turns that into a failure."""
import contextlib
import http.client
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.coturn import reserve_ports

VCL = Path(__file__).parents[1] / "deploy" / "varnish" / "safety-portal.vcl"
VARNISHD = "/usr/sbin/varnishd"
WORK_DIRECTORIES: dict[str, Path] = {}  # a running varnishd's URL -> its -n directory (varnishstat)
XKEY = ("/usr/lib/x86_64-linux-gnu/varnish/vmods/libvmod_xkey.so", "/usr/lib/aarch64-linux-gnu/varnish/vmods/libvmod_xkey.so")
BACKEND_PORTS = ('.port = "6543";', '.port = "6544";')
DEPLOYED_ROOT = "/srv/safety-portal/"  # the checkout's place in production (deploy/)


def varnishd() -> str | None:
    return shutil.which("varnishd") or (VARNISHD if os.path.exists(VARNISHD) else None)


def missing_reason() -> str | None:
    if varnishd() is None:
        return "varnishd not installed (apt-get install varnish varnish-modules)"
    if not any(os.path.exists(path) for path in XKEY):
        return "the xkey vmod is not installed (apt-get install varnish-modules)"
    return None


def skip_or_fail_without_varnish() -> None:
    reason = missing_reason()
    if reason is None:
        return
    if os.environ.get("PORTAL_REQUIRE_VARNISH") == "1":
        pytest.fail(f"{reason}, and PORTAL_REQUIRE_VARNISH=1", pytrace=False)
    pytest.skip(reason)


def _directory() -> Path:
    # varnishd's compiler and child run as its own user: the directory and the VCL must be readable.
    directory = Path(tempfile.mkdtemp(prefix="portal-varnish-"))
    directory.chmod(0o755)
    return directory


def site_vcl(directory: Path, app_ports) -> Path:
    """The deployed VCL with the app servers' ports of this test (two backends, as deployed), and the
    outage page read from this checkout instead of /srv/safety-portal."""
    text = VCL.read_text()
    # The outage page, where varnishd's child (its own user) can read it: a checkout under a directory
    # of mode 0700 (mktemp -d, as CI clones) is not readable to it, and the page came out empty.
    page = directory / "unavailable.html"
    page.write_bytes((VCL.parents[2] / "portal/static/errors/unavailable.html").read_bytes())
    page.chmod(0o644)
    text = text.replace(f"{DEPLOYED_ROOT}portal/static/errors/unavailable.html", str(page))
    text = text.replace(DEPLOYED_ROOT, f"{VCL.parents[2]}/")
    ports = list(app_ports) * 2
    for old, port in zip(BACKEND_PORTS, ports, strict=False):
        assert old in text, old
        text = text.replace(old, f'.port = "{port}";')
    path = directory / "site.vcl"
    path.write_text(text)
    path.chmod(0o644)
    return path


def compile_vcl(app_ports=(6543, 6544)) -> subprocess.CompletedProcess:
    directory = _directory()
    try:
        vcl = site_vcl(directory, app_ports)
        return subprocess.run([varnishd(), "-C", "-f", str(vcl), "-n", str(directory / "work")],
                              capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def running_varnish(app_ports, *, port: int | None = None, timeout: float = 30.0):
    """varnishd in the foreground of its own process, until the block ends; yields its base URL once
    it passes /healthz to an app server (the backends' probes found them healthy). Without `port`, one
    of PORTAL_TEST_PORTS."""
    skip_or_fail_without_varnish()
    reservation = reserve_ports(1) if port is None else None
    directory = _directory()
    port = port or reservation.first
    vcl = site_vcl(directory, app_ports)
    log = open(directory / "varnishd.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [varnishd(), "-F", "-n", str(directory / "work"), "-a", f"127.0.0.1:{port}", "-f", str(vcl),
         "-s", "malloc,64m", "-T", "none", "-p", "default_grace=0"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError("varnishd did not start: " + (directory / "varnishd.log").read_text()[-2000:])
            time.sleep(0.2)
        WORK_DIRECTORIES[f"http://127.0.0.1:{port}"] = directory / "work"
        yield f"http://127.0.0.1:{port}"
    finally:
        WORK_DIRECTORIES.pop(f"http://127.0.0.1:{port}", None)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(directory, ignore_errors=True)
        if reservation is not None:
            reservation.release()


def every_backend_sick(url: str, threshold: int = 2, window: int = 3) -> bool:
    """Whether the health probes of the varnishd at `url` found every app server gone: fewer than the
    VCL probe's .threshold good results among its last .window (varnishstat's VBE.*.happy bitmaps)."""
    stats = subprocess.run([shutil.which("varnishstat") or "/usr/bin/varnishstat", "-n", str(WORK_DIRECTORIES[url]),
                            "-1", "-f", "VBE.*.happy"], capture_output=True, text=True, timeout=10, check=True)
    bitmaps = [int(line.split()[1]) for line in stats.stdout.splitlines() if ".happy" in line]
    return bool(bitmaps) and all(bin(bitmap & ((1 << window) - 1)).count("1") < threshold for bitmap in bitmaps)
