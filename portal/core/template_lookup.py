"""Views name their templates from templates/ ("notices/detail.html"). pyramid_jinja2 looks each name up
first beside the view's package ("portal.notices.views:notices/detail.html") on every render: a file
that is never there, an exception, then the name alone; about 3 % of a notice page's CPU. Here each
template name (and view package) is resolved once per process, the way pyramid_jinja2 does, then asked
for directly, from the environment of the request's language (core/template_languages.py: templates
compiled with their `_("...")` translated). With `pyramid.reload_templates` (development) pyramid_jinja2's
own lookup and the one shared environment stay, so a file added beside a package is found at once."""
from jinja2 import TemplateNotFound
from pyramid.events import ApplicationCreated
from pyramid.interfaces import IRendererFactory
from pyramid_jinja2 import Jinja2RendererFactory

from .template_languages import LanguageEnvironments

EXTENSION = ".html"


class ResolvedOnceRendererFactory(Jinja2RendererFactory):
    def __init__(self, environments: LanguageEnvironments):
        self.environment = environments.shared
        self.environments = environments
        # (template name, view package) -> the name that answered, the same in every language's
        # environment (they share one loader). Pyramid makes a renderer per request (it clones the
        # view's), so this is kept here. The names come from the code, never a request.
        self.resolved = {}

    def __call__(self, info):
        name, package = info.name, info.package
        key = (name, getattr(package, "__name__", None))
        candidates = [name] if ":" in name or key[1] is None else [f"{key[1]}:{name}", name]
        return LanguageTemplateRenderer(self, key, candidates)

    def template(self, environment, key, candidates):
        known = self.resolved.get(key)
        if known is not None:
            return environment.get_template(known)
        for candidate in candidates[:-1]:
            try:
                template = environment.get_template(candidate)
            except TemplateNotFound:
                continue
            self.resolved[key] = candidate
            return template
        template = environment.get_template(candidates[-1])
        self.resolved[key] = candidates[-1]
        return template


class LanguageTemplateRenderer:
    """pyramid_jinja2's Jinja2TemplateRenderer, with the template from the request's language's environment."""

    def __init__(self, factory: ResolvedOnceRendererFactory, key, candidates):
        self.factory, self.key, self.candidates = factory, key, candidates

    def __call__(self, value, system):
        try:
            system.update(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"renderer was passed non-dictionary as value: {exc}") from exc
        environment = self.factory.environments.for_request(system.get("request"))
        return self.factory.template(environment, self.key, self.candidates).render(system)


def install(event):
    """Once the renderers exist: views' renderers (made at their first render) come from the factory above."""
    registry = event.app.registry
    factory = registry.queryUtility(IRendererFactory, name=EXTENSION)
    if isinstance(factory, Jinja2RendererFactory) and not factory.environment.auto_reload:
        environments = LanguageEnvironments(factory.environment, registry)
        registry.registerUtility(ResolvedOnceRendererFactory(environments), IRendererFactory, name=EXTENSION)


def includeme(config):
    config.add_subscriber(install, ApplicationCreated)
