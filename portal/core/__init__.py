"""The small shared core every domain builds on: database, settings, languages, sessions and CSRF,
response headers, error pages, forms, pagination, health checks. Nothing here imports a domain."""


def includeme(config):
    config.include("pyramid_jinja2")
    config.add_jinja2_renderer(".html")
    config.include(".i18n")
    config.include(".template_gettext")
    config.include(".chrome")
    config.include(".template_lookup")
    config.include(".request_class")
    config.include(".db")
    config.include(".security")
    config.include(".forms")
    config.include(".headers")
    config.include(".caching")
    config.include(".methods")
    config.include(".resources")
    config.include(".links")
    config.include(".route_paths")
    config.include(".static")
    config.include(".webapp")
    config.add_route("healthz", "/healthz")
    config.add_route("readyz", "/readyz")
    config.add_route("readyz_web", "/readyz/web")
    config.scan(".errors")
    config.scan(".health")
