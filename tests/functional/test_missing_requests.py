"""A family asks for a missing-person appeal; the command center verifies, publishes and closes it.

Walks the real forms: the public request form with photos, the receipt and /status, the
dispatcher's queue, checklist and steps, and every public output before and after closing."""
import io
import os
import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from PIL import Image
from sqlalchemy import func, select
from webtest import Upload

from portal.audit.models import AuditEvent
from portal.core.localtime import LOCAL_TZ
from portal.core.meta import utcnow
from portal.media.models import Media
from portal.missing.models import MissingPersonRequest
from portal.notices.cap import CAP
from portal.notices.feeds import ATOM, atom_time
from portal.notices.models import Notice
from portal.privacy.models import Receipt
from tests.factories import make_officer, make_units
from tests.functional.helpers import login
from tests.images import GPS_MARKER, jpeg_with_gps, png, png_claiming

NAME = "欧阳小梅"
PLACE = "人民公园东门"
FAMILY_NAME = "Qiao Familycontact"
FAMILY_PHONE = "139 1234 5678"


@pytest.fixture
def world(dbsession):
    units = make_units(dbsession)
    officers = {
        "dispatcher": make_officer(dbsession, units["city_a"], ["dispatcher"], username="dispatch_a"),
        "unrelated_dispatcher": make_officer(dbsession, units["city_b"], ["dispatcher"], username="dispatch_b"),
        "moderator": make_officer(dbsession, units["city_a"], ["moderator"], username="mod_a"),
    }
    return units, officers


def local(moment) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def fill(form, units, **changes):
    values = {
        "unit_id": str(units["county_a"].id), "unit_phone": "0311-1234567", "receipt_no": "JJ2026-000123",
        "name": FAMILY_NAME, "phone": FAMILY_PHONE, "relationship": "mother",
        "full_name": NAME, "sex": "female", "age_min": "9", "age_max": "9", "height_min_cm": "125", "height_max_cm": "135",
        "build": "slim", "hair": "black, ponytail", "clothing": "red coat, blue jeans",
        "distinguishing_marks": "scar above the left eyebrow", "last_seen_at": local(utcnow() - timedelta(hours=5)),
        "place": PLACE, "lat": "38.04", "lon": "114.51", "circumstances": "Left school at 16:30 and did not come home.",
    }
    values.update(changes)
    for name, value in values.items():
        if name == "unit_id" and value not in {o[0] for o in form[name].options}:
            form[name].force_value(value)
        else:
            form[name] = value
    return form


def send(testapp, form, photos=(), status="*"):
    """Submit the Deform form with files under "photos", as a browser's multiple file input does."""
    fields = [(name, value) for name, value in form.submit_fields("send") if name != "photos"]
    fields += [("photos", Upload(filename, data, "image/jpeg")) for filename, data in photos]
    return testapp.post("/missing/new", fields, content_type="multipart/form-data", status=status)


def receipt_code(page) -> str:
    return re.search(r'class="copyable">([0-9 ]+)<', page.text).group(1)


def count(dbsession, model):
    return dbsession.execute(select(func.count()).select_from(model)).scalar_one()


def stored_state(dbsession, registry):
    media_dir = registry.settings["portal.media_dir"]
    files = sorted(os.path.join(root, name) for root, _dirs, names in os.walk(media_dir) for name in names)
    return [count(dbsession, m) for m in (Notice, MissingPersonRequest, Media, Receipt, AuditEvent)], files


def status_of(testapp, code, status=200):
    form = testapp.get("/status").forms["deform"]
    form["code"] = code
    return form.submit("show", status=status)


def msg_type(response) -> str:
    return ElementTree.fromstring(response.body).find(f"{{{CAP}}}msgType").text


def atom_entry(response, notice_id):
    entries = ElementTree.fromstring(response.body).findall(f"{{{ATOM}}}entry")
    return next(e for e in entries if e.find(f"{{{ATOM}}}id").text.endswith(f"notice-{notice_id}"))


def staff_form(page, form_id):
    return page.forms[form_id]


