"""Configuration: the settings (the one place that reads the environment) and the values they describe.

The verdict scale (VERDICT_EMOJI) and the weekly schedule (SUMMARY_SCHEDULE) live here because reading
the settings checks them; everything else under bot/ may import this package, and it imports nothing
of bot/.
"""
