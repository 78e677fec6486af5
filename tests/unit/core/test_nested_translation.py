"""A sentence whose parameters are words too is translated all through, in the app as in a test."""
import pytest
from pyramid.i18n import make_localizer

from portal.core.i18n import LOCALE_DIR, NestedLocalizer, _, compile_catalogs

STEP = _("This step is not possible while the ${object} is ${state}.", mapping={"object": _("tip"),
                                                                                   "state": _("closed")})


@pytest.fixture(scope="module")
def localizer():
    compile_catalogs()

    def make(lang):
        return NestedLocalizer(lang, make_localizer(lang, [LOCALE_DIR]).translations)
    return make


def test_the_words_inside_a_refusal_are_chinese_too(localizer):
    said = localizer("zh_CN").translate(STEP)
    assert "tip" not in said and "closed" not in said
    assert localizer("zh_CN").translate(_("tip")) in said and localizer("zh_CN").translate(_("closed")) in said


def test_the_words_inside_a_refusal_are_uyghur_too(localizer):
    assert localizer("ug").translate(STEP) == "مەلۇمات نىڭ ھالىتى ئاخىرلاشتۇرۇلدى بولغاندا بۇ قەدەمنى قىلغىلى بولمايدۇ."


def test_the_app_uses_it(app):
    from pyramid.interfaces import ILocalizer

    assert all(isinstance(app.registry.queryUtility(ILocalizer, name=code), NestedLocalizer)
               for code in ("zh_CN", "en", "ug"))


def test_a_plain_message_is_looked_up_once_per_localizer(localizer, monkeypatch):
    """Templates' `_()` (core/template_gettext.py) asks the localizer 40-60 times a page: each plain
    message is translated once per process and language, then read from the localizer's memo."""
    zh = localizer("zh_CN")
    looked_up = []
    real = NestedLocalizer._translate
    monkeypatch.setattr(NestedLocalizer, "_translate", lambda self, *a: looked_up.append(a) or real(self, *a))
    first = zh.translate("Sign out", domain="portal")
    assert zh.translate("Sign out", domain="portal") == first != "Sign out"
    assert len(looked_up) == 1
    zh.translate(_("Sign out"), domain="portal")  # a TranslationString is its own key
    assert len(looked_up) == 2
