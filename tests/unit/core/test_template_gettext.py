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


def environment(fast: bool) -> Environment:
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    request = FakeRequest()
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
def test_the_same_output_as_jinja2s_gettext(source):
    slow, slow_request = environment(fast=False)
    fast, fast_request = environment(fast=True)
    expected = slow.from_string(source).render(request=slow_request)
    assert fast.from_string(source).render(request=fast_request) == expected


def test_without_a_request_it_falls_back_to_jinja2s_gettext():
    fast, _request = environment(fast=True)
    assert fast.from_string('{{ _("Hello") }}').render() == "Bonjour <b>"
