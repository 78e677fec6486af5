"""The public notice page: kind-specific fields, verification badge, share links, Open Graph,
schema.org JSON-LD, the sighting and poster links, and robots hints."""
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest

from portal.core.meta import utcnow
from portal.media.models import Media
from tests.factories import make_notice


def add_photo(dbsession, registry, notice):
    key, sha, size = registry["media_store"].put_bytes(b"\xff\xd8\xff\xe0 fake jpeg", ".jpg")
    media = Media(notice=notice, kind="image", sha256=sha, size=size, content_type="image/jpeg",
                  original_key=key, public_key=key, thumb_key=key, alt_text="Photo of the van")
    dbsession.add(media)
    dbsession.flush()
    return media


def facts(page):
    return {dt.text: dd.text for dt, dd in zip(page.html.select("dl.kind-facts dt"),
                                              page.html.select("dl.kind-facts dd"), strict=True)}


@pytest.mark.parametrize("kind,fields,shown", [
    ("wanted", {"suspect_description": "Male, 1.80 m"}, {"Description of the suspect": "Male, 1.80 m"}),
    ("lost_found", {"item_description": "Blue backpack", "found_place": "East gate"},
     {"Description of the item": "Blue backpack", "Where it was found": "East gate"}),
    ("vehicle", {"vehicle_plate": "冀A12345", "vehicle_make": "Geely", "vehicle_model": "Emgrand",
                 "vehicle_colour": "silver"},
     {"Number plate": "冀A12345", "Make": "Geely", "Model": "Emgrand", "Colour": "silver"}),
    ("reward_task", {"reward_amount": 5000, "reward_conditions": "Information leading to an arrest"},
     {"Reward": "5000 yuan", "Conditions of the reward": "Information leading to an arrest"}),
    ("case_appeal", {}, {}),
])
def test_kind_specific_fields_are_shown(testapp, dbsession, units, kind, fields, shown):
    notice = make_notice(dbsession, units["city_a"], kind=kind, **fields)
    assert facts(testapp.get(f"/notices/{notice.id}")) == shown


def test_caution_is_prominent(testapp, dbsession, units):
    notice = make_notice(dbsession, units["city_a"], kind="wanted", caution="May be armed. Do not approach.")
    caution = testapp.get(f"/notices/{notice.id}").html.select_one("article .caution")
    assert caution is not None and caution.get("role") == "note"
    assert "Caution:" in caution.text and "May be armed. Do not approach." in caution.text
    plain = make_notice(dbsession, units["city_a"], kind="wanted")
    assert testapp.get(f"/notices/{plain.id}").html.select_one(".caution") is None


def test_open_graph_tags(testapp, dbsession, units, registry):
    notice = make_notice(dbsession, units["city_a"], kind="vehicle", title="Stolen van", body="A white van " * 40)
    page = testapp.get(f"/notices/{notice.id}")
    og = {m["property"]: m["content"] for m in page.html.select("meta[property]")}
    assert og["og:title"] == "Stolen van" and og["og:type"] == "article"
    assert og["og:url"] == f"http://portal.test/notices/{notice.id}"
    assert og["og:description"].startswith("A white van") and len(og["og:description"]) <= 200
    # No photo: the service's default image (core/static.py's versioned URL on the public address).
    assert og["og:image"].startswith("http://portal.test/static/img/og-default.png?v=")
    media = add_photo(dbsession, registry, notice)
    og = {m["property"]: m["content"] for m in testapp.get(f"/notices/{notice.id}").html.select("meta[property]")}
    assert og["og:image"] == f"http://portal.test/media/{media.id}/public"
    assert og["og:image:alt"] == "Photo of the van"


def test_json_ld_parses_and_cannot_be_broken_out_of(testapp, dbsession, units):
    title = 'Wanted </script><script>alert(1)</script> & "co"'
    notice = make_notice(dbsession, units["city_a"], kind="wanted", title=title)
    page = testapp.get(f"/notices/{notice.id}")
    scripts = page.html.select("script")
    assert len(scripts) == 1 and scripts[0]["type"] == "application/ld+json"
    assert "<script>alert(1)" not in page.text
    data = json.loads(scripts[0].string)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Article"
    assert data["headline"] == title
    assert data["url"] == f"http://portal.test/notices/{notice.id}"
    assert data["publisher"]["name"] == "City A" and data["datePublished"] == notice.published_at.isoformat(timespec="seconds")


def test_sighting_poster_and_share_links(testapp, dbsession, units):
    notice = make_notice(dbsession, units["city_a"], kind="case_appeal", title="Witnesses wanted")
    page = testapp.get(f"/notices/{notice.id}")
    hrefs = [a["href"] for a in page.html.select("article a")]
    assert f"/notices/{notice.id}/sightings/new" in hrefs and f"/notices/{notice.id}/poster" in hrefs
    url = f"http://portal.test/notices/{notice.id}"
    assert page.html.select_one("#share-url")["value"] == url
    mailto = next(h for h in hrefs if h.startswith("mailto:"))
    sms = next(h for h in hrefs if h.startswith("sms:"))
    assert url in unquote(mailto) and "Witnesses wanted" in unquote(mailto)
    assert unquote(sms) == f"sms:?body=Witnesses wanted {url}"


def test_verified_badge(testapp, dbsession, units):
    notice = make_notice(dbsession, units["county_a"], kind="missing_person")
    assert testapp.get(f"/notices/{notice.id}").html.select_one(".badge-verified") is None
    notice.verified_by_unit_id = units["city_a"].id
    # 18:00 UTC is 02:00 the next day in Beijing: the badge shows the date people there lived it.
    notice.verified_at = datetime(2026, 3, 14, 18, 0, tzinfo=UTC)
    dbsession.flush()
    badge = testapp.get(f"/notices/{notice.id}").html.select_one(".badge-verified")
    assert badge.text.strip() == "Verified by City A on 2026-03-15"


def test_missing_person_pages_carry_unavailable_after(testapp, dbsession, units):
    notice = make_notice(dbsession, units["city_a"], kind="missing_person")
    robots = [m["content"] for m in testapp.get(f"/notices/{notice.id}").html.select("meta[name=robots]")]
    expected = (notice.published_at + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert robots == [f"unavailable_after: {expected}"]  # an adult: indexable until then
    notice.missing_person.age = 12
    notice.expires_at = utcnow() + timedelta(days=30)
    dbsession.flush()
    robots = [m["content"] for m in testapp.get(f"/notices/{notice.id}").html.select("meta[name=robots]")]
    assert robots == ["noindex", f"unavailable_after: {notice.expires_at:%Y-%m-%dT%H:%M:%SZ}"]
    other = make_notice(dbsession, units["city_a"], kind="wanted")
    assert testapp.get(f"/notices/{other.id}").html.select("meta[name=robots]") == []
