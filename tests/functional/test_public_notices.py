"""The public sees published notices only, newest first, page by page."""
import pytest

from portal.media.models import Media
from tests.factories import make_notice


def test_list_shows_published_newest_first_and_hides_the_rest(testapp, dbsession, units):
    old = make_notice(dbsession, units["city_a"], title="Older appeal", minutes_ago=60)
    new = make_notice(dbsession, units["city_b"], kind="missing_person", title="Newest missing", minutes_ago=1)
    for state in ("draft", "in_review", "resolved", "retracted", "expired"):
        make_notice(dbsession, units["city_a"], state=state, title=f"Hidden {state}")
    page = testapp.get("/notices")
    assert page.text.index("Newest missing") < page.text.index("Older appeal")
    assert "Hidden" not in page.text
    assert testapp.get(f"/notices/{new.id}").status_int == 200
    assert "Older appeal" in testapp.get(f"/notices/{old.id}").text


@pytest.mark.parametrize("state", ["draft", "in_review", "resolved", "retracted", "expired"])
def test_unpublished_notice_is_404_to_the_public(testapp, dbsession, units, state):
    notice = make_notice(dbsession, units["city_a"], state=state)
    page = testapp.get(f"/notices/{notice.id}", status=404)
    assert notice.title not in page.text


def test_keyset_pages_walk_every_notice_once(testapp, dbsession, units, app):
    titles = {make_notice(dbsession, units["county_a"], title=f"N{i:03d}", minutes_ago=i).title for i in range(45)}
    # Equal publication times must not lose or repeat rows at page edges.
    same = make_notice(dbsession, units["county_a"], title="N-twin-1", minutes_ago=10)
    twin = make_notice(dbsession, units["county_a"], title="N-twin-2")
    twin.published_at = same.published_at
    dbsession.flush()
    titles |= {"N-twin-1", "N-twin-2"}
    seen, page, pages = [], testapp.get("/notices"), 0
    while True:
        pages += 1
        seen += [a.text.strip() for a in page.html.select(".card-title")]
        link = page.html.select_one('a[rel="next"]')
        if link is None:
            break
        assert "page=" in link["href"] and "offset" not in link["href"]
        page = testapp.get(link["href"])
    assert pages == 3
    assert sorted(seen) == sorted(titles)


def test_kind_filter(testapp, dbsession, units):
    make_notice(dbsession, units["city_a"], kind="vehicle", title="Stolen van")
    make_notice(dbsession, units["city_a"], kind="wanted", title="Wanted man")
    page = testapp.get("/notices?kind=vehicle")
    assert "Stolen van" in page.text and "Wanted man" not in page.text


def test_missing_person_detail_shows_public_facts_and_noindex_for_minors(testapp, dbsession, units):
    notice = make_notice(dbsession, units["city_a"], kind="missing_person", title="Missing child")
    notice.missing_person.age = 9
    notice.missing_person.clothing = "red coat"
    dbsession.flush()
    page = testapp.get(f"/notices/{notice.id}")
    assert "red coat" in page.text and "Person" in page.text
    assert '<meta name="robots" content="noindex">' in page.text


def test_media_is_served_only_while_its_notice_is_published(testapp, dbsession, units, registry):
    store = registry["media_store"]
    key, sha, size = store.put_bytes(b"\xff\xd8\xff\xe0 fake jpeg", ".jpg")
    notice = make_notice(dbsession, units["city_a"], kind="wanted")
    media = Media(notice=notice, kind="image", sha256=sha, size=size, content_type="image/jpeg",
                  original_key=key, public_key=key, thumb_key=key)
    dbsession.add(media)
    dbsession.flush()
    assert testapp.get(f"/media/{media.id}/public").body.startswith(b"\xff\xd8")
    notice.state = "resolved"
    dbsession.flush()
    testapp.get(f"/media/{media.id}/public", status=404)
    testapp.get(f"/media/{media.id}/thumb", status=404)


def test_language_switch_is_remembered(testapp):
    english = testapp.get("/?lang=en")
    assert 'lang="en"' in english.text
    assert "lang=en" in english.headers["Set-Cookie"]
    assert '<html lang="en"' in testapp.get("/notices").text
    uyghur = testapp.get("/?lang=ug")
    assert '<html lang="ug" dir="rtl"' in uyghur.text


def test_language_from_accept_language_then_chinese_by_default(testapp):
    assert '<html lang="en"' in testapp.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
    assert '<html lang="zh-Hans"' in testapp.get("/", headers={"Accept-Language": "fr"}).text
    default = testapp.get("/", extra_environ={"HTTP_ACCEPT_LANGUAGE": ""})
    assert '<html lang="zh-Hans"' in default.text


def test_chinese_is_the_default_and_translated(testapp):
    page = testapp.get("/notices/abc", status=404, extra_environ={"HTTP_ACCEPT_LANGUAGE": ""})
    assert "页面不存在" in page.text and "拨打 110 报警" in page.text and "遇到危险？立即联系警方" in page.text
    assert "%E6%88%91%E9%9C%80%E8%A6%81" in page.text  # the SMS body is prefilled in Chinese too
    login = testapp.get("/login?lang=zh_CN")
    assert "民警登录" in login.text and "用户名" in login.text
