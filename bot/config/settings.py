"""The one place that reads configuration.

Everything the bot can be told comes from environment variables (or a `.env` file beside app.py, found
from any working directory; FACTCHECK_ENV_FILE names another file, or none when empty),
documented one by one in `.env.example`. Defaults make the embedded, offline setup work: a SQLite file,
the embedded claim extractor, no OpenAI key. Settings that only some modes need (Slack tokens) are
optional here and demanded by the mode that needs them through `Settings.require`, so that
`python app.py check` runs without any Slack credentials.
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from bot.config.verdict_scale import VerdictScale


# The project's root, where app.py, .env and the default SQLite file live, whatever the working directory.
ROOT = Path(__file__).resolve().parent.parent.parent
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def env_file() -> Path | None:
    """The .env file to read: FACTCHECK_ENV_FILE if set (empty: none), else .env beside app.py."""
    chosen = os.environ.get("FACTCHECK_ENV_FILE")
    if chosen is None:
        return ROOT / ".env"
    return Path(chosen).expanduser() if chosen.strip() else None


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming the variable."""


class StartupError(Exception):
    """The bot cannot start as built (not a setting's fault); the message is one line saying what is wrong."""


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.replace(";", ",").split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ROOT / ".env", env_file_encoding="utf-8", extra="ignore")

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_timeout: float = Field(default=15.0, gt=0, le=120)
    # Each Web API call in all (connecting, retries and their waits, reading the answer): a Slack that
    # trickles its answer or keeps answering 429 holds a worker or a request thread no longer than this.
    slack_call_deadline: float = Field(default=30.0, gt=0, le=300)
    port: int = Field(default=3000, ge=1, le=65535)
    http_threads: int = Field(default=16, ge=1, le=256)

    # Storage
    database_url: str = "sqlite:///factcheck.db"
    database_timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    # Behaviour
    factcheck_channel: str | None = None
    max_claims_per_article: int = Field(default=5, ge=1, le=25)
    max_links_per_message: int = Field(default=3, ge=1, le=20)
    worker_threads: int = Field(default=4, ge=1, le=64)
    # Processes `python app.py` starts to run the jobs and schedules (0: this process only serves Slack,
    # and `python app.py worker` runs elsewhere), and how much lower their CPU priority is (nice).
    worker_processes: int = Field(default=1, ge=0, le=32)
    worker_nice: int = Field(default=10, ge=0, le=19)
    verdict_emoji: str | None = None
    verdict_quorum: int = Field(default=1, ge=1, le=50)
    factcheckers: Annotated[list[str], NoDecode] = []
    reconcile_interval_minutes: int = Field(default=15, ge=1, le=1440)
    # reactions.get is Slack Tier 3 (about 50 calls a minute): reconciliation stays within this.
    reconcile_per_minute: int = Field(default=50, ge=1, le=10_000)
    # Finished jobs and Slack event ids are deleted after this many days.
    job_retention_days: int = Field(default=7, ge=1, le=3650)
    event_retention_days: int = Field(default=2, ge=1, le=3650)
    # Desk workflow: the reaction that means "I'm on it", and when an untouched claim gets a nudge.
    assign_emoji: str = "eyes"
    stale_after_days: int = Field(default=3, ge=1, le=365)

    # Weekly summary and exports
    summary_channel: str | None = None
    summary_schedule: str = "mon 09:00"
    summary_tz: str = "UTC"
    # The newsroom that publishes the fact-checks (ClaimReview `author`). EXPORT_ORGANIZATION_NAME / _URL
    # are the older names, still accepted.
    newsroom_name: str = Field(default="Fact-check desk", min_length=1,
                               validation_alias=AliasChoices("newsroom_name", "export_organization_name"))
    newsroom_url: str | None = Field(default=None,
                                     validation_alias=AliasChoices("newsroom_url", "export_organization_url"))

    # Claim extraction
    claim_extractor: Literal["auto", "embedded", "openai"] = "auto"
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    # Total seconds one request may take, answer fully read (not per read). Bounded so that two attempts
    # and a Retry-After wait stay inside a job's lease (bot.claims.llm.TOTAL_BUDGET_SECONDS).
    openai_timeout: float = Field(default=30.0, gt=0, le=90)
    # Azure OpenAI: the api-version (also read from an OPENAI_BASE_URL that carries ?api-version=...).
    openai_api_version: str | None = None
    # auto: o-series and gpt-5 models are reasoning models (no temperature, max_completion_tokens).
    openai_reasoning: Literal["auto", "yes", "no"] = "auto"
    # How the answer's shape is asked for: json_schema (strict structured output), json_object (JSON
    # mode), or plain (the schema in the prompt only). A 400 saying the mode is unsupported steps down.
    openai_json_mode: Literal["json_schema", "json_object", "plain"] = "json_schema"
    # The longest answer, in tokens (max_tokens, or max_completion_tokens for reasoning models).
    openai_max_output_tokens: int = Field(default=4000, ge=256, le=100_000)
    # The article text sent, in (estimated) tokens; a longer article is cut at a sentence and marked partial.
    openai_article_tokens: int = Field(default=8000, ge=500, le=200_000)
    # The server's context window, when known (Ollama: its num_ctx). 0: not checked.
    openai_context_tokens: int = Field(default=0, ge=0, le=2_000_000)
    # Also send Ollama's options.num_ctx = OPENAI_CONTEXT_TOKENS with each request.
    openai_send_num_ctx: bool = False
    # Tokens per calendar month (UTC) the LLM may use; past it the embedded extractor answers. 0: no limit.
    openai_monthly_token_budget: int = Field(default=0, ge=0)
    # `check` keeps LLM answers here per canonical URL, so checking the same article again costs nothing.
    # Empty: no cache.
    openai_cache_dir: str | None = ".llm-cache"
    openai_cache_days: float = Field(default=7.0, gt=0, le=365)

    # Seen before: claim matching and published fact-checks
    match_threshold: float = Field(default=0.37, ge=0.0, le=1.0)
    embeddings_model: str | None = None
    factcheck_tools_api_key: SecretStr | None = None
    factcheck_tools_url: str = "https://factchecktools.googleapis.com/v1alpha1"
    factcheck_tools_per_minute: int = Field(default=60, ge=1, le=6000)

    # Fetching
    fetch_allowed_private_hosts: Annotated[list[str], NoDecode] = []
    fetch_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    fetch_connect_timeout: float = Field(default=5.0, gt=0)
    fetch_total_timeout: float = Field(default=15.0, gt=0)
    fetch_max_redirects: int = Field(default=5, ge=0, le=20)

    log_level: str = "INFO"

    @field_validator("fetch_allowed_private_hosts", "factcheckers", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        # slack_sdk joins base_url and method name by plain concatenation.
        return value if value.endswith("/") else value + "/"

    @field_validator("factcheck_channel", "summary_channel", "openai_base_url", "newsroom_url",
                     "embeddings_model", "openai_api_version", "openai_cache_dir",
                     mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("factcheckers")
    @classmethod
    def _slack_ids(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not re.fullmatch(r"[UWS][A-Z0-9]{2,}", entry):
                raise ValueError(f"{entry!r} is not a Slack user id (U…/W…) or user group id (S…)")
        return value

    @field_validator("summary_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        from bot.config.schedule import Schedule

        Schedule.parse(value, "UTC")
        return value

    @field_validator("summary_tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name like Europe/Rome") from None
        return value

    @field_validator("factcheck_channel", "summary_channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[CG][A-Z0-9]{2,}", value.strip()):
            raise ValueError("must be a channel ID such as C0123ABCD (channel details > About, at the bottom)")
        return value.strip() if value else None

    @field_validator("newsroom_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/]+\S*", value.strip()):
            raise ValueError("must be an http(s) URL such as https://newsroom.example")
        return value.strip() if value else None

    @field_validator("assign_emoji", mode="before")
    @classmethod
    def _emoji_name(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().strip(":").lower()
            if not re.fullmatch(r"[a-z0-9_+\-']{1,80}", value):
                raise ValueError("must be an emoji name such as eyes (without colons)")
        return value

    @field_validator("verdict_emoji")
    @classmethod
    def _verdict_scale(cls, value: str | None) -> str | None:
        from bot.config.verdict_scale import VerdictScale, VerdictScaleError

        try:
            VerdictScale.parse(value)
        except VerdictScaleError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from storage.db import normalise_url

        url = normalise_url(value)
        # A relative SQLite path is beside app.py, not in whatever folder cron or a shell started in.
        prefix = "sqlite:///"
        path = url[len(prefix):].split("?", 1)[0] if url.startswith(prefix) else ""
        if path and path != ":memory:" and not path.startswith("/") and not Path(path).is_absolute():
            url = prefix + str(ROOT / path) + url[len(prefix) + len(path):]
        return url

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().upper()
            if value not in LOG_LEVELS:
                raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value


    @model_validator(mode="after")
    def _assign_emoji_is_not_a_verdict(self) -> Settings:
        # A reaction cannot both take a claim and vote on it: the desk would read it two ways.
        if self.verdict_scale.for_emoji(self.assign_emoji) is not None:
            raise ValueError(f"ASSIGN_EMOJI :{self.assign_emoji}: is also a verdict reaction in VERDICT_EMOJI; "
                             "pick another")
        return self

    @cached_property
    def verdict_scale(self) -> VerdictScale:
        """VERDICT_EMOJI parsed (already checked when the settings were read)."""
        from bot.config.verdict_scale import VerdictScale

        return VerdictScale.parse(self.verdict_emoji)

    @cached_property
    def extractor_kind(self) -> Literal["embedded", "openai"]:
        """Which extractor runs: forced by CLAIM_EXTRACTOR, else the LLM when a key is set."""
        if self.claim_extractor != "auto":
            return self.claim_extractor
        return "openai" if self.openai_api_key else "embedded"

    def require(self, *names: str) -> None:
        """Fail with a one-line error naming the first missing variable."""
        for name in names:
            value = getattr(self, name)
            if value is None or (isinstance(value, SecretStr) and not value.get_secret_value()):
                raise ConfigError(f"{name.upper()} is not set: add it to the environment or .env (see .env.example)")

    def secret(self, name: str) -> str:
        """The plain value of a secret setting; callers must never log it."""
        self.require(name)
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, turning validation errors into one-line ConfigErrors."""
    overrides.setdefault("_env_file", env_file())
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first.get("loc"):  # a rule across settings: its message names the variables itself
            raise ConfigError(message) from None
        raise ConfigError(f"{str(first['loc'][0]).upper()}: {message}") from None
