"""The command line as a newcomer meets it: `python app.py check ...` and one-line configuration errors.

Most run `app.main` in this process (tests/harness/cli.py); the Socket Mode test runs a real process,
because it needs signals and a second server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_HTML
from tests.harness.article_server import ArticleServer
from tests.harness.cli import CliResult, run_cli

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str | None] | None = None, cwd: Path | None = None) -> CliResult:
    return run_cli(*args, env=env, cwd=cwd)


def one_line(result: CliResult, *expected: str) -> str:
    """The failure an operator must see: exit code 2, one line on standard error naming what to change."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in expected:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "SLACK_BOT_TOKEN is not set"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "eighty"}, "PORT"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "FACTCHECK_CHANNEL": "#factcheck"},
     "FACTCHECK_CHANNEL"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "VERDICT_EMOJI": "x=false,x=true"},
     "VERDICT_EMOJI"),
    ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL: must be one of DEBUG, INFO"),
    ({"ASSIGN_EMOJI": "x"}, "ASSIGN_EMOJI :x: is also a verdict reaction in VERDICT_EMOJI"),
])
def test_missing_or_bad_settings_give_one_line_naming_the_variable(env: dict[str, str], expected: str,
                                                                    tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **env}
    result = run(env=env, cwd=tmp_path)
    line = one_line(result, expected)
    assert "configuration:" not in line  # the variable is named, not "configuration"


def test_check_prints_an_error_for_a_dead_link(tmp_path: Path) -> None:
    with ArticleServer() as server:
        result = run("check", server.url("/gone"), env={"FETCH_ALLOWED_PRIVATE_HOSTS": f"127.0.0.1:{server.port}"},
                     cwd=tmp_path)
    assert result.returncode == 1
    assert "not found (HTTP 404)" in result.stderr


def test_check_refuses_private_addresses_by_default(tmp_path: Path) -> None:
    result = run("check", "http://169.254.169.254/latest/meta-data/", cwd=tmp_path)
    assert result.returncode == 1 and "private or internal network" in result.stderr


def test_check_with_the_llm_extractor(llm, tmp_path: Path) -> None:
    quote = "Prior to the attack on Bagram, the US killed Qasem Soleimani in a drone strike in Baghdad."
    llm.queue_json({"summary": "Iran paid bounties, CNN says.", "claims": [
        {"claim": "The US killed Soleimani before the Bagram attack.", "quote": quote, "speaker": None}]})
    result = run("check", str(SAMPLE_HTML), "--json", cwd=tmp_path, env={
        "OPENAI_API_KEY": "sk-test-abcdefgh", "OPENAI_BASE_URL": llm.base_url, "OPENAI_MODEL": "test-model"})
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["extractor"] == "openai:test-model"
    assert printed["claims"] == [{"claim": "The US killed Soleimani before the Bagram attack.", "quote": quote,
                                  "speaker": None, "context": None, "score": 1.0}]
    assert printed["candidates"] == 1 and printed["summary_source"] == "model"


def test_check_json_prints_what_the_bot_read_and_decided(tmp_path: Path) -> None:
    page = ROOT / "tests" / "fixtures" / "pages" / "attribution.html"
    result = run("check", "--json", str(page), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["text"].startswith("White House defends drug pricing order\nThe White House on Friday")
    assert printed["summary_source"] == "page description"
    assert printed["candidates"] >= len(printed["claims"]) > 0
    assert len(printed["more"]) == printed["candidates"] - len(printed["claims"])
    for claim in printed["claims"]:
        assert set(claim) == {"claim", "quote", "speaker", "context", "score"}
        assert claim["quote"] in printed["text"]
    assert any(claim["speaker"] for claim in printed["claims"])


def test_check_says_plainly_when_a_page_is_a_paywall(tmp_path: Path) -> None:
    result = run("check", str(ROOT / "tests" / "fixtures" / "pages" / "paywall-reprint.html"), cwd=tmp_path)
    assert result.returncode == 1
    assert "subscription wall or a reprint notice" in result.stderr


def test_socket_mode_is_used_when_an_app_token_is_set(slack, tmp_path: Path) -> None:
    """With SLACK_APP_TOKEN the bot opens a Socket Mode connection (through SLACK_API_URL) instead of
    serving HTTP, answers /healthz on $PORT for the platform's health check, and SIGTERM stops it cleanly."""
    import signal

    import httpx

    from tests.harness.processes import free_port
    from tests.harness.waiting import wait_http

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "DATABASE_", "PORT"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret", "SLACK_APP_TOKEN": "xapp-1-test",
                "SLACK_API_URL": slack.api_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                "PORT": str(port), "FACTCHECK_ENV_FILE": ""})
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, cwd=tmp_path,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", 60, process, log_path)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").text == "ok\n"
        assert httpx.get(f"http://127.0.0.1:{port}/slack/events").status_code == 404  # events come by WebSocket
        # One call to check the app token at start, one to connect.
        opened = slack.wait_for_calls("apps.connections.open", 2, timeout=30)
        assert {call.headers.get("Authorization") for call in opened} == {"Bearer xapp-1-test"}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    output = log_path.read_text()
    assert "Socket Mode" in output and "/healthz" in output
    assert "xapp-1-test" not in output and "xoxb-test" not in output
    assert "will be unused" not in output and "will be ignored" not in output  # Bolt's token notices