def test_family_request_is_verified_published_and_closed(testapp, dbsession, registry, world):
    units, officers = world
    # The family files the request with two photos.
    page = testapp.get("/missing/new")
    assert "Only requests for reports the police have already accepted are published." in page.text
    assert "up to 8" in page.text and 'multiple accept="image/' in page.text
    form = fill(page.forms["deform"], units)
    submitted = send(testapp, form, photos=[("phone.jpg", jpeg_with_gps((800, 600))), ("two.png", png((60, 80)))])
    assert submitted.status_int == 200, submitted.text[:3000]
    code = receipt_code(submitted)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", code)
    assert "Write this code down" in submitted.text and "/status" in submitted.text
    assert "no-store" in submitted.headers["Cache-Control"]
    for secret in (FAMILY_NAME, FAMILY_PHONE):
        assert secret not in submitted.text

    mr = dbsession.execute(select(MissingPersonRequest)).scalar_one()
    notice = mr.notice
    assert (mr.state, notice.state, notice.kind) == ("submitted", "draft", "missing_person")
    assert mr.command_unit_id == units["city_a"].id  # the county's nearest command center
    assert FAMILY_PHONE not in mr.family_contact and FAMILY_NAME not in mr.family_contact  # sealed
    assert notice.missing_person.full_name == NAME and notice.missing_person.height_max_cm == 135
    photos = sorted(notice.media, key=lambda m: m.position)
    assert [m.content_type for m in photos] == ["image/jpeg", "image/png"]
    receipt = dbsession.execute(select(Receipt)).scalar_one()
    assert (receipt.subject_type, receipt.subject_id) == ("missing_request", mr.id)
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "missing_request.submitted")).scalar_one()
    assert NAME not in event.reason and FAMILY_PHONE not in event.reason
    # Nothing is public before verification.
    testapp.get(f"/notices/{notice.id}", status=404)
    testapp.get(f"/media/{photos[0].id}/public", status=404)
    assert NAME not in testapp.get("/feeds/notices.atom").text
    assert "Received: waiting for the police to verify it" in status_of(testapp, code).text

    # The dispatcher of city A's command center verifies and publishes.
    login(testapp, officers["dispatcher"].username)
    queue = testapp.get("/staff/missing")
    assert NAME in queue.text and "JJ2026-000123" in queue.text
    page = testapp.get(f"/staff/missing/{mr.id}")
    for secret in (FAMILY_NAME, FAMILY_PHONE):
        assert secret not in page.text
    thumb = testapp.get(f"/staff/missing/photos/{photos[0].id}?size=thumb")
    assert thumb.content_type == "image/jpeg" and GPS_MARKER not in thumb.body
    page = staff_form(page, "step-start_verifying").submit().follow()
    assert "Verification started" in page.text

    refused = staff_form(page, "step-publish").submit(status=400)
    assert "cannot be published until the checklist is complete" in refused.text
    assert dbsession.get(MissingPersonRequest, mr.id).state == "verifying"

    checklist = staff_form(page, "checklist-form")
    checklist["family_confirmed"] = True
    checklist["unit_confirmed"] = True
    checklist["verification_how"] = "Called the mother and the county duty desk."
    page = checklist.submit().follow()
    assert "Checklist saved." in page.text
    assert mr.verified_by_id == officers["dispatcher"].id and mr.verified_at is not None
    page = staff_form(page, "step-publish").submit().follow()
    assert "Published" in page.text
    assert (mr.state, notice.state) == ("published", "published")
    assert notice.verified_by_unit_id == units["city_a"].id and notice.verified_at is not None
    assert notice.published_at is not None
    testapp.reset()  # the public view, without the staff session

    public = testapp.get(f"/notices/{notice.id}")
    assert NAME in public.text and PLACE in public.text
    assert "Verified by City A on" in public.text  # the badge of the verifying command center
    assert f"/media/{photos[0].id}/public" in public.text
    public_copy = testapp.get(f"/media/{photos[0].id}/public")
    assert GPS_MARKER not in public_copy.body and not Image.open(io.BytesIO(public_copy.body)).getexif()
    assert NAME in testapp.get("/feeds/notices.atom").text
    assert notice.id in [item["id"] for item in testapp.get("/api/v1/notices").json["items"]]
    cap = testapp.get(f"/notices/{notice.id}.cap")
    assert msg_type(cap) == "Alert" and NAME in cap.text
    published = status_of(testapp, code)
    assert "Published" in published.text and f'href="/notices/{notice.id}"' in published.text

    # Found: the dispatcher closes the appeal.
    login(testapp, officers["dispatcher"].username)
    page = testapp.get(f"/staff/missing/{mr.id}")
    refused = staff_form(page, "step-resolve").submit(status=400)
    assert "Give a reason." in refused.text and mr.state == "published"
    resolve = staff_form(page, "step-resolve")
    resolve["reason"] = "Found safe at her aunt's home."
    resolve.submit().follow()
    assert (mr.state, notice.state) == ("resolved", "resolved") and notice.resolved_at is not None
    testapp.reset()

    outputs = {
        "page": testapp.get(f"/notices/{notice.id}"),
        "home": testapp.get("/"),
        "list": testapp.get("/notices"),
        "atom": testapp.get("/feeds/notices.atom"),
        "api list": testapp.get("/api/v1/notices"),
        "api detail": testapp.get(f"/api/v1/notices/{notice.id}", status="*"),
        "cap": testapp.get(f"/notices/{notice.id}.cap"),
        "cap index": testapp.get("/feeds/notices.cap.atom"),
    }
    for name, response in outputs.items():
        assert NAME not in response.text, name
        assert PLACE not in response.text, name
        assert f"/media/{photos[0].id}/" not in response.text, name
    assert "This appeal has been closed" in outputs["page"].text
    assert msg_type(outputs["cap"]) == "Cancel"
    entry = atom_entry(outputs["atom"], notice.id)  # feed readers see the appeal change to closed
    assert entry.find(f"{{{ATOM}}}title").text == "This appeal has been closed"
    assert notice.updated_at == notice.resolved_at > notice.published_at
    assert entry.find(f"{{{ATOM}}}updated").text == atom_time(notice.resolved_at)
    for photo in photos:
        for variant in ("public", "thumb"):
            testapp.get(f"/media/{photo.id}/{variant}", status=404)
    assert "Closed: the appeal has ended" in status_of(testapp, code).text
    actions = dbsession.execute(select(AuditEvent.action).where(AuditEvent.object_type == "missing_request")
                                .order_by(AuditEvent.id)).scalars().all()
    assert actions == ["missing_request.submitted", "missing_request.start_verifying", "missing_request.checklist",
                       "missing_request.publish", "missing_request.resolve"]


