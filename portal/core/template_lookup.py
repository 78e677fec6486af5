"""Views name their templates from templates/ ("notices/detail.html"). pyramid_jinja2 looks each name up
first beside the view's package ("portal.notices.views:notices/detail.html") on every render: a file
that is never there, an exception, then the name alone; about 3 % of a notice page's CPU. Here each
view's template name is resolved once, the way pyramid_jinja2 does, then asked for directly. With
`pyramid.reload_templates` (development) pyramid_jinja2's own lookup stays, so a file added beside a
package is found at once."""
from jinja2 import TemplateNotFound
from pyramid.events import ApplicationCreated
from pyramid.interfaces import IRendererFactory
from pyramid_jinja2 import Jinja2RendererFactory, Jinja2TemplateRenderer

EXTENSION = ".html"


class ResolvedOnceRendererFactory(Jinja2RendererFactory):
    def __init__(self, environment):
        self.environment = environment

    def __call__(self, info):
        name, package, environment = info.name, info.package, self.environment
        candidates = [name] if ":" in name or package is None else [f"{package.__name__}:{name}", name]
        resolved = []

        def template_loader():
            if resolved:
                return environment.get_template(resolved[0])
            for candidate in candidates[:-1]:
                try:
                    template = environment.get_template(candidate)
                except TemplateNotFound:
                    continue
                resolved.append(candidate)
                return template
            template = environment.get_template(candidates[-1])
            resolved.append(candidates[-1])
            return template

        return Jinja2TemplateRenderer(template_loader)


def install(event):
    """Once the renderers exist: views' renderers (made at their first render) come from the factory above."""
    registry = event.app.registry
    factory = registry.queryUtility(IRendererFactory, name=EXTENSION)
    if isinstance(factory, Jinja2RendererFactory) and not factory.environment.auto_reload:
        registry.registerUtility(ResolvedOnceRendererFactory(factory.environment), IRendererFactory, name=EXTENSION)


def includeme(config):
    config.add_subscriber(install, ApplicationCreated)
