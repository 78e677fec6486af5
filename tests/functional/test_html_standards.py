"""Every public page and every staff page passes the Nu HTML Checker with no error (tests/vnu.py: one
java run for all of them), and the public pages carry what browsers, crawlers and link previews read:
a description, the icons, the web app manifest, an Open Graph image."""
import json
import re
from io import BytesIO
from urllib.parse import urlsplit

import pyotp
import pytest
from PIL import Image

from portal.core.webapp import THEME_COLOUR
from tests import vnu
from tests.factories import (
    make_alarm,
    make_category,
    make_missing_request,
    make_notice,
    make_officer,
    make_photo,
    make_sighting,
    make_tip,
    make_trip,
)
from tests.functional.helpers import login

PUBLIC = ["/", "/notices", "/notices?kind=zzz&sex=x", "/alarm", "/embed/alarm", "/tips/new", "/status",
          "/missing/new", "/trips/new", "/login"]
STAFF = ["/staff", "/staff/tips", "/staff/sightings", "/staff/notices", "/staff/notices/new", "/staff/missing",
         "/staff/alarms", "/staff/invitations", "/staff/categories", "/staff/categories/new", "/staff/stats",
         "/staff/officers", "/staff/officers/new", "/staff/units", "/staff/units/new", "/staff/account/password",
         "/staff/tips?state=nonsense", "/staff/audit"]


def render(testapp, paths) -> dict[str, str]:
    pages = {}
    for path in paths:
        page = testapp.get(path, status="*")
        assert page.status_int in (200, 400) and page.content_type == "text/html", path
        pages[path] = page.text
    return pages


