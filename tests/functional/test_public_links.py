"""Every absolute link the portal writes starts with portal.public_url ("http://portal.test" in the
tests), never with the request's Host header: a forged Host reaches no feed, CAP message, notice page
(canonical, share links, Open Graph, JSON-LD), poster QR code, API answer or SMS text (issue 10,
finding 9)."""
import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote

import pytest
import segno

from portal.media.models import Media
from tests.factories import make_notice

EVIL = {"HTTP_HOST": "evil.example"}
BASE = "http://portal.test"


@pytest.fixture
def notice(dbsession, registry, units):
    notice = make_notice(dbsession, units["city_a"], kind="wanted", title="Wanted: robbery suspect", minutes_ago=5)
    key, sha, size = registry["media_store"].put_bytes(b"\xff\xd8\xff\xe0 fake jpeg", ".jpg")
    dbsession.add(Media(notice=notice, kind="image", sha256=sha, size=size, content_type="image/jpeg",
                        original_key=key, public_key=key, thumb_key=key, alt_text="Photo"))
    dbsession.flush()
    return notice


def absolute_links(text: str) -> set[str]:
    return set(re.findall(r"https?://[^\s\"'<>,\\]+", unquote(text)))


def only_ours(text: str):
    assert "evil.example" not in text and "evil.example" not in unquote(text)
    links = absolute_links(text) - {"http://www.w3.org/2005/Atom", "http://www.w3.org/2000/svg", "https://schema.org"}
    assert links and all(link.startswith(BASE + "/") or link == BASE for link in links), links


@pytest.mark.parametrize("path", ["/feeds/notices.atom", "/feeds/notices.cap.atom", "/notices/{id}.cap",
                                  "/notices/{id}", "/notices/{id}/poster", "/api/v1/notices",
                                  "/api/v1/notices/{id}", "/api/openapi.json"])
def test_a_forged_host_reaches_no_link(testapp, notice, path):
    response = testapp.get(path.format(id=notice.id), extra_environ=EVIL)
    only_ours(response.text)


def test_cap_and_atom_name_the_public_site(testapp, notice):
    cap = ET.fromstring(testapp.get(f"/notices/{notice.id}.cap", extra_environ=EVIL).body)
    ns = "{urn:oasis:names:tc:emergency:cap:1.2}"
    assert cap.find(ns + "sender").text == "safety-portal@portal.test"
    assert cap.find(f"{ns}info/{ns}web").text == f"{BASE}/notices/{notice.id}"
    atom = ET.fromstring(testapp.get("/feeds/notices.atom", extra_environ=EVIL).body)
    ns = "{http://www.w3.org/2005/Atom}"
    assert atom.find(ns + "id").text == "tag:portal.test,2026:notices"
    assert atom.find(f"{ns}link[@rel='self']").get("href") == f"{BASE}/feeds/notices.atom"


def test_the_notice_page_links_and_metadata_use_the_public_address(testapp, notice):
    page = testapp.get(f"/notices/{notice.id}", extra_environ=EVIL)
    url = f"{BASE}/notices/{notice.id}"
    assert page.html.select_one("link[rel=canonical]")["href"] == url
    og = {m["property"]: m["content"] for m in page.html.select("meta[property]")}
    assert og["og:url"] == url and og["og:image"].startswith(f"{BASE}/media/")
    data = json.loads(page.html.select_one("script[type='application/ld+json']").string)
    assert data["url"] == url and all(image.startswith(f"{BASE}/media/") for image in data["image"])
    sms = next(a["href"] for a in page.html.select("a[href]") if a["href"].startswith("sms:?"))  # share, not the 12110 fallback
    assert url in unquote(sms)


def test_the_poster_qr_code_encodes_the_public_address(testapp, notice):
    page = testapp.get(f"/notices/{notice.id}/poster", extra_environ=EVIL)
    url = f"{BASE}/notices/{notice.id}"
    # The QR image is exactly the one for the public URL (segno's output is deterministic).
    assert page.html.select_one(".poster-qr img")["src"] == segno.make(url, error="q").svg_data_uri(scale=6, border=2)
    assert page.html.select_one(".poster-url").text == url


def test_the_alarm_embed_links_to_the_public_page(testapp):
    page = testapp.get("/embed/alarm", extra_environ=EVIL)
    assert page.html.select_one(".full-page a")["href"] == f"{BASE}/alarm"
