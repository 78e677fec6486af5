"""State machines. Importing a workflow module checks its declaration, so a broken one stops the
application at start-up rather than at the first request that uses it."""


def includeme(config):
    from . import alarms, missing, notices, sightings, tips, trips  # noqa: F401