@pytest.fixture
def submitted_request(testapp, dbsession, world):
    """A request as the family sent it, through the form; returns (request row, receipt code)."""
    units, _officers = world
    form = fill(testapp.get("/missing/new").forms["deform"], units)
    code = receipt_code(send(testapp, form, photos=[("one.png", png())], status=200))
    testapp.reset()
    return dbsession.execute(select(MissingPersonRequest)).scalar_one(), code


def test_dispatcher_rejects_with_a_reason_and_the_family_sees_it(testapp, dbsession, world, submitted_request):
    mr, code = submitted_request
    login(testapp, world[1]["dispatcher"].username)
    page = testapp.get(f"/staff/missing/{mr.id}")
    refused = staff_form(page, "step-reject").submit(status=400)
    assert "Give a reason." in refused.text and mr.state == "submitted"
    reject = staff_form(page, "step-reject")
    reject["reason"] = "The accepting unit has no such report."
    reject.submit().follow()
    assert (mr.state, mr.notice.state, mr.reason) == ("rejected", "retracted", "The accepting unit has no such report.")
    testapp.reset()
    page = status_of(testapp, code)
    assert "Not published" in page.text and "The accepting unit has no such report." in page.text
    testapp.get(f"/notices/{mr.notice_id}", status=404)


def test_family_contact_is_shown_only_on_reveal_with_a_reason_and_audited(testapp, dbsession, world,
                                                                           submitted_request):
    mr, _code = submitted_request
    login(testapp, world[1]["dispatcher"].username)
    page = testapp.get(f"/staff/missing/{mr.id}")
    assert FAMILY_PHONE not in page.text and FAMILY_NAME not in page.text
    before = count(dbsession, AuditEvent)
    refused = staff_form(page, "reveal-form").submit(status=400)
    assert "Give a reason" in refused.text and FAMILY_PHONE not in refused.text
    assert count(dbsession, AuditEvent) == before
    reveal = staff_form(page, "reveal-form")
    reveal["reason"] = "Calling the family to verify the request"
    shown = reveal.submit(status=200)
    assert FAMILY_PHONE in shown.text and FAMILY_NAME in shown.text and "mother" in shown.text
    event = dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert (event.action, event.object_type, event.object_id, event.actor) == (
        "protected.reveal", "missing_request", str(mr.id), "officer:dispatch_a")
    assert "Calling the family" in event.reason
    assert FAMILY_PHONE not in testapp.get(f"/staff/missing/{mr.id}").text  # not kept on the page


