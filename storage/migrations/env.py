"""Alembic environment: migrations run on the connection storage.db hands over (or DATABASE_URL)."""

from __future__ import annotations

from alembic import context

from storage.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")

if connection is None:
    from bot.config.settings import load_settings
    from storage.db import make_engine

    settings = load_settings()
    engine = make_engine(settings.database_url, settings.database_timeout_seconds)
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
