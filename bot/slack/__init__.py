"""Slack out: the gateway (the only Web API caller), message metadata, Block Kit limits and escaping.

It knows Slack, not the newsroom: the Block Kit views that render claims, cards and desk pages live
with the package whose data they show (publishing/views, desk/views, casework/views).
"""
