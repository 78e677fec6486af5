"""Safety Portal: a Pyramid application for a police service's public portal.

The shared core (portal/core) and the shared domains below the product domains come first; each
domain's includeme registers its own routes, services, views and jobs (README: "Where things are")."""
import os

from pyramid.config import Configurator

from portal import tables  # noqa: F401  (every table, so relationships across domains resolve)
from portal.core import utf8
from portal.core.settings import apply_environment, check_settings

# Order matters: templates and i18n before views; database before security (identity loads the
# officer); shared domains before the product domains that use them; within the product domains,
# the order of their routes (a route registered earlier wins on an overlapping path).
INCLUDES = (
    "portal.core",
    "portal.audit",
    "portal.units",
    "portal.accounts",
    "portal.geo",
    "portal.privacy",
    "portal.abuse",
    "portal.media",
    "portal.outbox",
    "portal.phones",
    "portal.notices",
    "portal.sightings",
    "portal.missing",
    "portal.status",
    "portal.tips",
    "portal.alarms",
    "portal.trips",
    "portal.calls",
    "portal.evidence",
    "portal.staff",
)


def main(global_config, **settings):
    """Build the WSGI application; ``paste.app_factory`` entry point."""
    settings = apply_environment(settings, os.environ)
    check_settings(settings)
    with Configurator(settings=settings, root_factory="portal.core.resources.PublicRoot") as config:
        for name in INCLUDES:
            config.include(name)
    # Outermost: URLs and form bodies are valid UTF-8 before Pyramid reads them.
    return utf8.wrap(config.make_wsgi_app())
