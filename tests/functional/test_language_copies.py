"""What lets the caching proxy keep one copy per language (deploy/varnish's portal_language): the portal
answers byte for byte the same, headers and body, for
- no Accept-Language, one naming none of its languages, and `Accept-Language: zh-CN` (the default);
- a valid `lang` cookie (whatever the header says) and that language's Accept-Language with no cookie;
- a `lang` cookie it does not know and no cookie at all (the header decides).
The VCL turns each request into the copy portal-warm-proxy fills; were one of these answers to differ
(a Set-Cookie, a Vary, a word), a visitor would get another's page. The proxy: test_caching_proxy.py."""
import pytest
import webtest

from tests.factories import make_notice, make_photo

# (what a visitor sends, what the proxy asks the portal for instead)
FOLDED = [
    ({}, {"Accept-Language": "zh-CN"}),
    ({"Accept-Language": "fr-FR,fr;q=0.9"}, {"Accept-Language": "zh-CN"}),
    ({"Accept-Language": "*"}, {"Accept-Language": "zh-CN"}),
    ({"Cookie": "lang=en"}, {"Accept-Language": "en"}),
    ({"Cookie": "lang=en", "Accept-Language": "zh-CN,zh;q=0.9"}, {"Accept-Language": "en"}),
    ({"Cookie": "lang=EN-gb"}, {"Accept-Language": "en"}),
    ({"Cookie": "lang=ug", "Accept-Language": "en"}, {"Accept-Language": "ug"}),
    ({"Cookie": "lang=zh_CN", "Accept-Language": "ug"}, {"Accept-Language": "zh-CN"}),
    ({"Cookie": "lang=zh"}, {"Accept-Language": "zh-CN"}),
    ({"Cookie": "lang=xx"}, {"Accept-Language": "zh-CN"}),
    ({"Cookie": "lang=xx", "Accept-Language": "en"}, {"Accept-Language": "en"}),
    ({"Cookie": "lang="}, {"Accept-Language": "zh-CN"}),
]


@pytest.fixture
def visitor(testapp):
    """The test app, but sending no Accept-Language unless a request names one."""
    environ = {k: v for k, v in testapp.extra_environ.items() if k != "HTTP_ACCEPT_LANGUAGE"}
    return webtest.TestApp(testapp.app, extra_environ=environ)


def answer(visitor, path, headers):
    visitor.reset()
    got = visitor.get(path, headers=headers, status="*")
    return got.status_int, sorted((k, v) for k, v in got.headerlist if k != "Date"), got.body


def test_the_portal_answers_the_folded_requests_as_the_warmed_ones_byte_for_byte(visitor, dbsession, units, registry):
    notice = make_notice(dbsession, units["city_a"], kind="missing_person")
    photo = make_photo(dbsession, registry["media_store"], notice)
    paths = ["/", "/notices", "/notices?kind=missing_person", f"/notices/{notice.id}", f"/notices/{notice.id}/poster",
             f"/notices/{notice.id}.cap", "/api/v1/notices", f"/api/v1/notices/{notice.id}", "/feeds/notices.atom",
             "/feeds/notices.cap.atom", "/sitemap.xml", "/api/openapi.json", f"/media/{photo.id}/public"]
    for path in paths:
        warmed = {language: answer(visitor, path, {"Accept-Language": language}) for language in ("zh-CN", "en", "ug")}
        assert warmed["zh-CN"][0] == 200 and "Set-Cookie" not in dict(warmed["zh-CN"][1]), path
        for sent, asked in FOLDED:
            assert answer(visitor, path, sent) == warmed[asked["Accept-Language"]], (path, sent)
    # The languages do differ: three copies, not one.
    page = {language: answer(visitor, f"/notices/{notice.id}", {"Accept-Language": language})[2]
            for language in ("zh-CN", "en", "ug")}
    assert len(set(page.values())) == 3
