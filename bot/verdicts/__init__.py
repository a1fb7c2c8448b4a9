"""Verdicts: votes from reactions and buttons, who may vote, the rule, and the audit trail.

The verdict scale itself is configuration (bot.config.verdict_scale). Re-rendering claim messages is
publishing's job, and catching up on missed reactions is casework's (it reconciles takes too).
"""
