"""Alembic environment: reads the application's own settings (the .ini plus environment)."""

import os

from alembic import context
from pyramid.paster import get_appsettings, setup_logging

from portal import tables  # noqa: F401  (every domain's tables, for autogenerate and the comparison)
from portal.core.db import get_engine
from portal.core.meta import Base
from portal.core.settings import apply_environment
from portal.notices.search_index import include_name

config = context.config


def _settings() -> dict:
    """The application's settings; revisions that need one (0014: the audit key) read them here."""
    if "settings" not in config.attributes:
        config.attributes["settings"] = apply_environment(get_appsettings(config.config_file_name), os.environ)
    return config.attributes["settings"]


def _engine():
    return get_engine(_settings())


def run_migrations_offline():
    settings = _settings()
    context.configure(
        url=settings["sqlalchemy.url"],
        target_metadata=Base.metadata,
        render_as_batch=True,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    # Tests hand in an open connection so they can migrate a database they control.
    connection = config.attributes.get("connection")
    if connection is not None:
        _settings()
        _run(connection)
        return
    if config.config_file_name and not config.attributes.get("skip_logging"):
        setup_logging(config.config_file_name)
    engine = _engine()
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection):
    # Batch mode lets SQLite alter tables (it has no ALTER COLUMN) with the same scripts.
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,  # the search index's FTS5 tables and GIN index are not models
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
