"""The demo portal as `make serve` runs it, on a free port and a throw-away database, for scripts that
drive a browser against it (bench/lighthouse.py, docs/screenshots/make_screenshots.py).

    with demo_server() as base:   # "http://127.0.0.1:PORT"
        ...

Copies development.ini into a temporary folder (so `%(here)s/var/...` is the SQLite file, media and
audit checkpoints of that folder, and portal.public_url is the server's own address: no absolute link
points elsewhere), then does what `make serve` does: alembic upgrade head, portal-seed-demo, pserve."""
import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def free_port() -> int:
    """A port of PORTAL_TEST_PORTS (first free one) when set, else one the system hands out."""
    wanted = os.environ.get("PORTAL_TEST_PORTS")
    low, high = map(int, wanted.split("-")) if wanted else (0, 0)
    candidates = range(low, high + 1)
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in PORTAL_TEST_PORTS={wanted}")


def demo_ini(folder: str, port: int) -> str:
    with open(os.path.join(ROOT, "development.ini"), encoding="utf-8") as source:
        text = source.read()
    text = re.sub(r"(?m)^portal\.public_url = .*$", f"portal.public_url = http://127.0.0.1:{port}", text)
    text = re.sub(r"(?m)^script_location = .*$", f"script_location = {ROOT}/migrations", text)
    path = os.path.join(folder, "development.ini")
    with open(path, "w", encoding="utf-8") as target:
        target.write(text)
    os.makedirs(os.path.join(folder, "var", "media"))
    return path


def run(args: list[str], log) -> None:
    subprocess.run(args, cwd=ROOT, check=True, stdout=log, stderr=subprocess.STDOUT)


@contextlib.contextmanager
def demo_server(port: int | None = None):
    """Yields the base URL of a seeded demo portal; stops it and removes its files afterwards."""
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="portal-demo-") as folder:
        ini = demo_ini(folder, port)
        with open(os.path.join(folder, "serve.log"), "w") as log:
            run([f"{BIN}/alembic", "-c", ini, "upgrade", "head"], log)
            run([f"{BIN}/portal-seed-demo", ini], log)
            run([sys.executable, "-c", "from portal.core.i18n import compile_catalogs; compile_catalogs()"], log)
            server = subprocess.Popen([f"{BIN}/pserve", ini, f"http_port={port}"], cwd=ROOT, stdout=log,
                                      stderr=subprocess.STDOUT)
            base = f"http://127.0.0.1:{port}"
            try:
                wait_until_up(base, server, os.path.join(folder, "serve.log"))
                yield base
            finally:
                server.terminate()
                server.wait(timeout=10)


def wait_until_up(base: str, server: subprocess.Popen, log_path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"pserve stopped ({server.returncode}); see {log_path}:\n" + open(log_path).read())
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return
        time.sleep(0.3)
    raise RuntimeError(f"the demo server did not answer /healthz within {timeout:.0f} s")
