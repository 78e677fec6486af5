"""Safety Portal: a Pyramid application for a police service's public portal."""
import os

from pyramid.config import Configurator

from .services import pagecache
from .settings import apply_environment, check_settings


def main(global_config, **settings):
    """Build the WSGI application; ``paste.app_factory`` entry point."""
    settings = apply_environment(settings, os.environ)
    check_settings(settings)
    with Configurator(settings=settings, root_factory="portal.routes.PublicRoot") as config:
        # Order matters: templates and i18n before views; database before security (identity
        # loads the officer); services before the views that call them.
        config.include("pyramid_jinja2")
        config.add_jinja2_renderer(".html")
        config.include(".i18n")
        config.include(".models")
        config.include(".services")
        config.include(".workflow")
        config.include(".security")
        config.include(".schemas")
        config.include(".views.subscribers")
        config.include(".routes")
        config.scan(".views")
    return pagecache.wrap(config.make_wsgi_app())
