"""The bot (or any Python server) as a real child process: free ports, its environment, start/stop.

One copy for the tests (crashes, SIGTERM, two processes on one database) and for bench/ (latency and
memory of `python app.py`). Nothing here imports the bot, so bench scripts can use it before the bot's
own modules are loaded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.harness.waiting import wait_http

ROOT = Path(__file__).resolve().parent.parent.parent
APP = ROOT / "app.py"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for a child process that binds it itself)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listens(pid: int, port: int) -> bool:
    """Whether process pid holds the socket listening on 127.0.0.1/0.0.0.0:port (Linux /proc; elsewhere
    True, unchecked)."""
    inodes: set[str] = set()
    try:
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with contextlib.suppress(FileNotFoundError), open(table) as rows:
                for row in list(rows)[1:]:
                    fields = row.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                        inodes.add(fields[9])
        if not inodes:
            return False
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return True
    sockets = {f"socket:[{inode}]" for inode in inodes}
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}") in sockets:
                return True
    return False


def bot_env(*, bot_token: str, signing_secret: str, slack_api_url: str, database_url: str, port: int,
            article_hostport: str, **settings: str) -> dict[str, str]:
    """Environment for `python app.py` in HTTP mode pointed at the local servers.

    Inherited SLACK_*, OPENAI_* and DATABASE_* variables are dropped and no .env file is read (a
    developer's real tokens never reach a test bot); `settings` are further variables (LOG_LEVEL="DEBUG",
    CLAIM_EXTRACTOR="openai", ...) and win over the defaults.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "DATABASE_"))}
    env.update({
        "SLACK_BOT_TOKEN": bot_token, "SLACK_SIGNING_SECRET": signing_secret, "SLACK_API_URL": slack_api_url,
        "DATABASE_URL": database_url, "PORT": str(port), "FETCH_ALLOWED_PRIVATE_HOSTS": article_hostport,
        "PYTHONUNBUFFERED": "1", "FACTCHECK_ENV_FILE": "",  # a developer's .env beside app.py is not read
    })
    env.update(settings)
    return env


class Process:
    """A Python child process serving HTTP on a port; its output goes to log_path (appended, so a
    restarted process writes after the one before). Use as a context manager or start()/stop(). Every
    started process is also registered, so that a test that fails before stopping its processes does
    not leave them running (conftest kills the leftovers after each test: `kill_leftovers`)."""

    def __init__(self, argv: list[str], env: dict[str, str], port: int, log_path: Path,
                 health: str = "/healthz") -> None:
        self.argv, self.env, self.port, self.log_path, self.health = argv, env, port, log_path, health
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.popen is not None, "not started"
        return self.popen.pid

    @property
    def url(self) -> str:
        """Where Slack would send events."""
        return f"http://127.0.0.1:{self.port}/slack/events"

    def start(self, timeout: float = 60.0) -> Process:
        """Start and wait until the health endpoint answers; raises (with the log's tail) if it never does.

        The port was free when it was picked, not necessarily when the child binds it: a server another
        test started in between (pytest-xdist runs three at once) may hold it and answer the health check
        in this child's place. So the answer only counts when the listening socket is the child's own;
        otherwise the child is stopped and started again on another port (env["PORT"] follows)."""
        _started.append(self)
        for _attempt in range(3):
            with self.log_path.open("ab") as log:
                # Its own process group, so that kill() can take its worker processes down with it.
                self.popen = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log,
                                              stderr=subprocess.STDOUT, start_new_session=True)
            wait_http(f"http://127.0.0.1:{self.port}{self.health}", timeout, self.popen, self.log_path)
            if listens(self.popen.pid, self.port):
                return self
            self.kill()
            self.port = free_port()
            self.env["PORT"] = str(self.port)
        raise RuntimeError(f"another process kept answering on the ports picked for {self.argv}")

    def kill(self) -> None:
        """SIGKILL to the process and its worker processes: a crash of the machine, no chance to clean up."""
        assert self.popen is not None, "not started"
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def kill_parent_only(self) -> None:
        """SIGKILL to the process alone: its worker processes must notice and stop by themselves."""
        assert self.popen is not None, "not started"
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM (as Heroku sends) and wait; returns the exit status."""
        assert self.popen is not None, "not started"
        self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout=timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within timeout; nothing if not running."""
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            self.terminate(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> Process:
        return self.start()

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def __exit__(self, *exc: object) -> None:
        self.stop()


_started: list[Process] = []


def kill_leftovers() -> int:
    """SIGKILL every process (and its worker processes) a test started and left running; how many."""
    left = [process for process in _started if process.running()]
    for process in left:
        process.kill()
    _started.clear()
    return len(left)


def bot_process(env: dict[str, str], log_path: Path) -> Process:
    """`python app.py` with env (see bot_env), on the port env names."""
    return Process([sys.executable, str(APP)], env, int(env["PORT"]), log_path)
