"""Bounded long-polling for the call's signals. Waitress has no WebSocket and a fixed pool of threads,
so a poll may wait for news only while a slot is free (`portal.call.long_poll_slots` per process):
the others answer at once and the page polls again a moment later. A signal stored by this process
wakes its waiters at once (after its commit); one stored by another process is seen within
RECHECK seconds, when the waiter reads the database again."""
import threading
import time

RECHECK = 0.5  # seconds between two reads of a waiting poll


class Bell:
    def __init__(self, slots: int):
        self.slots = threading.BoundedSemaphore(max(0, slots)) if slots > 0 else None
        self._rung = 0
        self._condition = threading.Condition()
        self.waiting = 0  # polls waiting now (a measure for bench/ and the health page)

    def ring(self) -> None:
        with self._condition:
            self._rung += 1
            self._condition.notify_all()

    def mark(self) -> int:
        with self._condition:
            return self._rung

    def sleep(self, mark: int, seconds: float) -> None:
        with self._condition:
            if self._rung == mark:
                self._condition.wait(seconds)

    def wait_for(self, check, timeout: float):
        """check() until it returns something true or `timeout` passes; at once without a free slot."""
        if timeout <= 0 or self.slots is None or not self.slots.acquire(blocking=False):
            return check()
        self.waiting += 1
        try:
            deadline = time.monotonic() + timeout
            while True:
                mark = self.mark()
                result = check()
                left = deadline - time.monotonic()
                if result or left <= 0:
                    return result
                self.sleep(mark, min(RECHECK, left))
        finally:
            self.waiting -= 1
            self.slots.release()


def ring_after_commit(request) -> None:
    """Wake this process's waiting polls once the request's transaction committed."""
    bell = request.registry["call_bell"]
    request.tm.get().addAfterCommitHook(lambda ok: ok and bell.ring())
