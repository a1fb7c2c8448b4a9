"""The command line as a newcomer meets it: `python app.py check ...` and one-line configuration errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_HTML
from tests.harness.article_server import ArticleServer

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "OPENAI_", "DATABASE_", "CLAIM_", "FETCH_", "PORT"))}
    base.update(env or {})
    return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], capture_output=True, text=True,
                          env=base, cwd=cwd or ROOT, timeout=120)


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "SLACK_BOT_TOKEN is not set"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "eighty"}, "PORT"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "FACTCHECK_CHANNEL": "#factcheck"},
     "FACTCHECK_CHANNEL"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "VERDICT_EMOJI": "x=false,x=true"},
     "VERDICT_EMOJI"),
])
def test_missing_or_bad_settings_give_one_line_naming_the_variable(env: dict[str, str], expected: str,
                                                                    tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **env}
    result = run(env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0] and "Traceback" not in result.stderr


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
    serving HTTP; SIGTERM still stops it cleanly."""
    import signal
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_", "DATABASE_"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret", "SLACK_APP_TOKEN": "xapp-1-test",
                "SLACK_API_URL": slack.api_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        opened = slack.wait_for_calls("apps.connections.open", 1, timeout=30)
        assert opened[0].headers.get("Authorization") == "Bearer xapp-1-test"
        time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert "Socket Mode" in output
    assert "xapp-1-test" not in output and "xoxb-test" not in output


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
