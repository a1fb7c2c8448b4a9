"""Verdicts: the verdict scale, votes from reactions and buttons, the rule, and keeping claim messages current."""
