"""A view's template name is resolved once (core/template_lookup.py), as pyramid_jinja2 resolves it: beside
the view's package first, then in templates/; later renders ask for the resolved name alone, from the
environment of the request's language."""
import types

import pytest
from jinja2 import TemplateNotFound
from pyramid.interfaces import IRendererFactory

from portal.core.template_languages import LanguageEnvironments
from portal.core.template_lookup import ResolvedOnceRendererFactory


class FakeTemplate:
    def __init__(self, name, environment):
        self.name, self.environment = name, environment

    def render(self, values):
        return f"{self.environment.label} {self.name} {values.get('title', '')}"


class FakeEnvironment:
    auto_reload = False

    def __init__(self, present, label="shared"):
        self.present, self.label = present, label
        self.asked = []

    def get_template(self, name):
        self.asked.append(name)
        if name not in self.present:
            raise TemplateNotFound(name)
        return FakeTemplate(name, self)


class FakeEnvironments:
    """LanguageEnvironments' interface: one environment per language, the shared one otherwise."""

    def __init__(self, shared, by_language=None):
        self.shared, self.by_language = shared, by_language or {}

    def for_request(self, request):
        return self.by_language.get(getattr(request, "locale", None), self.shared)


def info(name, package="portal.notices.views"):
    return types.SimpleNamespace(name=name, package=types.ModuleType(package) if package else None)


def render(factory, name, request=None, **values):
    return factory(info(name))(values, {"request": request})


def test_a_template_of_templates_dir_is_looked_up_beside_the_package_once():
    environment = FakeEnvironment({"notices/detail.html"})
    factory = ResolvedOnceRendererFactory(FakeEnvironments(environment))
    # Pyramid makes a new renderer for each request (it clones the view's): the resolution outlives it.
    pages = [render(factory, "notices/detail.html", title="t") for _ in range(3)]
    assert pages == ["shared notices/detail.html t"] * 3
    assert environment.asked == ["portal.notices.views:notices/detail.html"] + ["notices/detail.html"] * 3


def test_a_template_beside_the_package_still_wins():
    environment = FakeEnvironment({"portal.notices.views:detail.html", "detail.html"})
    factory = ResolvedOnceRendererFactory(FakeEnvironments(environment))
    assert [render(factory, "detail.html") for _ in range(2)] == ["shared portal.notices.views:detail.html "] * 2
    assert environment.asked == ["portal.notices.views:detail.html"] * 2


def test_a_missing_template_is_still_an_error_every_time():
    factory = ResolvedOnceRendererFactory(FakeEnvironments(FakeEnvironment(set())))
    for _ in range(2):
        with pytest.raises(TemplateNotFound):
            render(factory, "nowhere.html")


def test_each_request_gets_its_languages_environment_and_one_resolution_serves_all():
    present = {"notices/detail.html"}
    shared, chinese = FakeEnvironment(present), FakeEnvironment(present, "zh_CN")
    factory = ResolvedOnceRendererFactory(FakeEnvironments(shared, {"zh_CN": chinese}))
    assert render(factory, "notices/detail.html", types.SimpleNamespace(locale="zh_CN")) == "zh_CN notices/detail.html "
    assert render(factory, "notices/detail.html", types.SimpleNamespace(locale="fr")) == "shared notices/detail.html "
    assert chinese.asked == ["portal.notices.views:notices/detail.html", "notices/detail.html"]
    assert shared.asked == ["notices/detail.html"]  # resolved once, for every language


def test_a_value_that_is_not_a_mapping_is_refused_as_pyramid_jinja2_refuses_it():
    factory = ResolvedOnceRendererFactory(FakeEnvironments(FakeEnvironment({"detail.html"})))
    with pytest.raises(ValueError, match="non-dictionary"):
        factory(info("detail.html"))(["not", "a", "mapping"], {})


def test_the_app_renders_through_it_with_an_environment_per_language(registry):
    factory = registry.queryUtility(IRendererFactory, name=".html")
    assert isinstance(factory, ResolvedOnceRendererFactory)
    assert isinstance(factory.environments, LanguageEnvironments)
    assert set(factory.environments.by_language) == {"zh_CN", "en", "ug"}
