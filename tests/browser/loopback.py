"""A network namespace with nothing but the loopback, for the call tests: Chromium gathers ICE candidates
on every interface it sees, and no switch limits it to 127.0.0.1. Moving this thread into a fresh network
namespace (whose only interface is lo) before the test's own server, Playwright's driver and Chromium
start makes sure no packet of a call can go to any other address: there is none. The thread goes back to
its namespace afterwards; other threads (the suite's own live server, PostgreSQL connections) never leave it.

Needs CAP_SYS_ADMIN (root, as in CI); elsewhere the tests that need it skip with one line saying why."""
import contextlib
import ctypes
import os
import subprocess
import threading

CLONE_NEWNET = 0x40000000


@contextlib.contextmanager
def loopback_only_namespace():
    libc = ctypes.CDLL(None, use_errno=True)
    original = os.open(f"/proc/self/task/{threading.get_native_id()}/ns/net", os.O_RDONLY)
    try:
        if libc.unshare(CLONE_NEWNET) != 0:
            raise PermissionError(os.strerror(ctypes.get_errno()))
        try:
            subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True)
            yield
        finally:
            if libc.setns(original, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "could not return to the original network namespace")
    finally:
        os.close(original)
