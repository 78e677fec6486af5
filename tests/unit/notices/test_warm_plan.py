"""portal-warm-proxy's order (notices/warm_plan.py): the answers people need first go into an empty proxy
first, every one of them an answer the proxy keeps, each in every language it keeps apart."""
import re
from datetime import timedelta
from pathlib import Path

from portal.core.meta import utcnow
from portal.notices import warm_plan
from portal.notices.warm_plan import Target, plan, requests
from portal.outbox.proxy_warmer import PUBLIC_PATH
from tests.factories import make_notice

VCL = Path(__file__).parents[3] / "deploy" / "varnish" / "safety-portal.vcl"
# Newest first, as open_notices returns them: kinds mixed.
OPEN = [(9, "wanted"), (8, "missing_person"), (7, "vehicle"), (5, "missing_person"), (4, "lost_found")]


def paths(targets):
    return [t.path for t in targets]


def test_home_and_lists_first_then_missing_person_appeals_newest_first_then_the_others_then_the_api():
    order = paths(plan(OPEN, {8: [31, 30], 5: [12]}))
    assert order[:3] == ["/", "/notices", "/notices?kind=missing_person"]
    assert order[3:9] == [f"/notices?kind={k}" for k in ("wanted", "lost_found", "case_appeal", "vehicle",
                                                         "reward_task")] + ["/api/v1/notices"]
    pages = order[9:9 + 8]
    # The appeals before any other notice, newest first, each with its photos in the page's order.
    assert pages == ["/notices/8", "/media/31/public", "/media/30/public", "/notices/5", "/media/12/public",
                     "/notices/9", "/notices/7", "/notices/4"]
    api = order[17:22]
    assert api == ["/api/v1/notices/8", "/api/v1/notices/5", "/api/v1/notices/9", "/api/v1/notices/7",
                   "/api/v1/notices/4"]
    assert order[22:] == ["/feeds/notices.atom", "/feeds/notices.cap.atom", "/sitemap.xml", "/api/openapi.json",
                          "/robots.txt"]


def test_without_open_notices_the_plan_is_the_site_s_fixed_answers():
    assert paths(plan([])) == paths(warm_plan.head() + warm_plan.tail())


def test_every_language_of_an_answer_before_the_next_answer_and_language_free_answers_once():
    asked = requests([Target("/notices/8"), Target("/media/3/public", by_language=False), Target("/")])
    assert asked == [("/notices/8", "zh-CN"), ("/notices/8", "en"), ("/notices/8", "ug"), ("/media/3/public", None),
                     ("/", "zh-CN"), ("/", "en"), ("/", "ug")]
    assert requests([Target("/")], ["en"]) == [("/", "en")]


def test_the_languages_are_those_the_proxy_rewrites_accept_language_to():
    vcl = VCL.read_text()
    assert 'set req.http.Accept-Language = "zh-CN";' in vcl
    assert "std.tolower(req.http.X-Portal-Language)" in vcl and "(en|ug)" in vcl
    assert warm_plan.LANGUAGES == ("zh-CN", "en", "ug")


def test_every_planned_answer_is_one_the_proxy_keeps_and_none_is_a_staff_page():
    # The public paths of the VCL's vcl_recv, read from the file: a path outside them would be passed
    # to an app server and never kept, so warming it would only load the app.
    vcl_paths = [re.compile(p.replace("\\\\", "\\")) for p in re.findall(r'req\.url ~ "(\^/[^"]*)"', VCL.read_text())
                 if not p.startswith("^/(\\?")] + [re.compile(r"^/(\?[^/]*)?$")]
    for path in paths(plan(OPEN, {8: [31]})):
        assert any(p.match(path) for p in vcl_paths), path
        assert PUBLIC_PATH.match(path), path
        assert not path.startswith(("/staff", "/login", "/status", "/uploads", "/alarm"))


def test_open_notices_are_the_published_unexpired_ones_newest_first(dbsession, units):
    unit = units["city_a"]
    older = make_notice(dbsession, unit, kind="missing_person", minutes_ago=30)
    newer = make_notice(dbsession, unit, kind="wanted", minutes_ago=5)
    newest = make_notice(dbsession, unit, kind="missing_person", minutes_ago=1)
    make_notice(dbsession, unit, kind="missing_person", state="draft")
    make_notice(dbsession, unit, kind="missing_person", state="resolved")
    make_notice(dbsession, unit, kind="wanted", minutes_ago=2, expires_at=utcnow() - timedelta(minutes=1))
    found = [n for n in warm_plan.open_notices(dbsession) if n[0] in {older.id, newer.id, newest.id}]
    assert found == [(newest.id, "missing_person"), (newer.id, "wanted"), (older.id, "missing_person")]
    assert len(warm_plan.open_notices(dbsession)) == 3
    order = paths(warm_plan.from_database(dbsession))
    assert order.index(f"/notices/{newest.id}") < order.index(f"/notices/{older.id}") < order.index(
        f"/notices/{newer.id}")
