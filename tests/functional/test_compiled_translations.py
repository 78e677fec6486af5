"""Templates compiled per language with their `_("...")` translated (core/template_languages.py): the
portal's pages are byte for byte what the run-time `_()` made, in every language, for visitors and staff,
for answers, refusals and error pages alike; and the pages really come from the compiled templates."""
import re

import pytest
from pyramid.interfaces import IRendererFactory

from tests.factories import make_notice, make_officer
from tests.functional.helpers import login

LANGUAGES = {"zh_CN": "zh-CN", "en": "en", "ug": "ug"}
# Per-request values a page may carry: form tokens, proof-of-work challenges, nonces.
PER_REQUEST = re.compile(r'((?:name|id)="(?:csrf_token|challenge|pow|nonce)[^"]*" value=")[^"]*"'
                         r'|((?:nonce|data-pow|data-token|data-nonce)=")[^"]*"')


@pytest.fixture
def environments(registry):
    environments = registry.queryUtility(IRendererFactory, name=".html").environments
    assert set(environments.by_language) == set(LANGUAGES)
    return environments


def both_ways(testapp, environments, monkeypatch, path, language, status=200):
    """The page from the language's compiled templates, then from the shared environment's run-time `_()`."""
    headers = {"Accept-Language": LANGUAGES[language]}
    compiled = testapp.get(path, headers=headers, status=status)
    with monkeypatch.context() as patch:
        patch.setattr(environments, "by_language", {})
        at_run_time = testapp.get(path, headers=headers, status=status)
    return PER_REQUEST.sub(r"\1\2", compiled.text), PER_REQUEST.sub(r"\1\2", at_run_time.text)


@pytest.fixture
def notices(dbsession, units):
    missing = make_notice(dbsession, units["city_a"], kind="missing_person", title="Missing: Li Wei")
    wanted = make_notice(dbsession, units["city_a"], kind="wanted", title="Wanted: a driver")
    return missing, wanted


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_are_the_same_either_way(testapp, environments, monkeypatch, notices, language):
    missing, wanted = notices
    pages = [("/", 200), ("/notices", 200), (f"/notices/{missing.id}", 200), (f"/notices/{wanted.id}", 200),
             (f"/notices/{missing.id}/poster", 200), ("/tips/new", 200), ("/alarm", 200), ("/trips/new", 200),
             ("/status", 200), ("/login", 200), ("/notices?kind=nonsense", 400), ("/no-such-page", 404)]
    for path, status in pages:
        compiled, at_run_time = both_ways(testapp, environments, monkeypatch, path, language, status)
        assert compiled == at_run_time, path


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_pages_are_the_same_either_way(testapp, environments, monkeypatch, dbsession, units, notices,
                                             language):
    make_officer(dbsession, units["city_a"], ["moderator", "handler"], username="compiled_mod")
    login(testapp, "compiled_mod")
    for path in ("/staff", "/staff/notices", f"/staff/notices/{notices[1].id}"):
        compiled, at_run_time = both_ways(testapp, environments, monkeypatch, path, language)
        assert compiled == at_run_time, path


def test_the_pages_come_from_each_languages_compiled_templates(testapp, registry, environments, notices):
    from pyramid.interfaces import ILocalizer

    for language, header in LANGUAGES.items():
        environment = environments.by_language[language]
        testapp.get(f"/notices/{notices[0].id}", headers={"Accept-Language": header})
        assert any(name == "notices/detail.html" for _loader, name in environment.cache.keys()), language
        # The page's words were written into its compiled template: no `_()` runs for them.
        source = environment.loader.get_source(environment, "notices/detail.html")[0]
        code = environment.compile(source, raw=True)
        share = registry.getUtility(ILocalizer, name=language).translate("Share this notice", domain="portal")
        assert repr(share)[1:-1] in code or share in code
        if language != "en":
            assert "'Share this notice'" not in code
        # Every `_()` of the page is a literal: none is left to look up, where the shared code has them all.
        assert code.count("'_'") == 0 < environments.shared.compile(source, raw=True).count("'_'")
        published = registry.getUtility(ILocalizer, name=language).translate("Published by %(unit)s", domain="portal")
        assert repr(published)[1:-1] in code or published in code  # with keywords: formatted per page
