"""Fact-check desk: a Slack bot that turns pasted article links into claim verification threads.

    python app.py                 serve Slack (Socket Mode if SLACK_APP_TOKEN is set, else HTTP on $PORT),
                                  with WORKER_PROCESSES job-worker processes
    python app.py worker          run the jobs and schedules only (no HTTP, no Socket Mode)
    python app.py check SOURCE    read a URL or HTML file and print the summary and claims (no Slack)
    python app.py migrate         bring the database schema up to date
    python app.py manifest [--http https://HOST]   print the Slack app manifest (Socket Mode, or HTTP)
    python app.py weekly-summary [--week YYYY-Www] [--channel C] [--dry-run]
    python app.py llm-usage [--week YYYY-Www]   language-model tokens and requests: the week, the month
    python app.py export --format claimreview|csv [--since 30d|2026-11-01] [--output FILE]
                         [--include-drafts] [--include-private]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

from bot.articles.fetch import FetchError, FetchPolicy
from bot.config.settings import ConfigError, Settings, StartupError, load_settings
from bot.infra.logs import configure_logging

if TYPE_CHECKING:
    from bot.claims import ExtractedClaim
    from bot.runtime.worker_processes import WorkerProcesses

log = logging.getLogger("factcheck")


class _Shutdown(Exception):
    pass


class UsageError(ConfigError):
    """A command-line argument cannot be used; the message is one line naming the option."""


def _secrets(settings: Settings) -> list[str]:
    values = (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token,
              settings.openai_api_key, settings.factcheck_tools_api_key)
    return [v.get_secret_value() for v in values if v is not None]


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    from bot.claims import build_extractor
    from bot.claims.check_source import check_source
    from bot.intake.links import canonicalize

    max_claims = settings.max_claims_per_article if args.max_claims is None else args.max_claims
    if not 1 <= max_claims <= 25:
        raise UsageError(f"--max-claims: {max_claims} is not a number of claims from 1 to 25")
    if "://" not in args.source:
        from pathlib import Path

        path = Path(args.source).expanduser()
        if path.is_dir():
            raise UsageError(f"{args.source} is a folder: give a saved HTML page (a file) or an http(s) URL")
        if not path.is_file():
            raise UsageError(f"{args.source}: no such file; give a saved HTML page or an http(s) URL")
    try:
        extractor = build_extractor(settings, cache=True, canonical=canonicalize)
        article, extraction = check_source(args.source, extractor, FetchPolicy.from_settings(settings), max_claims)
    except FetchError as error:
        print(f"error: could not check {args.source}: {error.message}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({
            "url": article.url, "title": article.title, "site": article.site, "author": article.author,
            "published": article.published, "modified": article.modified, "language": article.language,
            "reading": article.reading, "partial": extraction.partial or article.partial,
            "summary": extraction.summary, "summary_source": extraction.summary_source,
            "extractor": extraction.extractor, "note": extraction.note, "usage": extraction.usage.as_dict(),
            "candidates": extraction.candidates,
            "page_kind": extraction.page_kind, "page_note": extraction.page_note,
            "claims": [_claim_json(c) for c in extraction.claims],
            "more": [_claim_json(c) for c in extraction.more],
            "text": article.text,
        }, indent=2, ensure_ascii=False))
        return 0
    facts = " · ".join(p for p in (article.site, article.published, article.author) if p)
    print(article.title or article.url)
    if facts:
        print(facts)
    if extraction.partial or article.partial:
        print("(the article is long: only its first part was read)")
    if extraction.note:
        print(f"({extraction.note})")
    source = f" [{extraction.summary_source}]" if extraction.summary_source else ""
    print(f"\nSummary{source}: {extraction.summary}\n")
    if extraction.page_note:
        print(extraction.page_note)
    elif not extraction.claims:
        print("No check-worthy claims found.")
    for number, claim in enumerate(extraction.claims, start=1):
        print(f"{number}. {claim.text}")
        if claim.quote != claim.text:
            print(f"   quote: \"{claim.quote}\"")
        if claim.context:
            print(f"   context: \"{claim.context}\"")
        print(f"   score: {claim.score:.2f}" + (f"  speaker: {claim.speaker}" if claim.speaker else ""))
    shown = len(extraction.claims)
    print(f"\n({shown} of {max(extraction.candidates, shown)} candidates shown, {extraction.extractor} extractor)")
    usage = extraction.usage
    if usage.requests or usage.cached:
        print("(language model: " + ("answer from the cache, no tokens spent)" if usage.cached else
              f"{usage.prompt_tokens:,} prompt + {usage.completion_tokens:,} answer tokens, "
              f"{usage.requests} request{'s' if usage.requests != 1 else ''})"))
    return 0


def _claim_json(claim: ExtractedClaim) -> dict[str, object]:
    return {"claim": claim.text, "quote": claim.quote, "speaker": claim.speaker, "context": claim.context,
            "score": claim.score}


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.runtime.composition import open_database

    open_database(settings).dispose()
    print("database is up to date")
    return 0


def _blocks_as_text(blocks: list[dict]) -> str:
    lines = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            lines.append(block["text"].get("text", ""))
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("text"):
                lines.append(element["text"])
    return "\n".join(lines)


def cmd_weekly_summary(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bot.config.schedule import Schedule
    from bot.desk.views import weekly_summary
    from bot.desk.weekly_report import build_report, due_week, week_bounds
    from bot.runtime.composition import open_database

    schedule = Schedule.parse(settings.summary_schedule, settings.summary_tz)
    week = args.week or due_week(schedule, datetime.now(UTC))[0]
    try:
        week_bounds(week, schedule.tz)
    except ValueError as error:
        raise UsageError(f"--week: {error}") from None
    if args.dry_run:
        db = open_database(settings)
        with db.session() as session:
            message = weekly_summary(build_report(session, week, settings.summary_tz), settings.verdict_scale,
                                     datetime.now(UTC), args.channel or settings.summary_channel or "")
        db.dispose()
        print(_blocks_as_text(message.blocks))
        return 0
    channel = args.channel or settings.summary_channel
    if not channel:
        raise ConfigError("no channel to post to: pass --channel C0123ABCD or set SUMMARY_CHANNEL")
    if not re.fullmatch(r"[CG][A-Z0-9]{2,}", channel):
        raise UsageError(f"--channel {channel}: give a channel ID such as C0123ABCD "
                          "(channel details > About, at the bottom), not a name")
    from bot.runtime.composition import build_services
    from bot.runtime.startup import check_slack
    from bot.slack.gateway import SlackRefused

    check_slack(settings, socket_mode=False)
    services = build_services(settings)
    try:
        ts = services.weekly.post_weekly(week, channel)
    except SlackRefused as refused:
        raise UsageError(f"--channel {channel}: Slack would not post there ({refused.code}); give a channel "
                          "the bot is a member of (/invite @factcheck in it)") from None
    finally:
        services.db.dispose()
    print(f"weekly summary {week} is in {channel} (message {ts})")
    return 0


def cmd_llm_usage(settings: Settings, args: argparse.Namespace) -> int:
    """Language-model spend as recorded per article: one ISO week, and the month so far against the budget."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.desk.weekly_report import iso_week, week_bounds
    from bot.publishing.llm_spend import month_bounds, spend_between
    from bot.runtime.composition import open_database

    zone = ZoneInfo(settings.summary_tz)
    now = datetime.now(UTC)
    week = args.week or iso_week(now.astimezone(zone).date())
    try:
        start, end = week_bounds(week, zone)
    except ValueError as error:
        raise UsageError(f"--week: {error}") from None
    month_start, month_end, month = month_bounds(now)
    db = open_database(settings)
    with db.session() as session:
        weekly = spend_between(session, start, end)
        monthly = spend_between(session, month_start, month_end)
    db.dispose()
    budget = settings.openai_monthly_token_budget
    report = {
        "week": week, "articles": weekly.articles, "requests": weekly.requests, "prompt_tokens": weekly.prompt_tokens,
        "completion_tokens": weekly.completion_tokens, "total_tokens": weekly.total_tokens,
        "tokens_per_article": round(weekly.total_tokens / weekly.articles) if weekly.articles else 0,
        "month": month, "month_tokens": monthly.total_tokens, "monthly_budget": budget or None,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{week}: {weekly.articles} articles, {weekly.requests} requests, {weekly.prompt_tokens:,} prompt + "
          f"{weekly.completion_tokens:,} answer tokens = {weekly.total_tokens:,} "
          f"({report['tokens_per_article']:,} per article)")
    limit = f" of the {budget:,}-token budget" if budget else " (no monthly budget set)"
    print(f"{month} so far: {monthly.total_tokens:,} tokens{limit}")
    return 0


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bot.desk.exports import claimreview, claimreview_json, claims_csv, exportable_channels
    from bot.desk.query import QueryError
    from bot.desk.query import parse as parse_query
    from bot.runtime.composition import open_database

    since = None
    age = re.fullmatch(r"(\d+)([hdw])", args.since or "")
    if age and int(age.group(1)) * {"h": 1, "d": 24, "w": 168}[age.group(2)] > 3660 * 24:
        pass  # further back than ten years: every claim the desk has, as asked
    elif args.since:
        try:
            since = parse_query(f"since:{args.since}", datetime.now(UTC)).since
        except QueryError:
            raise UsageError(f"--since {args.since}: give a date (2026-11-01) or an age (30d, 2w, 24h), "
                              "not in the future") from None
    if args.output:
        from pathlib import Path

        folder = Path(args.output).expanduser().resolve().parent
        if Path(args.output).is_dir() or not folder.is_dir():
            raise UsageError(f"--output {args.output}: " + ("that is a folder; name a file in it"
                              if Path(args.output).is_dir() else f"the folder {folder} does not exist"))
    db = open_database(settings)
    scale = settings.verdict_scale
    from bot.desk.channels import ChannelDirectory
    from bot.desk.listing import claim_channels

    gateway = None
    if settings.slack_bot_token and not args.include_private:
        from bot.slack.gateway import SlackGateway

        gateway = SlackGateway(settings.secret("slack_bot_token"), settings.slack_api_url, settings.slack_timeout,
                               settings.slack_call_deadline)
    directory = ChannelDirectory(db, gateway)  # recorded privacy; Slack only for channels never recorded
    with db.session() as session:
        all_channels = claim_channels(session)
    channels, private, unknown = exportable_channels(
        all_channels, lambda channel: directory.recorded(channel) or directory.learn(channel), args.include_private)
    with db.session() as session:
        if args.format == "csv":
            output = claims_csv(session, scale, since, channels=channels, organization=settings.newsroom_name,
                                organization_url=settings.newsroom_url)
        else:
            output = claimreview_json(claimreview(session, scale, settings.newsroom_name, settings.newsroom_url,
                                                  since, channels=channels, include_drafts=args.include_drafts))
    db.dispose()
    if private:
        print(f"left out the claims of {len(private)} private channel(s); "
              "pass --include-private to export them too", file=sys.stderr)
    if unknown:
        why = ("SLACK_BOT_TOKEN is not set" if gateway is None else "Slack did not say (see the log)")
        print(f"left out the claims of {len(unknown)} channel(s) whose privacy the bot has not recorded and "
              f"{why}; pass --include-private to export them too", file=sys.stderr)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8", newline="") as handle:
                handle.write(output)
        except OSError as error:
            raise UsageError(f"--output {args.output}: cannot write it ({error.strerror or error})") from None
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
    return 0