def test_every_setting_is_documented_in_env_example() -> None:
    from bot.config.settings import Settings

    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for name in Settings.model_fields:
        variable = name.upper()
        index = next((i for i, line in enumerate(lines) if line.startswith(f"{variable}=")), None)
        assert index is not None, f"{variable} is missing from .env.example"
        assert lines[index - 1].startswith("#"), f"{variable} has no comment above it"


def test_weekly_summary_and_export_commands(tmp_path: Path, slack) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}"}
    dry = run("weekly-summary", "--week", "2026-W47", "--dry-run", env=env, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "week 2026-W47 (Mon 16 Nov – Sun 22 Nov 2026)" in dry.stdout
    assert slack.calls == []
    bad = run("weekly-summary", "--week", "last", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "--week" in bad.stderr
    no_channel = run("weekly-summary", env={**env, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"},
                     cwd=tmp_path)
    assert no_channel.returncode == 2 and "SUMMARY_CHANNEL" in no_channel.stderr
    slack.add_channel("C0SUMMARY", "desk")
    posting = {**env, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": slack.api_url}
    for _ in range(2):  # cron may run it twice: posted once
        posted = run("weekly-summary", "--week", "2026-W47", "--channel", "C0SUMMARY", env=posting, cwd=tmp_path)
        assert posted.returncode == 0, posted.stderr
    assert len([m for m in slack.messages("C0SUMMARY") if m.get("bot_id")]) == 1
    exported = run("export", "--format", "claimreview", env=env, cwd=tmp_path)
    assert exported.returncode == 0 and json.loads(exported.stdout) == []
    out = tmp_path / "claims.csv"
    written = run("export", "--format", "csv", "--since", "30d", "--output", str(out), env=env, cwd=tmp_path)
    assert written.returncode == 0
    assert out.read_text().startswith("claim_id,created_at,status,verdict")
    assert run("export", "--since", "whenever", env=env, cwd=tmp_path).returncode == 2


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite://", "in-memory SQLite"),
    ("sqlite:///", "in-memory SQLite"),
    ("sqlite:///:memory:", "in-memory SQLite"),
    (":memory:", "not a database URL"),
    ("postgresql://postgres:pw@127.0.0.1:fivefourthreetwo/x", "port is not a number"),
])
def test_database_urls_that_cannot_work_are_one_line(url: str, expected: str, tmp_path: Path) -> None:
    one_line(run("migrate", env={"DATABASE_URL": url}, cwd=tmp_path), "DATABASE_URL", expected)


def bad_token_env(slack, tmp_path: Path, **more: str) -> dict[str, str | None]:
    return {"SLACK_BOT_TOKEN": "xoxb-good", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}", **more}


def test_a_token_slack_refuses_stops_start_up_in_one_line_before_the_database_is_touched(slack,
                                                                                          tmp_path: Path) -> None:
    slack.valid_tokens = {"xoxb-good", "xapp-good"}
    line = one_line(run(env=bad_token_env(slack, tmp_path, SLACK_BOT_TOKEN="xoxb-revoked"), cwd=tmp_path),
                    "SLACK_BOT_TOKEN", "invalid_auth", "OAuth & Permissions")
    assert "xoxb-revoked" not in line
    assert not (tmp_path / "desk.db").exists()  # nothing half done: no database created or migrated
    one_line(run(env=bad_token_env(slack, tmp_path, SLACK_APP_TOKEN="xapp-wrong"), cwd=tmp_path),
             "SLACK_APP_TOKEN", "invalid_auth", "App-Level Tokens")
    one_line(run(env=bad_token_env(slack, tmp_path, SLACK_APP_TOKEN="xoxb-pasted-here"), cwd=tmp_path),
             "SLACK_APP_TOKEN", "xapp-")
    assert not (tmp_path / "desk.db").exists()
    assert [call.method for call in slack.calls] == ["auth.test", "auth.test", "apps.connections.open",
                                                     "auth.test"]


def test_a_port_in_use_stops_start_up_in_one_line_before_the_database_is_touched(slack, tmp_path: Path) -> None:
    import socket

    with socket.create_server(("0.0.0.0", 0)) as taken:
        port = taken.getsockname()[1]
        one_line(run(env=bad_token_env(slack, tmp_path, PORT=str(port)), cwd=tmp_path), "PORT", str(port))
    assert not (tmp_path / "desk.db").exists() and slack.calls == []


def test_no_route_to_slack_stops_start_up_in_one_line(tmp_path: Path) -> None:
    from tests.harness.processes import free_port

    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}",
           "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/"}
    one_line(run(env=env, cwd=tmp_path), "SLACK_API_URL", "cannot reach Slack")
    assert not (tmp_path / "d.db").exists()


