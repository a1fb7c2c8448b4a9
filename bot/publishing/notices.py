"""Notices about a message as a whole (rather than one of its links)."""

from __future__ import annotations

from bot.infra.job_kinds import LLMBudgetSpent, TooManyLinks
from bot.infra.worker import JobContext
from bot.publishing.views import llm_budget_notice, too_many_links_notice
from bot.slack.gateway import SlackGateway


class Notices:
    def __init__(self, gateway: SlackGateway) -> None:
        self.gateway = gateway

    def too_many_links(self, context: JobContext[TooManyLinks]) -> None:
        """Say which links of a message were left out (posted once, found again if re-run)."""
        notice = context.payload
        message = too_many_links_notice(notice.channel, notice.thread_ts, notice.checked, notice.dropped,
                                        notice.too_long)
        self.gateway.post(notice.channel, message, thread_ts=notice.thread_ts, resume=context.attempts > 1)

    def llm_budget_spent(self, context: JobContext[LLMBudgetSpent]) -> None:
        """Tell the desk the month's LLM token budget is spent (queued once per month, posted once)."""
        spent = context.payload
        self.gateway.post(spent.channel, llm_budget_notice(spent.month, spent.budget, spent.spent),
                          resume=context.attempts > 1)
