"""Templates' fast `_()` (core/template_gettext.py) gives exactly what Jinja2's newstyle gettext
through pyramid_jinja2 gave: the same translation, the same Markup, the same escaping of keywords."""
import pytest
from jinja2 import Environment

from portal.core import template_gettext


class FakeLocalizer:
    locale_name = "xx"

    def __init__(self):
        self.calls = 0

    def translate(self, message, domain=None, mapping=None):
        self.calls += 1
        return {"Hello": "Bonjour <b>", "%(n)s found": "%(n)s trouvés", "100%%": "cent %%"}.get(message, message)


class FakeRequest:
    def __init__(self):
        self.localizer = FakeLocalizer()


def environment(fast: bool, memo: bool = False) -> Environment:
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    request = FakeRequest()
    if memo:  # as core/i18n.NestedLocalizer: the texts without keywords kept per language
        request.localizer.template_texts = {}
    env.install_gettext_callables(lambda m: request.localizer.translate(m), lambda s, p, n: s, newstyle=True)
    env.globals["portal_i18n_domain"] = "portal"
    if fast:
        env.globals["_"] = template_gettext.gettext
    return env, request


@pytest.mark.parametrize("source", [
    '{{ _("Hello") }}',
    '{{ _("%(n)s found", n="<x>") }}',
    '{{ _("100%%") }}',
    '{{ _("Untranslated & plain") }}',
    '{% set label = _("Hello") %}{{ label ~ "<" }}',
])
@pytest.mark.parametrize("memo", [False, True])
def test_the_same_output_as_jinja2s_gettext(source, memo):
    slow, slow_request = environment(fast=False)
    fast, fast_request = environment(fast=True, memo=memo)
    expected = slow.from_string(source).render(request=slow_request)
    template = fast.from_string(source)
    assert template.render(request=fast_request) == expected
    assert template.render(request=fast_request) == expected  # from the memo, the second time


def test_a_text_without_keywords_is_translated_once_per_language():
    fast, request = environment(fast=True, memo=True)
    template = fast.from_string('{{ _("Hello") }} {{ _("Hello") }} {{ _("%(n)s found", n=1) }}')
    assert template.render(request=request) == "Bonjour <b> Bonjour <b> 1 trouvés"  # trusted catalogs
    calls = request.localizer.calls
    template.render(request=request)
    assert request.localizer.calls - calls == 1  # only the one with keywords asked again


def test_without_a_request_it_falls_back_to_jinja2s_gettext():
    fast, _request = environment(fast=True)
    assert fast.from_string('{{ _("Hello") }}').render() == "Bonjour <b>"