def test_every_page_passes_the_nu_html_checker(testapp, dbsession, registry, units, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("the same pages on either database: checked once, on SQLite")
    vnu.require()  # skip before rendering anything when the checker is missing
    notice = make_notice(dbsession, units["city_a"], kind="missing_person")
    category = make_category(dbsession, slug="every-kind", questions=[
        {"key": "activity", "kind": "choice", "labels": {"en": "What?"}, "required": True,
         "choices": [{"value": "a", "labels": {"en": "A"}}, {"value": "b", "labels": {"en": "B"}}]},
        {"key": "people", "kind": "number", "labels": {"en": "How many?"}},
        {"key": "since", "kind": "date", "labels": {"en": "Since?"}},
        {"key": "vehicle", "kind": "text", "labels": {"en": "Which?"}}])
    tip = make_tip(dbsession, units["city_a"], category=category, cipher=registry["field_cipher"])
    alarm, token = make_alarm(dbsession, units["city_a"], kind="silent", lat=38.5, lon=114.5, accuracy_m=30.0)
    _trip, trip_token, guardian_tokens = make_trip(dbsession)
    dbsession.flush()
    pages = render(testapp, PUBLIC + [f"/tips/new?category={category.slug}", f"/notices/{notice.id}", f"/notices/{notice.id}/poster",
                                      f"/notices/{notice.id}/sightings/new", f"/alarm/{token}",
                                      f"/trips/{trip_token}", f"/guard/{guardian_tokens[0]}"])
    testapp.reset()
    secret = pyotp.random_base32()
    make_officer(dbsession, units["province"], ["admin", "moderator", "handler", "dispatcher"], username="every_role",
                 totp_secret=secret, cipher=registry["field_cipher"])
    login(testapp, "every_role", totp_secret=secret)
    officer = make_officer(dbsession, units["city_a"], ["handler"])
    cipher = registry["field_cipher"]
    sighting = make_sighting(dbsession, notice, cipher=cipher, contact="13800000000")
    request = make_missing_request(dbsession, cipher, units["city_a"])
    pages |= {f"staff {path}": html for path, html in render(
        testapp, STAFF + ["/staff/stats/queues", f"/staff/tips/{tip.id}", f"/staff/alarms/{alarm.id}",
                          f"/staff/alarms?selected={alarm.id}", f"/staff/notices/{notice.id}", f"/staff/sightings/{sighting.id}",
                          f"/staff/missing/{request.id}", f"/staff/categories/{category.id}",
                          f"/staff/officers/{officer.id}", f"/staff/units/{units['city_a'].id}"]).items()}
    errors = vnu.check(pages)
    assert not errors, "\n".join(errors)


DESCRIPTIONS = {"/": "Verified notices from the police", "/tips/new": "anonymously if you wish",
                "/missing/new": "publish an appeal", "/trips/new": "people you trust", "/status": "receipt code"}


@pytest.mark.parametrize("path, words", DESCRIPTIONS.items())
def test_public_pages_describe_themselves_in_the_readers_language(testapp, units, path, words):
    english = testapp.get(path, headers={"Accept-Language": "en"}).html
    assert words in english.select_one('meta[name="description"]')["content"]
    testapp.set_cookie("lang", "zh_CN")
    chinese = testapp.get(path).html.select_one('meta[name="description"]')["content"]
    assert chinese and not re.search(r"[A-Za-z]{3,}", chinese)


def test_the_icons_and_the_manifest_a_phone_installs(testapp):
    head = testapp.get("/").html.head
    icons = {link["type"]: link["href"] for link in head.select('link[rel="icon"]')}
    assert set(icons) == {"image/svg+xml", "image/png"}
    apple = head.select_one('link[rel="apple-touch-icon"]')["href"]
    assert head.select_one('meta[name="theme-color"]')["content"] == THEME_COLOUR
    for href in (*icons.values(), apple):
        assert testapp.get(href).status_int == 200 and "?v=" in href
    assert Image.open(BytesIO(testapp.get(icons["image/png"]).body)).size == (32, 32)
    testapp.set_cookie("lang", "ug")
    answer = testapp.get(head.select_one('link[rel="manifest"]')["href"])
    assert answer.content_type == "application/manifest+json"
    assert answer.headers["Cache-Control"].startswith("public")
    manifest = json.loads(answer.text)
    assert manifest["name"] != "Safety Portal" and manifest["lang"] == "ug" and manifest["dir"] == "rtl"
    assert manifest["start_url"] == "/" and manifest["theme_color"] == THEME_COLOUR
    sizes = {}
    for icon in manifest["icons"]:
        body = testapp.get(icon["src"]).body
        if icon["type"] == "image/png":
            sizes[icon["sizes"]] = Image.open(BytesIO(body)).size
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}


def test_a_notice_without_a_photo_shows_the_default_image_in_link_previews(testapp, dbsession, units):
    notice = make_notice(dbsession, units["city_a"])
    dbsession.flush()
    head = testapp.get(f"/notices/{notice.id}").html.head
    og = {meta["property"]: meta["content"] for meta in head.select("meta[property]")}
    assert re.fullmatch(r"http://[^/]+/static/img/og-default\.png\?v=[0-9a-f]{12}", og["og:image"])
    assert (og["og:image:type"], og["og:image:width"], og["og:image:height"]) == ("image/png", "1200", "630")
    url = urlsplit(og["og:image"])
    image = testapp.get(f"{url.path}?{url.query}")
    assert Image.open(BytesIO(image.body)).size == (1200, 630)
    assert notice.body.split()[0] in head.select_one('meta[name="description"]')["content"]


def test_the_first_photo_on_the_home_page_is_fetched_first_and_the_rest_lazily(testapp, dbsession, units,
                                                                               registry):
    for minutes in (1, 2, 3):
        notice = make_notice(dbsession, units["city_a"], kind="missing_person", minutes_ago=minutes)
        make_photo(dbsession, registry["media_store"], notice)
    dbsession.flush()
    images = testapp.get("/").html.select("ul.cards img")
    assert len(images) >= 3
    assert (images[0]["loading"], images[0]["fetchpriority"]) == ("eager", "high")
    assert all(image["loading"] == "lazy" and not image.has_attr("fetchpriority") for image in images[1:])
