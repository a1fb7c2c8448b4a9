"""Slack out: the gateway (the only Web API caller), message metadata, and the Block Kit views."""
