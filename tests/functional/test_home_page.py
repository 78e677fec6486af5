"""The home page leads with "in danger now" (alarm, call, SMS, trip guardian), then missing persons, then
the tip categories; a change to the categories purges the cached home page."""
from sqlalchemy import select

from portal.outbox.models import ProxyPurge
from portal.tips.models import TipCategory
from tests.functional.test_categories import admin, category  # noqa: F401  (the signed-in administrator)


def purged_tags(dbsession):
    return {tag for tags in dbsession.execute(select(ProxyPurge.tags)).scalars() for tag in tags.split()}


def test_home_leads_with_in_danger_now_then_missing_persons_then_the_tip_categories(testapp, dbsession):
    page = testapp.get("/?lang=en")
    sections = page.html.select("main > section")
    assert sections[0]["class"] == ["danger-now"]
    hrefs = [a["href"] for a in sections[0].select("a")]
    assert hrefs[0] == "/alarm" and hrefs[1] == "tel:110" and hrefs[2].startswith("sms:12110")
    assert hrefs[3] == "/trips/new"
    order = [section.get("aria-labelledby") for section in sections]
    assert order.index("missing-title") < order.index("tips-title")
    offered = dbsession.execute(select(TipCategory).where(TipCategory.retired.is_(False))
                                .order_by(TipCategory.position)).scalars().all()
    links = page.html.select(".home-tips a")
    assert [a.get_text(strip=True) for a in links] == [c.names["en"] for c in offered]
    assert links[0]["href"] == f"/tips/new?category={offered[0].slug}"
    assert "tip-categories" in testapp.get("/").headers["xkey"].split()  # (?lang= set a cookie: not shared)


def test_the_header_links_the_four_destinations_and_the_receipt_code(testapp):
    page = testapp.get("/notices?lang=zh_CN")
    nav = [a["href"] for a in page.html.select("header.site-header nav.main-nav a")]
    assert nav[:5] == ["/notices", "/tips/new", "/alarm", "/trips/new", "/status"]
    current = page.html.select_one('header.site-header a[aria-current="page"]')
    assert current["href"] == "/notices"


def test_a_category_change_purges_the_home_page(testapp, dbsession, admin):  # noqa: F811
    dbsession.execute(ProxyPurge.__table__.delete())
    fraud = category(dbsession, "fraud")
    form = testapp.get(f"/staff/categories/{fraud.id}").forms["category"]
    form["name_en"] = "Phone and online fraud"
    form.submit("save", status=303)
    assert "tip-categories" in purged_tags(dbsession)
    dbsession.execute(ProxyPurge.__table__.delete())
    testapp.get("/staff/categories").forms[f"retire-{fraud.id}"].submit(status=303)
    assert "tip-categories" in purged_tags(dbsession)
    assert "Phone and online fraud" not in testapp.get("/?lang=en").text