def test_check_on_a_missing_file_a_folder_or_a_bad_claim_count(tmp_path: Path) -> None:
    one_line(run("check", str(tmp_path / "nope.html"), cwd=tmp_path), "nope.html", "no such file")
    one_line(run("check", str(tmp_path), cwd=tmp_path), "is a folder")
    for count in ("0", "-2", "26"):
        one_line(run("check", str(SAMPLE_HTML), "--max-claims", count, cwd=tmp_path), "--max-claims", count)
    shown = run("check", str(SAMPLE_HTML), "--json", "--max-claims", "1", cwd=tmp_path)
    assert shown.returncode == 0 and len(json.loads(shown.stdout)["claims"]) == 1


def test_reader_log_lines_do_not_come_before_a_check_error(tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_text("<html><body><nav>Home</nav></body></html>")
    result = run("check", str(page), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: could not check {page}: the page has no readable article text (it may need JavaScript, or be an "
        "index page)"]


def test_weekly_summary_to_a_channel_slack_will_not_post_in(slack, tmp_path: Path) -> None:
    env = bad_token_env(slack, tmp_path)
    one_line(run("weekly-summary", "--week", "2026-W47", "--channel", "C0UNKNOWN", env=env, cwd=tmp_path),
             "--channel C0UNKNOWN", "channel_not_found", "/invite")
    one_line(run("weekly-summary", "--week", "2026-W47", "--channel", "#desk", env=env, cwd=tmp_path),
             "--channel #desk", "channel ID")


def test_export_arguments(tmp_path: Path) -> None:
    env: dict[str, str | None] = {"DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}"}
    one_line(run("export", "--output", str(tmp_path / "missing" / "x.json"), env=env, cwd=tmp_path),
             "--output", "does not exist")
    one_line(run("export", "--output", str(tmp_path), env=env, cwd=tmp_path), "--output", "folder")
    one_line(run("export", "--since", "2999-01-01", env=env, cwd=tmp_path), "--since 2999-01-01")
    everything = run("export", "--since", "99999d", env=env, cwd=tmp_path)  # beyond ten years: all claims
    assert everything.returncode == 0 and json.loads(everything.stdout) == [], everything.stderr


def test_manifest_for_socket_mode_and_for_http(tmp_path: Path) -> None:
    socket = run("manifest", cwd=tmp_path)
    assert socket.returncode == 0
    assert "socket_mode_enabled: true" in socket.stdout and "url:" not in socket.stdout
    http = run("manifest", "--http", "https://factcheck.example.org/", cwd=tmp_path)
    assert http.returncode == 0
    assert "socket_mode_enabled: false" in http.stdout and "YOUR-APP" not in http.stdout
    urls = [line.split("url: ", 1)[1] for line in http.stdout.splitlines() if "url: " in line]
    assert urls == ["https://factcheck.example.org/slack/events"] * 4  # 2 commands, events, interactivity
    one_line(run("manifest", "--http", "http://plain.example", cwd=tmp_path), "--http", "https")


def test_env_file_and_default_database_do_not_depend_on_the_working_directory(tmp_path: Path) -> None:
    """Run from another folder (as cron does): a .env there is not read, and the default SQLite file is the
    one beside app.py, as .env.example says. FACTCHECK_ENV_FILE names another file."""
    from bot.config.settings import env_file, load_settings
    from tests.harness.cli import environment

    (tmp_path / ".env").write_text("NEWSROOM_NAME=Decoy Desk\nDATABASE_URL=sqlite:///elsewhere.db\n")
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        with environment({"FACTCHECK_ENV_FILE": None}):
            assert env_file() == ROOT / ".env"
            assert load_settings().newsroom_name != "Decoy Desk"
        with environment({}):
            assert load_settings().database_url == f"sqlite:///{ROOT / 'factcheck.db'}"
            assert load_settings(database_url="sqlite:///data/desk.db").database_url == \
                f"sqlite:///{ROOT / 'data' / 'desk.db'}"
            assert load_settings(database_url=f"sqlite:///{tmp_path}/a.db").database_url == f"sqlite:///{tmp_path}/a.db"
        with environment({"FACTCHECK_ENV_FILE": str(tmp_path / ".env")}):
            settings = load_settings()
            assert settings.newsroom_name == "Decoy Desk"
            assert settings.database_url == f"sqlite:///{ROOT / 'elsewhere.db'}"
    finally:
        os.chdir(previous)