@pytest.mark.parametrize("actor", ["unrelated_dispatcher", "moderator"])
def test_officers_outside_the_command_center_are_refused(testapp, dbsession, world, submitted_request, actor):
    mr, _code = submitted_request
    login(testapp, world[1][actor].username)
    testapp.get(f"/staff/missing/{mr.id}", status=403)
    photo = mr.notice.media[0]
    testapp.get(f"/staff/missing/photos/{photo.id}", status=403)
    token = re.search(r'name="csrf_token" value="([^"]+)"', testapp.get("/staff").text).group(1)
    testapp.post(f"/staff/missing/{mr.id}", {"csrf_token": token, "action": "reject", "reason": "no"}, status=403)
    assert mr.state == "submitted"
    if actor == "unrelated_dispatcher":
        assert NAME not in testapp.get("/staff/missing").text  # city B's queue does not list it
    else:
        testapp.get("/staff/missing", status=403)


def test_a_stale_form_changes_nothing(testapp, dbsession, world, submitted_request):
    mr, _code = submitted_request
    login(testapp, world[1]["dispatcher"].username)
    page = testapp.get(f"/staff/missing/{mr.id}")
    staff_form(page, "step-start_verifying").submit(status=303)
    stale = staff_form(page, "step-reject")  # opened before the first step moved the version on
    stale["reason"] = "Duplicate"
    assert "Someone else changed this request" in stale.submit(status=409).text
    assert mr.state == "verifying"


