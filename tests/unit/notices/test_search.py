"""The search index narrows the public words filter without changing its results, and follows every
publication, edit and closing. Runs on SQLite (FTS5) and PostgreSQL (GIN)."""
import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.meta import utcnow
from portal.notices import reading as notices
from portal.notices import search
from portal.notices.models import Notice
from portal.notices.search_index import NoticeSearch, query_terms, terms
from tests.factories import make_notice, make_units

WORDS = ["秀英", "公园", "火车站", "人民公园东门", "张伟", "王强", "走失", "蓝色羽绒服", "东川市", "河口区", "110",
         "Ab", "x1", "100%", "a_b", "李秀兰", "欧阳"]
FILLER = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多"
PUNCTUATION = "，。、 ：（）"
ABSENT = ["潜水艇", "长颈鹿", "zzz", "量子", "鑫", "Q"]


def _text(rng, low, high):
    parts = []
    while sum(map(len, parts)) < rng.randint(low, high):
        roll = rng.random()
        parts.append(rng.choice(WORDS) if roll < 0.25 else rng.choice(PUNCTUATION) if roll < 0.4 else
                     "".join(rng.choices(FILLER, k=rng.randint(1, 4))))
    return "".join(parts)


@pytest.fixture
def archive(dbsession):
    """Three hundred notices of mixed Chinese and ASCII text; some not public."""
    rng = random.Random(7)
    units = make_units(dbsession)
    texts = []
    for n in range(300):
        kind = "missing_person" if n % 3 == 0 else rng.choice(["wanted", "lost_found", "case_appeal"])
        state = "published" if n % 10 else rng.choice(["draft", "resolved", "retracted"])
        notice = make_notice(dbsession, rng.choice(list(units.values())), kind=kind, state=state,
                             title=_text(rng, 4, 12), body=_text(rng, 20, 80), minutes_ago=n)
        if notice.missing_person is not None:
            notice.missing_person.full_name = rng.choice(["张伟", "李秀兰", "欧阳明", "王强", "Li Na"])
            notice.missing_person.last_seen_place = _text(rng, 3, 10)
            notice.missing_person.sex = rng.choice(["female", "male"])
            notice.missing_person.age = rng.randint(3, 90)
        if n % 37 == 0:
            notice.expires_at = utcnow() - timedelta(hours=1)  # past its expiry: off public pages
        texts.append(notice.title + notice.body)
    dbsession.flush()
    # Queries people type, and substrings of the archive: 1, 2, 3 and more characters.
    queries = WORDS + ABSENT + ["秀", "英", "公", "AB", "aB", "X1", "，", "%", "_", "人民 公园", "公园，", "0%"]
    for _ in range(60):
        text = rng.choice(texts)
        start = rng.randrange(len(text))
        queries.append(text[start:start + rng.choice([1, 2, 2, 3, 4, 6])])
    return units, sorted(set(q for q in queries if q.strip()))


def _found(dbsession, filters):
    rows, more = notices.published_page(dbsession, filters=filters, size=1000)
    assert more is None
    return [n.id for n in rows]


def _like_only(dbsession, monkeypatch, filters):
    with monkeypatch.context() as patch:
        patch.setattr(search, "candidates", lambda *args, **kw: None)
        return _found(dbsession, filters)


def test_terms_are_letters_digits_and_their_pairs_with_ascii_lowered():
    assert terms(["张伟A，b1"]).split() == sorted(["张", "伟", "a", "b", "1", "张伟", "伟a", "b1"])
    assert query_terms("人民公园") == ["人民", "公园", "民公"]
    assert query_terms("张 伟") == ["伟", "张"]  # no pair spans the space: each character alone
    assert query_terms("AB") == query_terms("ab") == ["ab"]
    assert query_terms("%") == query_terms("，") == []  # nothing to look up: LIKE alone


