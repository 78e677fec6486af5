"""A view's template name is resolved once (core/template_lookup.py), as pyramid_jinja2 resolves it: beside
the view's package first, then in templates/; later renders ask for the resolved name alone."""
import types

import pytest
from jinja2 import TemplateNotFound
from pyramid.interfaces import IRendererFactory

from portal.core.template_lookup import ResolvedOnceRendererFactory


class FakeEnvironment:
    auto_reload = False

    def __init__(self, present):
        self.present = present
        self.asked = []

    def get_template(self, name):
        self.asked.append(name)
        if name not in self.present:
            raise TemplateNotFound(name)
        return f"template {name}"


def info(name, package="portal.notices.views"):
    return types.SimpleNamespace(name=name, package=types.ModuleType(package) if package else None)


def test_a_template_of_templates_dir_is_looked_up_beside_the_package_once():
    environment = FakeEnvironment({"notices/detail.html"})
    factory = ResolvedOnceRendererFactory(environment)
    # Pyramid makes a new renderer for each request (it clones the view's): the resolution outlives it.
    loaded = [factory(info("notices/detail.html")).template_loader() for _ in range(3)]
    assert loaded == ["template notices/detail.html"] * 3
    assert environment.asked == ["portal.notices.views:notices/detail.html"] + ["notices/detail.html"] * 3


def test_a_template_beside_the_package_still_wins():
    environment = FakeEnvironment({"portal.notices.views:detail.html", "detail.html"})
    renderer = ResolvedOnceRendererFactory(environment)(info("detail.html"))
    assert [renderer.template_loader() for _ in range(2)] == ["template portal.notices.views:detail.html"] * 2
    assert environment.asked == ["portal.notices.views:detail.html"] * 2


def test_a_missing_template_is_still_an_error_every_time():
    environment = FakeEnvironment(set())
    renderer = ResolvedOnceRendererFactory(environment)(info("nowhere.html"))
    for _ in range(2):
        with pytest.raises(TemplateNotFound):
            renderer.template_loader()


def test_the_app_renders_through_it(registry):
    assert isinstance(registry.queryUtility(IRendererFactory, name=".html"), ResolvedOnceRendererFactory)
