import segno

from tests.factories import make_notice, make_units


def test_poster_shows_key_facts_and_a_qr_code_for_the_live_page(testapp, dbsession):
    unit = make_units(dbsession)["city_a"]
    notice = make_notice(dbsession, unit, kind="missing_person", title="寻人启事：李秀英")
    notice.missing_person.clothing = "red coat"
    dbsession.flush()
    page = testapp.get(f"/notices/{notice.id}/poster")
    assert "red coat" in page.text and "寻人启事：李秀英" in page.text and unit.phone_110 in page.text
    qr = page.html.select_one(".poster-qr img")["src"]
    live_url = f"http://portal.test/notices/{notice.id}"
    assert qr == segno.make(live_url, error="q").svg_data_uri(scale=6, border=2)  # encodes exactly that URL
    assert live_url in page.text
    assert 'href="tel:110"' in page.text
    assert f"/notices/{notice.id}/poster" in testapp.get(f"/notices/{notice.id}").text


def test_no_poster_for_unpublished_notices(testapp, dbsession):
    notice = make_notice(dbsession, make_units(dbsession)["city_a"], state="draft")
    testapp.get(f"/notices/{notice.id}/poster", status=404)