def _worker_processes(settings: Settings) -> WorkerProcesses | None:
    """The job-worker children of the web process (none with WORKER_PROCESSES=0)."""
    if settings.worker_processes == 0:
        log.info("WORKER_PROCESSES=0: this process only acknowledges Slack and records the work; "
                 "`python app.py worker` processes run it")
        return None
    from pathlib import Path

    from bot.runtime.worker_processes import WorkerProcesses

    app_path = Path(__file__).resolve()
    return WorkerProcesses(settings.worker_processes, [sys.executable, str(app_path), "worker"], cwd=app_path.parent)


def _port_taken(port: int, error: OSError) -> ConfigError:
    return ConfigError(f"PORT: cannot listen on port {port} ({error.strerror or error}); "
                       "stop what uses it or set another PORT")


def _port_free(port: int) -> None:
    """ConfigError (one line) when $PORT is taken, checked before the database is touched."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress binds it
        try:
            probe.bind(("0.0.0.0", port))
        except OSError as error:
            raise _port_taken(port, error) from None


def _listen(application: Any, port: int, threads: int) -> Any:
    """A waitress server bound to $PORT, or a one-line ConfigError when the port cannot be had."""
    from waitress.server import create_server

    try:
        return create_server(application, host="0.0.0.0", port=port, threads=threads, connection_limit=1000)
    except OSError as error:
        raise _port_taken(port, error) from None


def cmd_serve(settings: Settings, _args: argparse.Namespace) -> int:
    settings.require("slack_bot_token", "slack_signing_secret")
    from bot.runtime.composition import build_services
    from bot.runtime.startup import check_slack
    from handlers import create_app

    socket_mode = settings.slack_app_token is not None and bool(settings.slack_app_token.get_secret_value())
    _port_free(settings.port)  # these checks come before the database is touched: nothing half done
    check_slack(settings, socket_mode=socket_mode)
    services = build_services(settings)
    app = create_app(services)
    workers = None
    if services.signal is None:  # an in-memory database: no other process can see its jobs
        log.warning("DATABASE_URL is an in-memory database: the job workers run in this process")
        services.start()
    else:
        services.start_web()
        workers = _worker_processes(settings)

    import threading

    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        # The flag as well as the exception: a SIGTERM that lands inside slack_sdk's connection code is
        # caught and logged there, and must still stop the process.
        stopping.set()
        raise _Shutdown(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    from handlers.http import health_app, wsgi_app
    from handlers.quiet import quiet_events

    try:
        if workers is not None:
            workers.start()
        if socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            health = _listen(health_app(services.db.check), settings.port, threads=2)
            threading.Thread(target=health.run, name="healthz", daemon=True).start()
            log.info("connecting to Slack in Socket Mode; /healthz on http://0.0.0.0:%d", settings.port)
            socket = SocketModeHandler(app, settings.secret("slack_app_token"))
            try:
                socket.connect()
                while not stopping.wait(1.0):
                    pass
            finally:
                socket.close()
        else:
            application = wsgi_app(app, settings.secret("slack_signing_secret"), health=services.db.check,
                                   quiet=quiet_events(services))
            server = _listen(application, settings.port, threads=settings.http_threads)
            log.info("serving the Events API on http://0.0.0.0:%d/slack/events", settings.port)
            server.run()
    except (_Shutdown, KeyboardInterrupt) as reason:
        log.info("shutting down (%s): finishing jobs in flight", reason or "interrupt")
    finally:
        if workers is not None:
            workers.signal_stop()
        services.stop(timeout=25)
        if workers is not None:
            workers.stop(timeout=25)
    return 0


def cmd_worker(settings: Settings, _args: argparse.Namespace) -> int:
    """Run the durable job workers and the schedules, without serving Slack (a Procfile `worker`)."""
    import threading

    from bot.runtime.composition import build_services
    from bot.runtime.startup import check_slack
    from bot.runtime.worker_processes import exit_with_parent, lower_priority

    stopping = threading.Event()
    reason: list[str] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        reason.append(signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    exit_with_parent(lambda: os.kill(os.getpid(), signal.SIGTERM))
    lower_priority(settings.worker_nice)
    check_slack(settings, socket_mode=False)  # a refused token: one line, before the database is touched
    services = build_services(settings)
    try:
        services.start()
        log.info("job worker running (%d threads, pid %d)", settings.worker_threads, os.getpid())
        while not stopping.wait(1.0):
            pass
        log.info("job worker shutting down (%s): finishing jobs in flight", reason[0] if reason else "stop")
    finally:
        services.stop(timeout=25)
    return 0


def cmd_manifest(_settings: Settings | None, args: argparse.Namespace) -> int:
    from handlers.manifest import ManifestError, manifest

    try:
        sys.stdout.write(manifest(args.http))
    except ManifestError as error:
        raise UsageError(str(error)) from None
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve Slack (the default)")
    commands.add_parser("worker", help="run the job workers and schedules only (no HTTP)")
    check = commands.add_parser("check", help="read a URL or an HTML file and print its summary and claims")
    check.add_argument("source", help="an http(s) URL or the path of a saved HTML page")
    check.add_argument("--json", action="store_true", help="print JSON instead of text")
    check.add_argument("--max-claims", type=int, default=None, help="override MAX_CLAIMS_PER_ARTICLE (1-25)")
    commands.add_parser("migrate", help="bring the database schema up to date")
    weekly = commands.add_parser("weekly-summary", help="post (or print) a weekly verdict summary, for cron")
    weekly.add_argument("--week", help="ISO week like 2026-W47 (default: the week most recently due)")
    weekly.add_argument("--channel", help="channel ID (default: SUMMARY_CHANNEL)")
    weekly.add_argument("--dry-run", action="store_true", help="print the summary instead of posting it")
    usage = commands.add_parser("llm-usage", help="language-model tokens and requests for a week and this month")
    usage.add_argument("--week", help="ISO week like 2026-W47 (default: this week)")
    usage.add_argument("--json", action="store_true", help="print JSON instead of text")
    export = commands.add_parser("export", help="export claims: ClaimReview JSON-LD or CSV")
    export.add_argument("--format", choices=("claimreview", "csv"), default="claimreview")
    export.add_argument("--since",
                        help="only claims since a date (2026-11-01) or an age (30d, 2w; beyond ten years: all)")
    export.add_argument("--output", help="write to this file instead of standard output")
    export.add_argument("--include-drafts", action="store_true",
                        help="ClaimReview: also resolved claims with no published URL, marked as drafts (no url)")
    export.add_argument("--include-private", action="store_true",
                        help="also claims whose threads are in private channels (left out by default)")
    manifest = commands.add_parser("manifest", help="print the Slack app manifest (Socket Mode, or HTTP with --http)")
    manifest.add_argument("--http", metavar="https://HOST", help="the bot's public address: print the manifest for "
                          "HTTP with every request URL set to HOST/slack/events")
    args = parser.parse_args(argv)
    try:
        if args.command == "manifest":  # needs no settings: works before .env is written
            return cmd_manifest(None, args)
        settings = load_settings()
        # A one-shot command prints its result; its log shows only warnings unless LOG_LEVEL asks for more.
        quiet = args.command not in (None, "serve") and "log_level" not in settings.model_fields_set
        configure_logging("WARNING" if quiet else settings.log_level, _secrets(settings))
        handler = {"check": cmd_check, "migrate": cmd_migrate, "weekly-summary": cmd_weekly_summary,
                   "export": cmd_export, "llm-usage": cmd_llm_usage,
                   "worker": cmd_worker}.get(args.command or "serve", cmd_serve)
        return handler(settings, args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    except StartupError as error:
        print(f"start-up error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        # storage.db (SQLAlchemy, Alembic) is imported only by the commands that use the database, so
        # `check` starts fast; its one-line "DATABASE_URL: ..." error is recognised here the same way.
        database = sys.modules.get("storage.db")
        if database is None or not isinstance(error, database.DatabaseUnavailable):
            raise
        print(f"database error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
