"""A throwaway coturn (Debian's `turnserver`) for the tests, on the loopback only, checking the same
REST API credentials the portal hands to each side of a call (portal/calls/ice.py).

Ports: a block of BLOCK consecutive ports inside PORTAL_TEST_PORTS (default "7300-7399"): the first
is coturn's listening port (UDP and TCP), the rest its relay range (min-port..max-port). A block is
taken only when a lock file under the temp directory (`portal-port-<n>.lock`, held while the
server runs) is free for every port of it and nothing else on the machine binds them, so two
suites on one machine (two checkouts, xdist workers) take different blocks; a suite can also be given
its own range with PORTAL_TEST_PORTS. `reserve_ports(1)` takes one port the same way (the live
server of the relay test).

Without /usr/bin/turnserver the tests that need it skip with one line, unless PORTAL_REQUIRE_COTURN=1
(CI: .ci/run installs coturn), where they fail.

Reuse: `coturn` (a session fixture in tests/conftest.py) yields a Coturn; `coturn.portal_settings()`
is what a live server's settings need so that calls get relay-only TURN credentials of this coturn."""
import contextlib
import fcntl
import os
import secrets
import socket
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TURNSERVER = os.environ.get("PORTAL_TURNSERVER", "/usr/bin/turnserver")
HOST = "127.0.0.1"
BLOCK = 20  # 1 listening port + 19 relay ports (each relay allocation takes one; a call takes two)
REALM = "portal.test"


def port_range() -> tuple[int, int]:
    low, _, high = os.environ.get("PORTAL_TEST_PORTS", "7300-7399").partition("-")
    return int(low), int(high)


def _bindable(port: int, kinds=(socket.SOCK_STREAM, socket.SOCK_DGRAM)) -> bool:
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                return False
    return True


@dataclass
class Reservation:
    first: int
    count: int
    _locks: list = field(default_factory=list, repr=False)

    @property
    def ports(self) -> range:
        return range(self.first, self.first + self.count)

    def release(self) -> None:
        for handle in self._locks:
            handle.close()  # closing drops the lock
        self._locks.clear()


def reserve_ports(count: int, *, skip: int = 0) -> Reservation:
    """`count` consecutive free ports of PORTAL_TEST_PORTS, locked against other suites until released.
    Blocks start at multiples of `count` from the range's start; `skip` passes over that many free ones
    (a retry after a server lost the race for a port between the probe and its bind)."""
    low, high = port_range()
    for first in range(low, high - count + 2, count):
        reservation = Reservation(first, count)
        for port in reservation.ports:
            handle = open(Path(tempfile.gettempdir()) / f"portal-port-{port}.lock", "a+")  # noqa: SIM115
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                break
            reservation._locks.append(handle)
            if not _bindable(port):
                break
        else:
            if skip == 0:
                return reservation
            skip -= 1
        reservation.release()
    raise RuntimeError(f"no {count} free consecutive ports in PORTAL_TEST_PORTS={low}-{high}")


def stun_binding(port: int, host: str = HOST, timeout: float = 0.3) -> bool:
    """Whether a STUN Binding request over UDP gets its success response (RFC 5389)."""
    transaction = secrets.token_bytes(12)
    request = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + transaction
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(request, (host, port))
            answer, _ = sock.recvfrom(2048)
        except OSError:
            return False
    return len(answer) >= 20 and answer[:2] == b"\x01\x01" and answer[8:20] == transaction


@dataclass
class Coturn:
    port: int
    min_port: int
    max_port: int
    secret: str
    log: Path
    realm: str = REALM
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def urls(self) -> list[str]:
        return [f"turn:{HOST}:{self.port}?transport=udp"]

    def portal_settings(self, *, relay_only: bool = True, ttl: int = 600) -> dict:
        """The portal's call settings for this coturn (portal/calls/ice.py): merge them into a live
        server's settings and every call's `ice` holds relay-only credentials of this server."""
        return {"portal.call.stun_urls": "", "portal.call.turn_urls": " ".join(self.urls),
                "portal.call.turn_secret": self.secret, "portal.call.turn_ttl": str(ttl),
                "portal.call.relay_only": "true" if relay_only else "false"}

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def config_text(coturn: Coturn, directory: Path) -> str:
    """coturn's configuration for a test: loopback only (listening, relay and peers), the REST API
    secret, plain UDP/TCP (no TLS, no DTLS), no CLI, no web admin, a log file of its own."""
    return "\n".join([
        f"listening-ip={HOST}", f"relay-ip={HOST}", f"listening-port={coturn.port}",
        f"min-port={coturn.min_port}", f"max-port={coturn.max_port}",
        "use-auth-secret", f"static-auth-secret={coturn.secret}", f"realm={coturn.realm}",
        "fingerprint", "no-tls", "no-dtls", "no-cli", "no-rfc5780", "no-tcp-relay",
        # The two browsers' relay addresses are each other's peers, and both are 127.0.0.1: coturn
        # refuses loopback peers unless told (production keeps refusing them, README).
        "allow-loopback-peers", "no-multicast-peers",
        "user-quota=12", "total-quota=40", "max-allocate-lifetime=600",
        f"userdb={directory / 'turndb'}", f"pidfile={directory / 'turnserver.pid'}",
        f"log-file={coturn.log}", "simple-log", "no-stdout-log", "verbose", "",
    ])


def missing_reason() -> str | None:
    if os.path.exists(TURNSERVER):
        return None
    return f"{TURNSERVER} not found: apt-get install coturn to run the TURN relay tests"


def skip_or_fail_without_coturn() -> None:
    reason = missing_reason()
    if reason is None:
        return
    if os.environ.get("PORTAL_REQUIRE_COTURN") == "1":
        pytest.fail(f"{reason} (PORTAL_REQUIRE_COTURN=1)", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def running_coturn(directory: Path, *, attempts: int = 3, timeout: float = 10.0):
    """Start coturn in `directory`, wait until it answers STUN on its port, yield it, stop it."""
    directory.mkdir(parents=True, exist_ok=True)
    for attempt in range(attempts):
        ports = reserve_ports(BLOCK, skip=attempt)
        coturn = Coturn(port=ports.first, min_port=ports.first + 1, max_port=ports.first + BLOCK - 1,
                        secret=secrets.token_urlsafe(32), log=directory / f"turnserver-{ports.first}.log")
        conf = directory / f"turnserver-{ports.first}.conf"
        conf.write_text(config_text(coturn, directory))
        conf.chmod(0o600)  # it holds the secret
        coturn.process = subprocess.Popen([TURNSERVER, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and coturn.process.poll() is None and not stun_binding(coturn.port):
            time.sleep(0.1)
        if coturn.process.poll() is None and stun_binding(coturn.port):
            break
        _stop(coturn.process)
        ports.release()
    else:
        raise RuntimeError(f"coturn did not start; its log:\n{coturn.log_text()[-3000:]}")
    try:
        yield coturn
    finally:
        _stop(coturn.process)
        ports.release()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
