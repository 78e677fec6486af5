"""Sightings: the public sends a clue on a published notice; moderators of the notice's unit (and
above) work it through their queue; the contact is shown only on request, with a reason, audited."""
import io
import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select
from webtest import Upload

from portal.audit.models import AuditEvent
from portal.core.localtime import LOCAL_TZ
from portal.media.models import Media
from portal.privacy.models import Receipt
from portal.sightings.models import Sighting
from tests.factories import jpeg_bytes, make_notice, make_officer, make_photo, make_sighting
from tests.functional.helpers import login

PHONE = "13912345678"
CONTACT_NAME = "Wang Xiaoming"
TEXT = "A girl in a red coat waited at the number 5 bus stop, then walked north."


@pytest.fixture
def notice(dbsession, units):
    return make_notice(dbsession, units["city_a"], kind="missing_person", title="Missing: Zhang Lan, 9")


def gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyPhone"  # camera make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 1.0)}  # GPS position
    return jpeg_bytes(size=(64, 48), exif=exif.tobytes())


def local_input(moment: datetime) -> str:
    """What a datetime-local input sends, in the time people read on their clocks."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def counts(dbsession, media_dir):
    rows = [dbsession.execute(select(func.count()).select_from(m)).scalar_one() for m in (Sighting, Media, AuditEvent)]
    files = sum(len(names) for _, _, names in os.walk(media_dir))
    return rows + [files]


def fill(form, **values):
    defaults = {"seen_at": local_input(datetime.now(UTC) - timedelta(hours=2)), "place": "Bus stop, Renmin Road",
                "text": TEXT}
    for name, value in {**defaults, **values}.items():
        form[name] = value
    return form


def sightings_of(dbsession, notice):
    return dbsession.execute(select(Sighting).where(Sighting.notice_id == notice.id).order_by(Sighting.id)).scalars().all()


# --- the public form -------------------------------------------------------------------------------


def test_form_names_the_notice_and_marks_the_contact_as_police_only(testapp, dbsession, notice):
    make_sighting(dbsession, notice, text="Another person's clue about the station")
    page = testapp.get(f"/notices/{notice.id}/sightings/new")
    assert "Missing: Zhang Lan, 9" in page.text
    assert "Only the police see this" in page.text
    assert "Another person's clue" not in page.text
    photo = page.html.select_one('input[type="file"]')
    assert (photo["name"], photo["accept"], photo["capture"]) == ("photo", "image/*", "environment")
    assert 'href="tel:110"' in page.text  # the fallbacks stay


def test_sighting_without_photo_or_contact_is_stored_and_thanked(testapp, dbsession, notice, units):
    seen = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=3)
    form = fill(testapp.get(f"/notices/{notice.id}/sightings/new").forms["deform"], seen_at=local_input(seen))
    thanks = form.submit("send", status=200)
    assert "Thank you" in thanks.text and "Missing: Zhang Lan, 9" in thanks.text
    assert thanks.headers["Cache-Control"] == "no-store"  # the receipt code is shown once
    assert TEXT not in thanks.text and "Renmin Road" not in thanks.text
    (sighting,) = sightings_of(dbsession, notice)
    assert (sighting.state, sighting.unit_id, sighting.text, sighting.place) == (
        "received", units["city_a"].id, TEXT, "Bus stop, Renmin Road")
    assert sighting.seen_at == seen
    assert sighting.contact is None and sighting.media_id is None and sighting.lat is None
    event = dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (event.action, event.actor, event.object_type, event.object_id, event.to_state) == (
        "sighting.received", "public", "sighting", str(sighting.id), "received")
    assert TEXT not in event.reason


def test_sighting_with_a_point_photo_and_contact(testapp, dbsession, registry, notice):
    original = gps_jpeg()
    form = fill(testapp.get(f"/notices/{notice.id}/sightings/new").forms["deform"], place="",
                lat="38.0412", lon="114.5149", accuracy_m="25", name=CONTACT_NAME, phone=PHONE)
    form["photo"] = Upload("IMG_0042.jpg", original, "image/jpeg")
    form.submit("send", status=200)
    (sighting,) = sightings_of(dbsession, notice)
    assert (sighting.lat, sighting.lon, sighting.accuracy_m, sighting.place) == (38.0412, 114.5149, 25.0, "")
    # The contact is sealed: not readable in the row, readable with the key.
    assert PHONE not in sighting.contact and CONTACT_NAME not in sighting.contact
    assert json.loads(registry["field_cipher"].decrypt(sighting.contact, "sighting.contact")) == {
        "name": CONTACT_NAME, "phone": PHONE}
    media = sighting.media
    assert media.notice_id is None
    dbsession.refresh(notice)
    assert media not in notice.media
    store = registry["media_store"]
    with store.open(media.original_key) as kept:
        assert kept.read() == original  # the evidence is kept unchanged
    with store.open(media.public_key) as public:
        copy = public.read()
    assert b"SpyPhone" not in copy
    with Image.open(io.BytesIO(copy)) as image:
        assert "exif" not in image.info and not image.getexif()
    # Not part of the notice, so never served to the public.
    testapp.get(f"/media/{media.id}/public", status=404)
    testapp.get(f"/media/{media.id}/thumb", status=404)
    assert PHONE not in testapp.get(f"/notices/{notice.id}").text


def test_a_phone_sized_photo_passes_the_ordinary_form_size_limit(testapp, dbsession, registry, notice):
    out = io.BytesIO()
    Image.effect_noise((900, 900), 120).convert("RGB").save(out, "JPEG", quality=95)
    assert len(out.getvalue()) > int(registry.settings["portal.max_form_bytes"])
    form = fill(testapp.get(f"/notices/{notice.id}/sightings/new").forms["deform"])
    form["photo"] = Upload("big.jpg", out.getvalue(), "image/jpeg")
    form.submit("send", status=200)
    (sighting,) = sightings_of(dbsession, notice)
    assert sighting.media.size == len(out.getvalue())
    assert max(sighting.media.width, sighting.media.height) <= 1024  # the public copy is resized


@pytest.mark.parametrize("state", ["draft", "in_review", "retracted", "expired", "resolved"])
def test_only_published_notices_take_sightings(testapp, dbsession, units, state):
    hidden = make_notice(dbsession, units["city_a"], state=state, title="Hidden notice")
    page = testapp.get(f"/notices/{hidden.id}/sightings/new", status=404)
    assert "Hidden notice" not in page.text


def test_a_closed_appeal_takes_no_sightings(testapp, dbsession, registry, notice):
    notice.state = "resolved"
    dbsession.flush()
    page = testapp.get(f"/notices/{notice.id}/sightings/new", status=404)
    assert "This appeal has been closed" in page.text
    assert "Zhang Lan" not in page.text and 'href="tel:110"' in page.text
    before = counts(dbsession, registry.settings["portal.media_dir"])
    # A form opened before the appeal closed is refused too.
    open_notice = make_notice(dbsession, notice.unit)
    token = testapp.get(f"/notices/{open_notice.id}/sightings/new").forms["deform"]["csrf_token"].value
    refused = testapp.post(f"/notices/{notice.id}/sightings/new", {"csrf_token": token, "text": TEXT}, status=404)
    assert "This appeal has been closed" in refused.text
    assert counts(dbsession, registry.settings["portal.media_dir"]) == before


FUTURE = local_input(datetime.now(UTC) + timedelta(hours=2))
ANCIENT = local_input(datetime.now(UTC) - timedelta(days=11 * 365))


@pytest.mark.parametrize("values,photo,message", [
    ({"seen_at": FUTURE}, None, "cannot be in the future"),
    ({"seen_at": ANCIENT}, None, "within the last ten years"),
    ({"seen_at": "yesterday"}, None, "Invalid date"),
    ({"seen_at": ""}, None, "Required"),
    ({"text": ""}, None, "Required"),
    ({"text": "x" * 4001}, None, "under 4000 characters"),
    ({"lat": "91", "lon": "114.5"}, None, "Latitude is between -90 and 90"),
    ({"lat": "38.0"}, None, "both latitude and longitude"),
    ({"place": ""}, None, "Say where"),
    ({"phone": "call me maybe"}, None, "digits only"),
    ({}, ("notes.txt", b"this is not a photo at all", "image/jpeg"), "not a photo"),
    ({}, ("empty.jpg", b"", "image/jpeg"), "is empty"),
    ({}, ("broken.jpg", jpeg_bytes()[:60], "image/jpeg"), "not a photo we can read"),
])
def test_bad_input_is_refused_with_the_form_kept_and_nothing_stored(testapp, dbsession, registry, notice, values,
                                                                      photo, message):
    media_dir = registry.settings["portal.media_dir"]
    before = counts(dbsession, media_dir)
    form = fill(testapp.get(f"/notices/{notice.id}/sightings/new").forms["deform"], name=CONTACT_NAME, **values)
    if photo:
        form["photo"] = Upload(*photo)
    page = form.submit("send", status=400)
    assert message in page.text
    kept = page.forms["deform"]
    assert kept["name"].value == CONTACT_NAME
    assert kept["text"].value == values.get("text", TEXT)
    assert kept["place"].value == values.get("place", "Bus stop, Renmin Road")
    assert 'href="tel:110"' in page.text
    assert counts(dbsession, media_dir) == before


def test_two_photos_are_refused(testapp, dbsession, registry, notice):
    before = counts(dbsession, registry.settings["portal.media_dir"])
    page = testapp.get(f"/notices/{notice.id}/sightings/new")
    token = page.forms["deform"]["csrf_token"].value
    fields = [("csrf_token", token), ("__formid__", "deform"), ("seen_at", local_input(datetime.now(UTC))),
              ("__start__", "where:mapping"), ("place", "Park"), ("__end__", "where:mapping"), ("text", TEXT),
              ("send", "send")]
    page = testapp.post(f"/notices/{notice.id}/sightings/new", fields, status=400,
                        upload_files=[("photo", "a.jpg", jpeg_bytes()), ("photo", "b.jpg", jpeg_bytes())])
    assert "At most 1 photos" in page.text
    assert counts(dbsession, registry.settings["portal.media_dir"]) == before


def test_the_honeypot_pretends_success_and_keeps_nothing(testapp, dbsession, registry, notice):
    before = counts(dbsession, registry.settings["portal.media_dir"])
    form = fill(testapp.get(f"/notices/{notice.id}/sightings/new").forms["deform"], website="http://spam.example")
    page = form.submit("send", status=200)
    assert page.html.select_one(".receipt-code")  # looks like success
    assert counts(dbsession, registry.settings["portal.media_dir"]) == before
    assert dbsession.execute(select(func.count()).select_from(Receipt)).scalar_one() == 0


def test_many_sightings_from_one_address_get_429(testapp, dbsession, registry, notice, monkeypatch):
    monkeypatch.setitem(registry.settings, "portal.sighting.rate_per_hour", "2")
    for _ in range(2):
        fill(testapp.get(f"/notices/{notice.id}/sightings/new").forms["deform"]).submit("send", status=200)
    before = counts(dbsession, registry.settings["portal.media_dir"])
    form = fill(testapp.get(f"/notices/{notice.id}/sightings/new").forms["deform"])
    page = form.submit("send", status=429)
    assert "Many reports have been sent from this address" in page.text
    assert int(page.headers["Retry-After"]) > 0
    assert page.forms["deform"]["text"].value == form["text"].value  # what was typed is kept
    assert 'href="tel:110"' in page.text and 'href="tel:122"' in page.text
    assert counts(dbsession, registry.settings["portal.media_dir"]) == before
    # Another address is not affected.
    other = fill(testapp.get(f"/notices/{notice.id}/sightings/new").forms["deform"])
    other.submit("send", status=200, extra_environ={"REMOTE_ADDR": "198.51.100.9"})


def test_a_post_without_the_csrf_token_is_refused(testapp, dbsession, registry, notice):
    before = counts(dbsession, registry.settings["portal.media_dir"])
    testapp.post(f"/notices/{notice.id}/sightings/new", {"text": TEXT, "place": "x"}, status=400)
    assert counts(dbsession, registry.settings["portal.media_dir"]) == before


# --- the moderators' queue ------------------------------------------------------------------------


@pytest.fixture
def officers(dbsession, units):
    return {
        "city": make_officer(dbsession, units["city_a"], ["moderator"], username="mod_city_a"),
        "province": make_officer(dbsession, units["province"], ["moderator"], username="mod_province"),
        "unrelated": make_officer(dbsession, units["city_b"], ["moderator"], username="mod_city_b"),
        "handler": make_officer(dbsession, units["city_a"], ["handler"], username="handler_city_a"),
    }


@pytest.fixture
def sighting(dbsession, registry, notice):
    return make_sighting(dbsession, notice, cipher=registry["field_cipher"],
                         contact=json.dumps({"name": CONTACT_NAME, "phone": PHONE}),
                         lat=38.0412, lon=114.5149, accuracy_m=30.0, text="Seen near the station clock",
                         media=make_photo(dbsession, registry["media_store"]))


@pytest.mark.parametrize("who", ["city", "province"])
def test_moderators_of_the_unit_and_above_see_it(testapp, officers, sighting, who):
    login(testapp, officers[who].username)
    queue = testapp.get("/staff/sightings")
    assert "Seen near the station clock" in queue.text
    assert PHONE not in queue.text and CONTACT_NAME not in queue.text
    page = testapp.get(f"/staff/sightings/{sighting.id}")
    assert "Missing: Zhang Lan, 9" in page.text and "Seen near the station clock" in page.text
    assert "38.041200, 114.514900" in page.text and 'href="geo:38.0412,114.5149"' in page.text
    # The point on the portal's own map: local scripts only, no external map service.
    assert page.html.select_one("[data-point-map]")["data-lat"] == "38.0412"
    assert all(script["src"].startswith("/static/") for script in page.html.select("main script"))
    assert not page.html.select("main script:not([src])")
    assert PHONE not in page.text and CONTACT_NAME not in page.text
    photo = testapp.get(f"/staff/sightings/{sighting.id}/photo")
    assert photo.content_type == "image/jpeg" and photo.body.startswith(b"\xff\xd8")
    assert "no-store" in photo.headers["Cache-Control"]


def test_an_unrelated_units_moderator_sees_nothing(testapp, officers, sighting):
    login(testapp, officers["unrelated"].username)
    assert "Seen near the station clock" not in testapp.get("/staff/sightings").text
    testapp.get(f"/staff/sightings/{sighting.id}", status=403)
    testapp.get(f"/staff/sightings/{sighting.id}/photo", status=403)


def test_a_handler_has_no_sighting_queue(testapp, officers, sighting):
    login(testapp, officers["handler"].username)
    testapp.get("/staff/sightings", status=403)
    testapp.get(f"/staff/sightings/{sighting.id}", status=403)


def test_queue_filters_counts_and_pages(testapp, dbsession, units, officers, notice):
    other = make_notice(dbsession, units["county_a"], title="Stolen van")
    for i in range(53):
        make_sighting(dbsession, notice, text=f"clue {i:02d}")
    make_sighting(dbsession, other, text="van clue", state="reviewed")
    make_sighting(dbsession, make_notice(dbsession, units["city_b"]), text="city B clue")
    login(testapp, officers["city"].username)
    page = testapp.get("/staff/sightings")
    counts_shown = {li.get_text(" ", strip=True) for li in page.html.select(".state-counts li")}
    assert {"53 received", "1 reviewed", "0 forwarded", "0 closed"} <= counts_shown
    seen = []
    while True:
        seen += [row.select("td")[-1].get_text(" ", strip=True) for row in page.html.select("table.sightings tbody tr")]
        link = page.html.select_one('a[rel="next"]')
        if link is None:
            break
        page = testapp.get(link["href"])
    assert len(seen) == 54 and len(set(seen)) == 54
    assert seen[0].startswith("van clue")  # newest first
    assert not any("city B" in text for text in seen)
    reviewed = testapp.get("/staff/sightings?state=reviewed")
    assert "van clue" in reviewed.text and "clue 00" not in reviewed.text
    by_notice = testapp.get(f"/staff/sightings?notice={other.id}")
    assert "van clue" in by_notice.text and "clue 01" not in by_notice.text
    testapp.get("/staff/sightings?state=lost", status=400)
    testapp.get("/staff/sightings?notice=abc", status=400)
    assert "not valid" in testapp.get("/staff/sightings?page=%%%", status=400).text


def _step(testapp, sighting_id, step, reason, status=303):
    page = testapp.get(f"/staff/sightings/{sighting_id}")
    form = next(f for f in page.forms.values() if f.fields.get("step") and f["step"].value == step)
    form["reason"] = reason
    return form.submit(status=status)


def last_event(dbsession):
    return dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()


def test_review_forward_close_each_with_a_reason(testapp, dbsession, officers, sighting):
    login(testapp, officers["city"].username)
    for step, state, reason in [("review", "reviewed", "Clock is on the station square; matches."),
                                ("forward", "forwarded", "To the Hekou patrol team."),
                                ("close", "closed", "Patrol checked the square.")]:
        page = _step(testapp, sighting.id, step, reason).follow()
        assert f"the sighting is now {state}" in page.text
        dbsession.refresh(sighting)
        assert (sighting.state, sighting.reason) == (state, reason)
        event = last_event(dbsession)
        assert (event.action, event.actor, event.object_id, event.to_state, event.reason) == (
            f"sighting.{step}", "officer:mod_city_a", str(sighting.id), state, reason)
    closed = testapp.get(f"/staff/sightings/{sighting.id}")
    assert not [f for f in closed.forms.values() if f.fields.get("step")]


def test_close_straight_from_received(testapp, dbsession, officers, sighting):
    login(testapp, officers["province"].username)
    _step(testapp, sighting.id, "close", "Duplicate of an earlier call.")
    dbsession.refresh(sighting)
    assert sighting.state == "closed"


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_step_without_a_reason_is_refused(testapp, dbsession, officers, sighting, reason):
    login(testapp, officers["city"].username)
    before = dbsession.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    page = _step(testapp, sighting.id, "review", reason, status=400)
    assert "Give a reason" in page.text
    dbsession.refresh(sighting)
    assert sighting.state == "received"
    assert dbsession.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == before


def test_a_step_not_open_from_the_state_is_refused(testapp, dbsession, officers, sighting):
    login(testapp, officers["city"].username)
    page = testapp.get(f"/staff/sightings/{sighting.id}")
    token = page.forms[1]["csrf_token"].value
    refused = testapp.post(f"/staff/sightings/{sighting.id}",
                           {"csrf_token": token, "action": "step", "step": "forward", "reason": "skip review"},
                           status=400)
    assert "not possible any more" in refused.text
    dbsession.refresh(sighting)
    assert sighting.state == "received"


def test_show_contact_needs_a_reason_and_is_audited(testapp, dbsession, officers, sighting):
    login(testapp, officers["city"].username)
    page = testapp.get(f"/staff/sightings/{sighting.id}")
    form = next(f for f in page.forms.values() if f.fields.get("action") and f["action"].value == "reveal")
    before = dbsession.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    form["reason"] = "why"
    refused = form.submit(status=400)
    assert PHONE not in refused.text and "at least 5 characters" in refused.text
    assert dbsession.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == before
    form = next(f for f in refused.forms.values() if f.fields.get("action") and f["action"].value == "reveal")
    form["reason"] = "Calling back to ask which way she walked"
    shown = form.submit(status=200)
    assert PHONE in shown.text and CONTACT_NAME in shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    event = last_event(dbsession)
    assert (event.action, event.actor, event.object_type, event.object_id) == (
        "protected.reveal", "officer:mod_city_a", "sighting", str(sighting.id))
    assert event.reason == "sighting.contact: Calling back to ask which way she walked"
    # Shown in that one response only.
    again = testapp.get(f"/staff/sightings/{sighting.id}")
    assert PHONE not in again.text and CONTACT_NAME not in again.text


def test_a_sighting_without_contact_or_photo(testapp, dbsession, officers, notice):
    bare = make_sighting(dbsession, notice, text="Bare clue")
    login(testapp, officers["city"].username)
    page = testapp.get(f"/staff/sightings/{bare.id}")
    assert "The person left no contact." in page.text and "Show contact" not in page.text
    testapp.get(f"/staff/sightings/{bare.id}/photo", status=404)


def test_the_whole_journey_from_public_form_to_queue(testapp, dbsession, officers, notice):
    form = fill(testapp.get(f"/notices/{notice.id}/sightings/new").forms["deform"], name=CONTACT_NAME, phone=PHONE)
    form["photo"] = Upload("p.jpg", gps_jpeg(), "image/jpeg")
    form.submit("send", status=200)
    (sighting,) = sightings_of(dbsession, notice)
    login(testapp, officers["city"].username)
    queue = testapp.get("/staff/sightings?state=received")
    assert TEXT[:40] in queue.text and PHONE not in queue.text
    page = testapp.get(f"/staff/sightings/{sighting.id}")
    assert PHONE not in page.text
    assert testapp.get(f"/staff/sightings/{sighting.id}/photo").body.startswith(b"\xff\xd8")


@pytest.mark.parametrize("lat,lon", [("NaN", "NaN"), ("inf", "115"), ("38", "-Infinity")])
def test_a_point_that_is_no_number_is_refused_and_the_form_kept(testapp, dbsession, registry, notice, lat, lon):
    before = counts(dbsession, registry.settings["portal.media_dir"])
    form = fill(testapp.get(f"/notices/{notice.id}/sightings/new").forms["deform"])
    form["lat"].force_value(lat)
    form["lon"].force_value(lon)
    page = form.submit("send", status=400)
    shown = " ".join(page.html.get_text().split())
    # NaN passes colander's range check; the position validator names it. Infinity is out of range.
    assert any(words in shown for words in ("is not a number.", "between -90 and 90", "between -180 and 180"))
    assert TEXT in page.text
    assert counts(dbsession, registry.settings["portal.media_dir"]) == before


def test_a_file_part_or_a_nul_in_the_sighting_forms(testapp, dbsession, officers, sighting):
    """The fields are read through the forms: a file where the reason goes is a 400 with nothing
    saved and no contact shown; a NUL in a reason is dropped and the step taken."""
    login(testapp, officers["city"].username)
    url = f"/staff/sightings/{sighting.id}"
    token = testapp.get(url).forms[1]["csrf_token"].value
    before = dbsession.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    for action, extra in (("step", [("step", "review")]), ("reveal", [])):
        refused = testapp.post(url, [("csrf_token", token), ("action", action), *extra,
                                     ("reason", Upload("r.txt", b"Calling back to ask\x00"))], status=400)
        assert "Sighting" in refused.text and PHONE not in refused.text
        assert "Type this as text: a file cannot go here." in refused.text
    dbsession.refresh(sighting)
    assert sighting.state == "received"
    assert dbsession.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == before
    shown = testapp.post(url, {"csrf_token": token, "action": "reveal", "reason": "Calling\x00 back to ask"},
                         status=200)
    assert PHONE in shown.text and last_event(dbsession).reason == "sighting.contact: Calling back to ask"
    page = testapp.post(url, {"csrf_token": token, "action": "step", "step": "review", "reason": "Checked\x00 it"},
                        status=303).follow()
    assert "the sighting is now reviewed" in page.text
    dbsession.refresh(sighting)
    assert (sighting.state, sighting.reason) == ("reviewed", "Checked it")

