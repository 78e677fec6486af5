"""Shared start-up for console scripts: load the app's settings and a database session."""
import contextlib
import os

import transaction
from pyramid.paster import get_appsettings, setup_logging

from portal.core.db import get_engine, get_session_factory, get_tm_session
from portal.core.settings import apply_environment, check_production_secrets


def load_settings(config_uri: str) -> dict:
    """The settings a script runs with; in production, weak secrets stop it as they stop the app."""
    setup_logging(config_uri)
    settings = apply_environment(get_appsettings(config_uri), os.environ)
    check_production_secrets(settings)
    return settings


@contextlib.contextmanager
def db_session(settings):
    """A session whose work commits when the block ends without error."""
    engine = get_engine(settings)
    factory = get_session_factory(engine, settings)
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    try:
        yield get_tm_session(factory, tm)
        tm.commit()
    except BaseException:
        tm.abort()
        raise
    finally:
        engine.dispose()