def test_search_with_the_index_finds_exactly_what_like_finds(dbsession, archive, monkeypatch):
    _, queries = archive
    hits = narrowed = 0
    for q in queries:
        expected = _like_only(dbsession, monkeypatch, {"q": q})
        assert _found(dbsession, {"q": q}) == expected, q
        hits += bool(expected)
        narrowed += search.candidates(dbsession, q) is not None
    # Neither a comparison of empty pages nor of LIKE with itself.
    assert hits > len(queries) / 2 and narrowed > len(queries) * 0.9


def test_common_words_fall_back_to_the_newest_first_walk_with_the_same_results(dbsession, archive, monkeypatch):
    _, queries = archive
    monkeypatch.setattr(search, "CANDIDATE_LIMIT", 3)
    assert search.candidates(dbsession, "公园") is None
    assert any(search.candidates(dbsession, q) is not None for q in queries)  # some still narrowed
    for q in queries:
        assert _found(dbsession, {"q": q}) == _like_only(dbsession, monkeypatch, {"q": q}), q


@pytest.mark.parametrize("filters", [
    {"kind": "missing_person", "q": "秀"},
    {"kind": "missing_person", "sex": "female", "age_min": 10, "age_max": 60, "q": "张伟"},
    {"region": "990100", "q": "公园"},
    {"region": "990200", "kind": "wanted", "q": "走失"},
    {"since": (utcnow() - timedelta(hours=2)).date(), "q": "110"},
    {"sex": "male", "q": "潜水艇"},
])
def test_words_combine_with_the_other_filters_as_before(dbsession, archive, monkeypatch, filters):
    filters = dict(dict.fromkeys(("kind", "region", "q", "sex", "age_min", "age_max", "since")), **filters)
    assert _found(dbsession, filters) == _like_only(dbsession, monkeypatch, filters)


def test_keyset_pages_of_a_search_follow_on(dbsession, archive):
    pages, cursor = [], None
    while True:
        rows, cursor = notices.published_page(dbsession, filters={"q": "公"}, cursor=cursor, size=7)
        pages += [n.id for n in rows]
        if cursor is None:
            break
    assert pages == _found(dbsession, {"q": "公"}) and len(pages) > 7


def _indexed(dbsession, notice):
    return dbsession.execute(select(NoticeSearch.terms).where(NoticeSearch.notice_id == notice.id)).scalar()


def test_the_index_follows_publication_edits_and_closing(dbsession):
    unit = make_units(dbsession)["city_a"]
    notice = make_notice(dbsession, unit, kind="missing_person", state="draft", title="寻人启事", body="正文")
    assert _indexed(dbsession, notice) is None  # drafts are not public: not indexed
    notice.state, notice.published_at = "published", utcnow()
    dbsession.flush()
    assert search.candidates(dbsession, "寻人") == [notice.id]
    notice.title = "找到了吗"
    dbsession.flush()
    assert search.candidates(dbsession, "寻人") == [] and search.candidates(dbsession, "找到") == [notice.id]
    notice.missing_person.full_name = "欧阳秀英"
    dbsession.flush()
    assert search.candidates(dbsession, "欧阳") == [notice.id]
    assert notices.published_page(dbsession, filters={"q": "欧阳"})[0] == [notice]
    notice.missing_person.last_seen_place = "滨河公园"
    notice.missing_person.age = 40  # not searched: no work
    dbsession.flush()
    assert search.candidates(dbsession, "滨河") == [notice.id]
    notice.state = "resolved"
    dbsession.flush()
    assert _indexed(dbsession, notice) is None and search.candidates(dbsession, "欧阳") == []


def test_a_deleted_notice_leaves_the_index(dbsession):
    notice = make_notice(dbsession, make_units(dbsession)["city_a"], title="独一无二")
    assert search.candidates(dbsession, "独一") == [notice.id]
    dbsession.delete(notice)
    dbsession.flush()
    assert search.candidates(dbsession, "独一") == []
    assert dbsession.execute(select(Notice).where(Notice.id == notice.id)).first() is None
