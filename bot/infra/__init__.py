"""Infrastructure under the newsroom logic: the durable job kinds and workers, the scheduler, logging.

It depends only on bot.config and storage/, so every package above it can queue jobs without knowing
who runs them; bot.runtime binds the kinds to their handlers.
"""
