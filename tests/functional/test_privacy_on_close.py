"""Once a missing-person appeal is closed, no public output carries the person's name or photo."""
from urllib.parse import quote

from portal.media.models import Media
from tests.factories import make_notice, make_units

NAME = "欧阳秀英"


def test_nothing_of_a_closed_appeal_leaves_the_system(testapp, dbsession, registry):
    unit = make_units(dbsession)["city_a"]
    notice = make_notice(dbsession, unit, kind="missing_person", title=f"寻人启事：{NAME}", body=f"{NAME}于昨日走失。")
    notice.missing_person.full_name = NAME
    notice.missing_person.last_seen_place = "人民公园东门"
    key, sha, size = registry["media_store"].put_bytes(b"\xff\xd8\xff photo", ".jpg")
    photo = Media(notice=notice, kind="image", sha256=sha, size=size, content_type="image/jpeg",
                  original_key=key, public_key=key, thumb_key=key, alt_text=NAME)
    dbsession.add(photo)
    dbsession.flush()
    assert NAME in testapp.get(f"/notices/{notice.id}").text  # while published, it is public

    notice.state = "resolved"
    dbsession.flush()

    outputs = {
        "home": testapp.get("/"),
        "list": testapp.get("/notices"),
        "page": testapp.get(f"/notices/{notice.id}"),
        "poster": testapp.get(f"/notices/{notice.id}/poster"),
        "api list": testapp.get("/api/v1/notices"),
        "api detail": testapp.get(f"/api/v1/notices/{notice.id}"),
        "atom": testapp.get("/feeds/notices.atom"),
        "cap": testapp.get(f"/notices/{notice.id}.cap"),
        "cap index": testapp.get("/feeds/notices.cap.atom"),
    }
    for name, response in outputs.items():
        assert NAME not in response.text, name
        assert "人民公园东门" not in response.text, name
        assert f"/media/{photo.id}/" not in response.text, name
    # A search for the name finds nothing (the page only repeats what the visitor typed).
    assert testapp.get("/notices?q=" + quote(NAME)).html.select(".card-title") == []
    assert testapp.get("/api/v1/notices?q=" + quote(NAME)).json["items"] == []
    assert "This appeal has been closed" in outputs["page"].text
    assert '<meta name="robots" content="noindex">' in outputs["page"].text
    for variant in ("public", "thumb"):
        testapp.get(f"/media/{photo.id}/{variant}", status=404)
