"""robots.txt keeps crawlers off everything personal; sitemap.xml lists the public pages and the notices
in force, never a minor's appeal, nor a notice that ended."""
from datetime import date, timedelta
from xml.etree import ElementTree

from portal.core.meta import utcnow
from tests.factories import make_notice

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_robots_keeps_crawlers_off_personal_pages_and_names_the_sitemap(testapp):
    robots = testapp.get("/robots.txt")
    assert robots.content_type == "text/plain"
    lines = robots.text.splitlines()
    for path in ("/staff", "/status", "/alarm/", "/trips", "/guard/", "/invite/", "/uploads", "/embed/"):
        assert f"Disallow: {path}" in lines
    # The alarm page itself stays findable (a prefix rule "/alarm" would keep it off too); its links do not.
    rules = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Disallow:")]
    assert not [rule for rule in rules if rule and "/alarm".startswith(rule)]
    assert "Disallow: /notices" not in robots.text and "Sitemap: http://portal.test/sitemap.xml" in lines


def _locations(testapp) -> list[str]:
    response = testapp.get("/sitemap.xml")
    assert response.content_type == "application/xml"
    root = ElementTree.fromstring(response.body)
    return [loc.text for loc in root.findall("s:url/s:loc", NS)]


def test_the_sitemap_lists_notices_in_force_and_never_a_minors_appeal(testapp, dbsession, units):
    unit = units["city_a"]
    wanted = make_notice(dbsession, unit, kind="wanted")
    adult = make_notice(dbsession, unit, kind="missing_person")  # 30 years old
    child = make_notice(dbsession, unit, kind="missing_person")
    child.missing_person.age = 9
    born_recently = make_notice(dbsession, unit, kind="missing_person")
    born_recently.missing_person.age = 40  # the birth date decides when both are given
    born_recently.missing_person.birth_date = date.today() - timedelta(days=365 * 17)
    no_age = make_notice(dbsession, unit, kind="missing_person")
    no_age.missing_person.age = None
    draft = make_notice(dbsession, unit, kind="wanted", state="draft")
    ended = make_notice(dbsession, unit, kind="vehicle")
    ended.expires_at = utcnow() - timedelta(minutes=1)
    dbsession.flush()
    listed = _locations(testapp)
    assert listed[:4] == ["http://portal.test/", "http://portal.test/notices", "http://portal.test/tips/new",
                          "http://portal.test/alarm"]
    notices = {int(loc.rsplit("/", 1)[1]) for loc in listed[4:]}
    assert {wanted.id, adult.id} <= notices
    assert not notices & {child.id, born_recently.id, no_age.id, draft.id, ended.id}
