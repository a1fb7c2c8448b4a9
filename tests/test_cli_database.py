"""A DATABASE_URL that is malformed or leads nowhere stops start-up with one line naming the variable,
a non-zero exit and no traceback, and a database that never answers cannot hang start-up: the
connection attempt has a deadline. Runs `python app.py` as a real process, as an operator would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(args: list[str], database_url: str, cwd: Path,
          timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "OPENAI_", "DATABASE_", "CLAIM_", "FETCH_", "PORT"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "DATABASE_URL": database_url,
                "SLACK_API_URL": "http://127.0.0.1:9/api/"})
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(ROOT / "app.py"), *args], capture_output=True, text=True,
                            env=env, cwd=cwd, timeout=timeout)
    return result, time.monotonic() - started


def assert_one_line_naming_the_variable(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    assert "DATABASE_URL" in lines[0]
    for word in expected:
        assert word in result.stderr, result.stderr
    return lines[0]


@pytest.fixture
def silent_database() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a hung database or a black-holing
    proxy): only a connect deadline gets a client past it."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for connection in held:
        connection.close()
    listener.close()


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://postgres@127.0.0.1:1/x", ["cannot connect", "127.0.0.1:1"]),
    ("postgresql://postgres:hunter2secret@127.0.0.1:1/x", ["cannot connect"]),
    ("notadb://", ["notadb"]),
    ("not a url at all", []),
    ("sqlite:////nonexistent-dir/sub/factcheck.db", ["cannot connect"]),
])
@pytest.mark.parametrize("command", [[], ["migrate"]], ids=["serve", "migrate"])
def test_bad_database_url_gives_one_line(tmp_path: Path, url: str, expected: list[str], command: list[str]) -> None:
    result, _ = start(command, url, tmp_path)
    line = assert_one_line_naming_the_variable(result, *expected)
    assert "hunter2secret" not in result.stderr + result.stdout
    assert len(line) < 300


def test_a_silent_database_does_not_hang_start_up(tmp_path: Path, silent_database: int) -> None:
    url = f"postgresql://postgres@127.0.0.1:{silent_database}/x?connect_timeout=2"
    result, seconds = start([], url, tmp_path, timeout=60)
    assert_one_line_naming_the_variable(result, "cannot connect")
    assert seconds < 20  # 2 s deadline, plus 4-5 s of imports (more on a busy machine)


def test_the_default_connect_timeout_applies(tmp_path: Path, silent_database: int) -> None:
    """No connect_timeout in the URL: the default (DATABASE_TIMEOUT_SECONDS, 10 s) still ends it."""
    result, seconds = start(["migrate"], f"postgresql://postgres@127.0.0.1:{silent_database}/x", tmp_path,
                            timeout=90)
    assert_one_line_naming_the_variable(result, "cannot connect")
    assert 9.5 < seconds < 45  # without a deadline it never ends (the run times out at 90 s)
