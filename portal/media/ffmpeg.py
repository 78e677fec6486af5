"""ffmpeg and ffprobe run on hostile files: each in a child process of its own session with limits
the kernel enforces (CPU seconds, address space, size of any file it writes) and a wall-clock limit
we enforce by killing its whole process group; on Linux it is also killed when the worker dies,
however it dies (PR_SET_PDEATHSIG), so no ffmpeg outlives the process that watches its clock. Nothing
is read from stdin (`-nostdin`); the caller passes input and output as files in the media store's
incoming directory.

Why the ffmpeg program rather than PyAV (FFmpeg in a wheel): a decoder bug in a library would crash
or corrupt the worker itself, while a child process is contained by its rlimits and killed whole;
Debian's ffmpeg gets the distribution's security updates (README, "Staff copies")."""
import ctypes
import ctypes.util
import os
import resource
import shutil
import signal
import subprocess
from dataclasses import dataclass

MB = 1024 * 1024
PR_SET_PDEATHSIG = 1  # linux/prctl.h
_LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if os.name == "posix" else None
STDERR_LIMIT = 4000  # the end of ffmpeg's messages kept for the log and the failure reason


class ToolMissing(RuntimeError):
    """ffmpeg or ffprobe is not installed (apt-get install ffmpeg)."""


class ToolFailed(RuntimeError):
    """The tool exited with an error, was killed by a limit, or ran out of time; `reason` says which
    (short, without file names: it is shown to staff and logged)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int
    memory_mb: int
    wall_seconds: float
    output_mb: int

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        def number(name):
            return float(settings[f"portal.transcode.{name}"])
        return cls(cpu_seconds=int(number("cpu_seconds")), memory_mb=int(number("memory_mb")),
                   wall_seconds=number("wall_seconds"), output_mb=int(number("output_mb")))


def tool(name: str, settings=None) -> str:
    """The path of ffmpeg or ffprobe: `portal.transcode.<name>` when set, else found on PATH."""
    configured = (settings or {}).get(f"portal.transcode.{name}") or name
    found = shutil.which(configured)
    if found is None:
        raise ToolMissing(f"{name} is not installed (apt-get install ffmpeg)")
    return found


def _limiter(limits: Limits):
    def apply():  # in the child, between fork and exec
        cpu = max(1, limits.cpu_seconds)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))  # SIGXCPU at the soft limit, SIGKILL at the hard
        memory = limits.memory_mb * MB
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        size = limits.output_mb * MB
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file of a reporter's video
        if _LIBC is not None and hasattr(_LIBC, "prctl"):  # Linux: the child dies with the worker (kill -9 too)
            _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    return apply


def _killed_reason(returncode: int) -> str:
    signum = -returncode
    if signum in (signal.SIGXCPU, signal.SIGKILL):
        return "CPU time limit"
    if signum == signal.SIGXFSZ:
        return "output size limit"
    if signum == signal.SIGSEGV:
        return "memory limit or a crash"
    return f"killed by signal {signum}"


def run(args: list[str], limits: Limits) -> bytes:
    """Run `args` (the tool's path first) under `limits`; return its stdout or raise ToolFailed."""
    cpu_before = _children_cpu()
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,  # noqa: S603 - no shell; our paths
                               start_new_session=True, preexec_fn=_limiter(limits), close_fds=True)
    try:
        out, err = process.communicate(timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise ToolFailed("time limit") from None
    except BaseException:
        _kill_group(process)
        raise
    if process.returncode < 0:
        raise ToolFailed(_killed_reason(process.returncode))
    if process.returncode != 0 and _children_cpu() - cpu_before >= limits.cpu_seconds - 0.05:
        raise ToolFailed("CPU time limit")  # ffmpeg ends itself cleanly on SIGXCPU
    if process.returncode != 0:
        message = err.decode("utf-8", "replace")[-STDERR_LIMIT:].strip().splitlines()
        last = message[-1] if message else ""
        for arg in args[1:]:  # the work files' paths say nothing useful: their names only
            if os.sep in arg:
                last = last.replace(arg, os.path.basename(arg))
        if "Cannot allocate memory" in last or "out of memory" in last.lower():
            raise ToolFailed("memory limit")
        if "File too large" in last:
            raise ToolFailed("output size limit")
        raise ToolFailed(f"exit status {process.returncode}: {last[:200]}")
    return out


def _children_cpu() -> float:
    """CPU seconds of the ended children of this process (the worker runs one tool at a time)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()
