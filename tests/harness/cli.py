"""`python app.py ...` run inside the test process: the same `main(argv)`, environment and working folder,
its standard output and error captured, without paying 3-5 s of interpreter start and imports per run.

What a child process would add is checked by the few tests that need one (signals, a real exit, the
log of a running bot). The environment is the one given plus the caller's, without inherited Slack,
OpenAI, database, extractor, fetch or port settings (a developer's real tokens never reach a test), and
with no .env file read (FACTCHECK_ENV_FILE empty) unless the test names one.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_DROPPED = ("SLACK_", "OPENAI_", "DATABASE_", "CLAIM_", "FETCH_", "PORT", "LOG_LEVEL", "FACTCHECK_")


@dataclass
class CliResult:
    """What a finished `python app.py` leaves: like subprocess.CompletedProcess."""

    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def environment(env: dict[str, str | None]) -> Iterator[None]:
    """os.environ as a child process would see it (a None value removes the variable), restored afterwards."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(_DROPPED):
            del os.environ[name]
    os.environ["FACTCHECK_ENV_FILE"] = ""
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _logging_kept() -> Iterator[None]:
    """app.main configures the root logger for a process; give the test process its own back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def run_cli(*args: str, env: dict[str, str | None] | None = None, cwd: Path | None = None) -> CliResult:
    """Run app.main(args) as `python app.py ARGS` would, in `cwd` (default: unchanged)."""
    import app

    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    with environment(env or {}), _logging_kept(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        if cwd is not None:
            os.chdir(cwd)
        try:
            code = app.main(list(args))
        except SystemExit as exit_:  # argparse's own errors and --help
            code = exit_.code if isinstance(exit_.code, int) else 1
        finally:
            os.chdir(previous)
    return CliResult(code, out.getvalue(), err.getvalue())
