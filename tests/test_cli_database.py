"""A DATABASE_URL that is malformed or leads nowhere stops start-up with one line naming the variable,
a non-zero exit and no traceback, and a database that never answers cannot hang start-up: the
connection attempt has a deadline. Runs `python app.py`'s main in this process (tests/harness/cli.py), with
the Slack stand-in answering the start-up check (which comes before the database)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.cli import CliResult, run_cli
from tests.harness.slack_api import SlackStandIn


@pytest.fixture(scope="module")
def slack_api() -> Iterator[str]:
    with SlackStandIn() as standin:
        yield standin.api_url


def start(args: list[str], database_url: str, cwd: Path, slack_api: str,
          **env: str) -> tuple[CliResult, float]:
    started = time.monotonic()
    result = run_cli(*args, cwd=cwd, env={"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
                                          "DATABASE_URL": database_url, "SLACK_API_URL": slack_api, **env})
    return result, time.monotonic() - started


def assert_one_line_naming_the_variable(result: CliResult, *expected: str) -> str:
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
def test_bad_database_url_gives_one_line(tmp_path: Path, url: str, expected: list[str], command: list[str],
                                        slack_api: str) -> None:
    result, _ = start(command, url, tmp_path, slack_api)
    line = assert_one_line_naming_the_variable(result, *expected)
    assert "hunter2secret" not in result.stderr + result.stdout
    assert len(line) < 300


def test_a_silent_database_does_not_hang_start_up(tmp_path: Path, silent_database: int, slack_api: str) -> None:
    url = f"postgresql://postgres@127.0.0.1:{silent_database}/x?connect_timeout=2"
    result, seconds = start([], url, tmp_path, slack_api)
    assert_one_line_naming_the_variable(result, "cannot connect")
    assert seconds < 15  # the 2 s deadline (more on a busy machine)


def test_the_database_timeout_is_the_default_connect_deadline(tmp_path: Path, silent_database: int,
                                                              slack_api: str) -> None:
    """No connect_timeout in the URL: DATABASE_TIMEOUT_SECONDS (default 10 s; 3 here, so the test does not
    wait out 10 s) still ends it."""
    result, seconds = start(["migrate"], f"postgresql://postgres@127.0.0.1:{silent_database}/x", tmp_path,
                            slack_api, DATABASE_TIMEOUT_SECONDS="3")
    assert_one_line_naming_the_variable(result, "cannot connect")
    assert 2.5 < seconds < 30  # without a deadline it never ends
