"""Templates compiled per language (core/template_languages.py): each `_("literal")` is translated while
the template compiles, and the page is exactly what the run-time `_()` (core/template_gettext.py) makes."""
import types

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import DictLoader, Environment

from portal.core import template_gettext
from portal.core.template_languages import LanguageEnvironments, TranslatedLiterals

CATALOG = {"Hello": "Bonjour <b>", "%(n)s found": "%(n)s trouvés", "100%%": "cent %%", "Lone": "50 % off",
           "Needs": "il faut %(x)s", "Name": "Nom"}


class FakeLocalizer:
    def __init__(self, locale_name="xx", catalog=None):
        self.locale_name = locale_name
        self.catalog = CATALOG if catalog is None else catalog
        self.template_texts = {}
        self.calls = []

    def translate(self, message, domain=None, mapping=None):
        self.calls.append(message)
        return self.catalog.get(message, message)


def shared_environment(templates):
    env = Environment(autoescape=True, loader=DictLoader(templates), extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(lambda m: m, lambda s, p, n: s, newstyle=True)
    env.globals["portal_i18n_domain"] = "portal"
    env.globals["_"] = template_gettext.gettext
    return env


def language_environment(templates, localizer):
    registry = types.SimpleNamespace(queryUtility=lambda iface, name: localizer if name == "zh_CN" else None)
    environments = LanguageEnvironments(shared_environment(templates), registry)
    return environments, environments.by_language["zh_CN"]


def both_renders(source, localizer):
    """The page from the shared environment (run-time `_()`) and from the language's (compiled)."""
    environments, compiled = language_environment({"page.html": source}, localizer)
    request = types.SimpleNamespace(localizer=localizer)
    at_run_time = environments.shared.get_template("page.html").render(request=request)
    return at_run_time, compiled.get_template("page.html").render(request=request)


@pytest.mark.parametrize("source", [
    '{{ _("Hello") }}',
    '{{ _(\'Hello\') }} and {{ _("Name") }}',
    '{{ _("%(n)s found", n="<x>") }}',
    '{{ _("100%%") }}',
    '{{ _("Untranslated & <plain>") }}',
    '{% set label = _("Hello") %}{{ label ~ "<" }}',
    '{{ _("Hello").upper() }}|{{ _("Hello")|length }}|{{ [_("Name"), "<"]|join(",") }}',
    '{% macro m(label) %}<i>{{ label }}</i>{% endmacro %}{{ m(_("Hello")) }}',
    '{% if _("Name") == "Nom" %}yes{% endif %}',
    '{{ _("%(n)s found", n=(1 + 2) * 3) }}|{{ _("%(n)s found", n=[1, (2, 3)]|length,) }}',
    '{{ _("%(n)s found", n={"a": "<b>"}["a"]) }}|{{ _("%(n)s found", n="x" ~ _("Hello")) }}',
    '{{ _("%(n)s found", n=_("%(n)s found", n="<i>")) }}|{{ _("Hello", unused="<x>") }}',
    '{% set k = {"n": 5} %}{{ _("%(n)s found", n=k.n)|upper }}|{{ _("100%%", n=1) }}',
])
def test_the_same_page_as_the_run_time_gettext(source):
    at_run_time, compiled = both_renders(source, FakeLocalizer())
    assert compiled == at_run_time


def test_a_call_with_keywords_keeps_only_its_formatting_for_the_page():
    localizer = FakeLocalizer()
    _environments, compiled = language_environment({}, localizer)
    code = compiled.compile('{{ _("%(n)s found", n=count) }}', raw=True)
    assert "'%(n)s trouvés'" in code and "'_'" not in code
    page = compiled.from_string('{{ _("%(n)s found", n=count) }}')
    localizer.calls.clear()
    request = types.SimpleNamespace(localizer=localizer)
    assert page.render(request=request, count="<3>") == "&lt;3&gt; trouvés"  # the value escaped, as gettext's
    assert localizer.calls == []


def test_a_literal_is_translated_once_while_compiling_not_on_each_render():
    localizer = FakeLocalizer()
    _environments, compiled = language_environment({"page.html": '{{ _("Hello") }} {{ _("Name") }}'}, localizer)
    template = compiled.get_template("page.html")
    localizer.calls.clear()
    request = types.SimpleNamespace(localizer=localizer)
    assert [template.render(request=request) for _ in range(3)] == ["Bonjour <b> Nom"] * 3
    assert localizer.calls == []  # written into the compiled code
    code = compiled.compile('{{ _("Hello") }}', raw=True)
    assert "Bonjour <b>" in code and "'_'" not in code


@pytest.mark.parametrize("source", [
    '{{ _("%(n)s found", **values) }}',  # keywords of a mapping
    '{{ _("%(n)s found", *values) }}',
    '{{ _("%(n)s found", 3) }}',  # a positional argument: gettext's own refusal stays
    '{{ _("Needs") }}',  # the translation needs keywords: the run-time call raises as it always did
    '{{ _("Lone") }}',  # a stray "%" in the translation: likewise
    '{{ _(name) }}',  # a variable
    '{{ helper._("Hello") }}',  # somebody else's `_`
])
def test_what_only_the_run_time_call_can_say_is_left_to_it(source):
    localizer = FakeLocalizer()
    _environments, compiled = language_environment({}, localizer)
    assert "'_'" in compiled.compile(source, raw=True)


def test_each_language_has_its_own_compiled_templates():
    templates = {"page.html": '{% extends "base.html" %}{% block b %}{{ _("Name") }}{% endblock %}',
                 "base.html": '<p>{{ _("Hello") }}</p>{% block b %}{% endblock %}'}
    localizers = {"zh_CN": FakeLocalizer("zh_CN"), "en": FakeLocalizer("en", {})}
    registry = types.SimpleNamespace(queryUtility=lambda iface, name: localizers.get(name))
    environments = LanguageEnvironments(shared_environment(templates), registry)
    assert set(environments.by_language) == {"zh_CN", "en"}
    pages = {}
    for code, localizer in localizers.items():
        request = types.SimpleNamespace(localizer=localizer)
        pages[code] = environments.for_request(request).get_template("page.html").render(request=request)
    assert pages == {"zh_CN": "<p>Bonjour <b></p>Nom", "en": "<p>Hello</p>Name"}
    # A request in a language without an environment, or no request at all: the shared one.
    assert environments.for_request(types.SimpleNamespace(localizer=FakeLocalizer("fr"))) is environments.shared
    assert environments.for_request(None) is environments.shared
    assert environments.shared.extensions.keys().isdisjoint({TranslatedLiterals.identifier})


# Any message and any translation: quotes, backslashes, "%", markup, newlines, Jinja2's own delimiters.
texts = st.text(alphabet=st.sampled_from(list("ab %()s{}#<>&\"'\\\n-·维")), max_size=24)


def outcome(render):
    try:
        return render()
    except (KeyError, ValueError, TypeError) as exc:  # a translation that cannot format without keywords
        return type(exc)


@given(message=texts, translation=texts, value=texts)
def test_any_message_gives_the_same_page_both_ways(message, translation, value):
    literal = repr(message)
    source = ("{{ _(" + literal + ") }}|{% set t = _(" + literal + ") %}{{ t }}|{{ _(" + literal + ", s=value) }}"
              "|{{ _(" + literal + ", s=value, x=(value, 1)) }}")
    localizer = FakeLocalizer(catalog={message: translation})
    environments, compiled = language_environment({"page.html": source}, localizer)
    request = types.SimpleNamespace(localizer=localizer)
    at_run_time = outcome(lambda: environments.shared.get_template("page.html").render(request=request, value=value))
    assert outcome(lambda: compiled.get_template("page.html").render(request=request, value=value)) == at_run_time
