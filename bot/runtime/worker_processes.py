"""The job-worker processes that `python app.py` starts beside the web process, and their tie to it.

Reading an article, scoring its sentences and matching claims is CPU work. In the web process it would
compete with Slack's acknowledgements for the interpreter (one GIL) and, on SQLite, for the write lock.
So the web process only records work, and `WORKER_PROCESSES` children (`python app.py worker`, the same
command a Procfile's `worker` line runs) do it, at a lower CPU priority (`WORKER_NICE`) so that on a
busy machine the acknowledgements go first.

The parent restarts a child that dies, stops them with SIGTERM when it stops, and a child stops when
its parent is gone, however it ended (Linux tells it at once through PR_SET_PDEATHSIG; elsewhere it
notices within a second): no orphans keep working on their own.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

PARENT_PID_VARIABLE = "FACTCHECK_PARENT_PID"
RESTART_FIRST_WAIT = 1.0
RESTART_MAX_WAIT = 60.0
_PR_SET_PDEATHSIG = 1


class WorkerProcesses:
    """`count` child processes running `argv` (the worker command), kept running until stop()."""

    def __init__(self, count: int, argv: Sequence[str], *, cwd: Path | None = None) -> None:
        self.count = count
        self.argv = list(argv)
        self.cwd = cwd
        self._children: list[subprocess.Popen[bytes] | None] = [None] * count
        self._waits = [RESTART_FIRST_WAIT] * count
        self._started = [0.0] * count
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None

    @property
    def pids(self) -> list[int]:
        return [child.pid for child in self._children if child is not None and child.poll() is None]

    def _spawn(self, index: int) -> None:
        env = dict(os.environ, **{PARENT_PID_VARIABLE: str(os.getpid())})
        child = subprocess.Popen(self.argv, env=env, cwd=self.cwd)
        self._children[index] = child
        self._started[index] = time.monotonic()
        log.info("started job worker process %d (pid %d)", index + 1, child.pid)

    def start(self) -> None:
        for index in range(self.count):
            self._spawn(index)
        # Children are spawned (and re-spawned) by this thread: PR_SET_PDEATHSIG fires when the thread
        # that created a child ends, so it lives as long as the children should.
        self._monitor = threading.Thread(target=self._watch, name="worker-processes", daemon=True)
        self._monitor.start()

    def _watch(self) -> None:
        restart_at: dict[int, float] = {}
        while not self._stopping.wait(0.5):
            for index, child in enumerate(self._children):
                if child is None or child.poll() is None:
                    continue
                if index not in restart_at:
                    if time.monotonic() - self._started[index] > RESTART_MAX_WAIT:
                        self._waits[index] = RESTART_FIRST_WAIT  # it had been running well: restart soon
                    log.error("job worker process %d (pid %d) exited with status %s; restarting it in %.0f s",
                              index + 1, child.pid, child.returncode, self._waits[index])
                    restart_at[index] = time.monotonic() + self._waits[index]
                    self._waits[index] = min(self._waits[index] * 2, RESTART_MAX_WAIT)
                elif time.monotonic() >= restart_at[index] and not self._stopping.is_set():
                    del restart_at[index]
                    try:
                        self._spawn(index)
                    except OSError as error:
                        log.error("could not restart job worker process %d: %s", index + 1, error)
                        restart_at[index] = time.monotonic() + self._waits[index]

    def signal_stop(self) -> None:
        """Ask every child to finish its jobs in flight and exit (SIGTERM); returns at once."""
        self._stopping.set()
        for child in self._children:
            if child is not None and child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 25.0) -> None:
        """SIGTERM every child and wait up to `timeout` seconds in all; SIGKILL those still running."""
        self.signal_stop()
        deadline = time.monotonic() + timeout
        for child in self._children:
            if child is None:
                continue
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("job worker process (pid %d) did not stop within %.0f s; killing it", child.pid, timeout)
                child.kill()
                child.wait()


def exit_with_parent(stop: Callable[[], None]) -> None:
    """In a child of WorkerProcesses: call `stop` (once) when the parent process is gone.

    Nothing happens in a worker started on its own (no FACTCHECK_PARENT_PID).
    """
    value = os.environ.get(PARENT_PID_VARIABLE, "")
    if not value.isdigit():
        return
    parent = int(value)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        log.info("the web process (pid %d) is gone: stopping", parent)
        stop()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def lower_priority(nice: int) -> None:
    """Raise this process's niceness by `nice` (0: unchanged), so the web process's acks get the CPU first."""
    if nice > 0 and hasattr(os, "nice"):
        try:
            os.nice(nice)
        except OSError as error:
            log.warning("could not lower the worker's CPU priority: %s", error.strerror)
