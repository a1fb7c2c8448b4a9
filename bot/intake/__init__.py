"""Intake: which Slack messages carry article links, and recording them durably before Slack is acknowledged."""