BAD_INPUTS = {
    "unknown unit": ({"unit_id": "999999"}, (), "Choose the unit from the list."),
    "future last seen": ({"last_seen_at": local(utcnow() + timedelta(days=2))}, (), "cannot be in the future"),
    "height min above max": ({"height_min_cm": "180", "height_max_cm": "150"}, (),
                             "must not be smaller than the smallest"),
    "height out of range": ({"height_min_cm": "20"}, (), "Height is between 30 and 260 cm."),
    "latitude outside the world": ({"lat": "95"}, (), "Latitude is between -90 and 90."),
    "longitude alone": ({"lat": ""}, (), "Give both latitude and longitude, or neither."),
    "nine photos": ({}, [(f"p{i}.png", png()) for i in range(9)], "At most 8 photos"),
    "not an image": ({}, [("ok.png", png()), ("letter.jpg", b"Dear police, this is not a photo.")],
                     "letter.jpg is not a photo we can read"),
    "empty file": ({}, [("empty.jpg", b"")], "empty.jpg is empty"),
    "image bomb": ({}, [("bomb.png", png_claiming(100_000, 100_000))], "bomb.png has too many pixels"),
    "missing required fields": ({"full_name": "", "unit_phone": "", "age_min": ""}, (), "Required"),
    "neither age nor birth date": ({"age_min": "", "age_max": ""}, (), "Give the date of birth or the age (from, to)."),
    "age range upside down": ({"age_min": "12", "age_max": "9"}, (), "The highest age must not be below the lowest."),
    "weight range upside down": ({"weight_min_kg": "40", "weight_max_kg": "30"}, (),
                                 "The largest weight must not be smaller than the smallest."),
    "honeypot filled": ({"website": "http://spam.example"}, (), "This form could not be accepted"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_refused_whole_with_the_form_kept(testapp, dbsession, registry, world, case):
    units, _officers = world
    changes, photos, message = BAD_INPUTS[case]
    before = stored_state(dbsession, registry)
    form = fill(testapp.get("/missing/new").forms["deform"], units, **changes)
    response = send(testapp, form, photos=photos, status=400)
    assert message in response.text
    assert "Nothing was saved." in response.text and "photos must be chosen again" in response.text
    kept = response.forms["deform"]
    assert kept["receipt_no"].value == "JJ2026-000123" and kept["relationship"].value == "mother"
    assert kept["clothing"].value == "red coat, blue jeans"
    assert 'href="tel:110"' in response.text
    assert stored_state(dbsession, registry) == before


def test_a_good_photo_beside_a_bad_one_is_not_stored_either(testapp, dbsession, registry, world):
    units, _officers = world
    before = stored_state(dbsession, registry)
    form = fill(testapp.get("/missing/new").forms["deform"], units)
    send(testapp, form, photos=[("good.png", png()), ("bomb.png", png_claiming(8000, 6000))], status=400)
    assert stored_state(dbsession, registry) == before


def test_submissions_are_rate_limited_per_address(testapp, dbsession, world):
    form = testapp.get("/missing/new").forms["deform"]
    for _ in range(10):
        send(testapp, form, status=400)  # every sending counts, valid or not
    units, _officers = world
    response = send(testapp, fill(form, units), status=429)
    assert "Too many requests were sent from your connection" in response.text
    assert response.forms["deform"]["full_name"].value == NAME  # still filled in
    assert 'href="tel:110"' in response.text and int(response.headers["Retry-After"]) > 0
    assert count(dbsession, MissingPersonRequest) == 0


def test_wrong_and_malformed_codes_get_one_answer_and_then_slow_the_checks(testapp, submitted_request):
    _mr, code = submitted_request
    wrong = "0000 0000 0000 0000" if code != "0000 0000 0000 0000" else "1111 1111 1111 1111"
    answers = {status_of(testapp, guess, status=400).html.select_one(".error-summary p").text
               for guess in (wrong, "12345", "not a code")}
    assert answers == {"No submission was found for this code. Check the code and try again; it has 16 digits."}
    for n in range(7):  # 10 wrong codes in all are free for an address (5 for a code's first four digits)
        status_of(testapp, f"{9000 + n} 1111 1111 1111", status=400)
    # Past the free wrong codes a check waits, right code or not: a guesser learns nothing.
    limited = status_of(testapp, code, status=429)
    assert "checks are slowed down" in limited.text and 'href="tel:110"' in limited.text
    assert "Received: waiting" not in limited.text
    assert int(limited.headers["Retry-After"]) > 0


def test_status_code_never_travels_in_the_url(testapp):
    page = testapp.get("/status")
    assert page.forms["deform"].method.upper() == "POST"
    assert "csrf_token" in page.forms["deform"].fields
    testapp.post("/status", {"code": "1234 5678 9012 3456"}, status=400)  # no CSRF token: refused


def test_home_page_links_the_request_form(testapp):
    assert 'href="/missing/new"' in testapp.get("/").text


def test_a_file_part_or_a_nul_in_the_family_request_forms(testapp, dbsession, world, submitted_request):
    """The fields are read through the forms: a file where text goes is a 400 that says so, with
    nothing saved and no contact shown; a NUL in a reason is dropped and the step taken."""
    mr, _code = submitted_request
    login(testapp, world[1]["dispatcher"].username)
    url = f"/staff/missing/{mr.id}"
    page = testapp.get(url)
    token = page.forms["reveal-form"]["csrf_token"].value
    before = count(dbsession, AuditEvent)
    for action in ("reveal", "reject"):
        refused = testapp.post(url, [("csrf_token", token), ("version", str(mr.version)), ("action", action),
                                     ("reason", Upload("r.txt", b"Calling the family\x00"))], status=400)
        assert "Type this as text: a file cannot go here." in refused.text and FAMILY_PHONE not in refused.text
    assert mr.state == "submitted" and count(dbsession, AuditEvent) == before
    shown = testapp.post(url, {"csrf_token": token, "version": str(mr.version), "action": "reveal",
                               "reason": "Calling\x00 the family"}, status=200)
    assert FAMILY_PHONE in shown.text and shown.headers["Cache-Control"] == "no-store"
    staff_form(page, "step-start_verifying").submit(status=303).follow()
    page = testapp.get(url)
    checklist = page.forms["checklist-form"]
    checklist["family_confirmed"] = True
    checklist["verification_how"] = "Called\x00 the family"
    assert "Checklist saved." in checklist.submit(status=303).follow().text
    dbsession.refresh(mr)
    assert (mr.family_confirmed, mr.verification_how) == (True, "Called the family")
