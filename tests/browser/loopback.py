"""A network namespace with nothing but the loopback, for the call tests: Chromium gathers ICE candidates
on every interface it sees, and no switch limits it to 127.0.0.1. Run inside a namespace whose only
interface is lo, no packet of a call can go to any other address: there is none.

Two things go in: the test's own portal (its listening socket is made while this thread has entered the
namespace: a socket stays in the namespace it was made in, whichever thread serves it), and Chromium
(launched by the suite's one Playwright through a small script that runs it under `ip netns exec`;
Playwright drives it through pipes, which cross namespaces). Nothing else of the test process moves.

Needs root (as in CI) and iproute2; elsewhere the tests that need it skip with one line saying why."""
import contextlib
import ctypes
import os
import stat
import subprocess
import threading

CLONE_NEWNET = 0x40000000


class LoopbackNamespace:
    def __init__(self, name: str):
        self.name = name

    @contextlib.contextmanager
    def entered(self):
        """This thread inside the namespace for the block (to make listening sockets there)."""
        libc = ctypes.CDLL(None, use_errno=True)
        original = os.open(f"/proc/self/task/{threading.get_native_id()}/ns/net", os.O_RDONLY)
        target = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if libc.setns(target, CLONE_NEWNET) != 0:
                raise PermissionError(os.strerror(ctypes.get_errno()))
            try:
                yield
            finally:
                if libc.setns(original, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "could not return to the original network namespace")
        finally:
            os.close(target)
            os.close(original)

    def launcher(self, directory: str, executable: str) -> str:
        """A script that runs `executable` inside the namespace, for Playwright's executable_path."""
        path = os.path.join(directory, "chromium-in-loopback-namespace")
        with open(path, "w") as script:
            script.write(f'#!/bin/sh\nexec ip netns exec {self.name} {executable} "$@"\n')
        os.chmod(path, stat.S_IRWXU)
        return path


@contextlib.contextmanager
def loopback_namespace():
    name = f"portal-calls-{os.getpid()}"
    try:
        subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise PermissionError(getattr(exc, "stderr", "") or str(exc)) from exc
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True, capture_output=True)
        yield LoopbackNamespace(name)
    finally:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)
