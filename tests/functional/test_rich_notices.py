"""Missing-person appeals as rich as the best registries, walked through the real forms: the family's
request with ranges, languages, medical needs, vehicle and the photos' date; the dispatcher's
corrections (the map's precision, the family's consent) and the audited showing of the medical needs;
the public page, poster and API with the badge, the ranges and the coarsened map; bad ranges refused
whole with the form kept."""
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter
from portal.audit.models import AuditEvent
from portal.missing.models import MissingPersonRequest
from tests.factories import make_officer, make_units
from tests.functional.helpers import login
from tests.functional.test_missing_requests import fill, local, send
from tests.images import png

MEDICAL = "Type 1 diabetes: needs insulin every 8 hours"
HOME_LAT, HOME_LON = "38.04321", "114.51234"


@pytest.fixture
def world(dbsession):
    units = make_units(dbsession)
    dispatcher = make_officer(dbsession, units["city_a"], ["dispatcher"], username="dispatch_a")
    return units, dispatcher


def family_request(testapp, dbsession, units, **changes):
    values = dict(age_min="9", age_max="11", weight_min_kg="25", weight_max_kg="32", languages="Mandarin, Uyghur",
                  medical_needs=MEDICAL, vehicle_make="Wuling", vehicle_model="Hongguang", vehicle_colour="silver",
                  vehicle_plate="冀A·D1234", photos_taken_on="2026-10-01", lat=HOME_LAT, lon=HOME_LON)
    values.update(changes)
    form = fill(testapp.get("/missing/new").forms["deform"], units, **values)
    assert send(testapp, form, photos=[("a.png", png())], status=200).status_int == 200
    return dbsession.execute(select(MissingPersonRequest).order_by(MissingPersonRequest.id.desc())).scalars().first()


def publish(testapp, mr, *, precision, consent):
    page = testapp.get(f"/staff/missing/{mr.id}")
    page = page.forms["step-start_verifying"].submit().follow()
    corrections = page.forms["details"]
    assert corrections["weight_max_kg"].value == "32"  # filled with what the family gave
    corrections["last_seen_precision"] = precision
    corrections["medical_needs_public"] = consent
    page = corrections.submit("save").follow()
    assert "Corrections saved." in page.text or "Nothing was changed." in page.text
    checklist = page.forms["checklist-form"]
    checklist["family_confirmed"] = checklist["unit_confirmed"] = True
    checklist["verification_how"] = "Called the mother and the county duty desk."
    page = checklist.submit().follow()
    return page.forms["step-publish"].submit().follow()


def test_family_request_to_public_page_without_medical_consent(testapp, dbsession, world):
    units, dispatcher = world
    mr = family_request(testapp, dbsession, units)
    details = mr.notice.missing_person
    assert MEDICAL not in (details.medical_needs or "")  # sealed at rest
    assert (details.age_min, details.age_max, details.last_seen_precision) == (9, 11, "district")
    assert mr.notice.media[0].taken_on.isoformat() == "2026-10-01"

    login(testapp, dispatcher.username)
    page = testapp.get(f"/staff/missing/{mr.id}")
    assert MEDICAL not in page.text and "9–11" in page.text and "Wuling" in page.text
    reveal = page.forms["reveal-medical-form"]
    reveal["reason"] = "Checking what the search teams need to carry"
    shown = reveal.submit()
    assert MEDICAL in shown.text and shown.headers["Cache-Control"] == "no-store"
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "protected.reveal")
                              .order_by(AuditEvent.id.desc())).scalars().first()
    assert "missing.medical_needs" in event.reason and MEDICAL not in event.reason

    publish(testapp, mr, precision="exact", consent=False)
    testapp.reset()
    public = testapp.get(f"/notices/{mr.notice_id}")
    assert "Verified by City A on" in public.text
    assert re.search(r'class="age">9–11<', public.text) and "25–32 kg" in public.text
    assert "Mandarin, Uyghur" in public.text and "冀A·D1234" in public.text and "Photo 1 taken on 2026-10-01" in public.text
    assert MEDICAL not in public.text and "Medical needs" not in public.text
    # A child: "exact" still gives about 500 m, and the home's coordinates never reach the page.
    assert "data-point-map" in public.text and "about 500 m" in public.text
    assert HOME_LAT not in public.text and HOME_LON not in public.text
    poster = testapp.get(f"/notices/{mr.notice_id}/poster")
    assert "Verified by City A on" in poster.text and "9–11" in poster.text and MEDICAL not in poster.text
    api = testapp.get(f"/api/v1/notices/{mr.notice_id}").json
    assert api["verified"]["unit"]["code"] == units["city_a"].code and api["verified"]["at"]
    person = api["missing_person"]
    assert (person["age_min"], person["age_max"], person["medical_needs"]) == (9, 11, None)
    assert person["last_seen_point"]["radius_m"] == 500 and person["vehicle"]["plate"] == "冀A·D1234"
    assert api["photos"][0]["taken_on"] == "2026-10-01"
    assert MEDICAL not in testapp.get("/feeds/notices.atom").text


def test_with_the_familys_consent_the_medical_needs_are_public(testapp, dbsession, world):
    units, dispatcher = world
    mr = family_request(testapp, dbsession, units, medical_public=True, age_min="40", age_max="45")
    assert mr.notice.missing_person.medical_needs_public
    login(testapp, dispatcher.username)
    publish(testapp, mr, precision="district", consent=True)
    testapp.reset()
    public = testapp.get(f"/notices/{mr.notice_id}")
    assert MEDICAL in public.text and "data-point-map" not in public.text  # district only: no map
    assert testapp.get(f"/api/v1/notices/{mr.notice_id}").json["missing_person"]["medical_needs"] == MEDICAL
    assert MEDICAL in testapp.get(f"/notices/{mr.notice_id}/poster").text


def test_an_adults_exact_point_is_shown_as_given(testapp, dbsession, world):
    units, dispatcher = world
    mr = family_request(testapp, dbsession, units, age_min="40", age_max="45")
    login(testapp, dispatcher.username)
    publish(testapp, mr, precision="exact", consent=False)
    testapp.reset()
    public = testapp.get(f"/notices/{mr.notice_id}")
    assert 'data-lat="38.04321"' in public.text and "exact point" in public.text


def test_a_correction_with_a_range_upside_down_is_refused_with_the_form_kept(testapp, dbsession, world):
    units, dispatcher = world
    mr = family_request(testapp, dbsession, units)
    login(testapp, dispatcher.username)
    corrections = testapp.get(f"/staff/missing/{mr.id}").forms["details"]
    corrections["height_min_cm"], corrections["height_max_cm"] = "150", "140"
    corrections["languages"] = "Kazakh"
    refused = corrections.submit("save", status=400)
    assert "The largest height must not be smaller than the smallest." in refused.text
    assert refused.forms["details"]["languages"].value == "Kazakh"
    dbsession.refresh(mr.notice.missing_person)
    assert mr.notice.missing_person.languages == "Mandarin, Uyghur"


BAD_RANGES = st.one_of(
    st.tuples(st.integers(0, 130), st.integers(0, 130)).filter(lambda p: p[0] > p[1]).map(
        lambda p: ("age_min", "age_max", str(p[0]), str(p[1]))),
    st.tuples(st.integers(1, 400), st.integers(1, 400)).filter(lambda p: p[0] > p[1]).map(
        lambda p: ("weight_min_kg", "weight_max_kg", str(p[0]), str(p[1]))),
    st.sampled_from(["-1", "-40", "131", "9999", "1e9", "12.5", "abc"]).map(lambda v: ("age_min", "age_max", v, "")),
    st.sampled_from(["0", "-3", "401", "100000"]).map(lambda v: ("weight_min_kg", "weight_max_kg", v, "")),
    st.sampled_from(["29", "-170", "261", "5000"]).map(lambda v: ("height_min_cm", "height_max_cm", "", v)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=BAD_RANGES)
def test_bad_ranges_get_a_clear_400_with_the_form_kept(testapp, app, dbsession, world, bad):
    units, _dispatcher = world
    # Each example is a fresh visitor: this test is about bad ranges, not the form's hourly limit.
    app.registry.registerUtility(MemoryRateLimiter(), IRateLimiter)
    low_name, high_name, low, high = bad
    before = dbsession.execute(select(MissingPersonRequest.id)).all()
    changes = {"age_min": "9", "age_max": "11", low_name: low, high_name: high}
    form = fill(testapp.get("/missing/new").forms["deform"], units, languages="Mandarin", **changes)
    refused = send(testapp, form, status=400)
    assert "Nothing was saved." in refused.text and 'href="tel:110"' in refused.text
    kept = refused.forms["deform"]
    assert kept[low_name].value == low and kept["languages"].value == "Mandarin"
    assert dbsession.execute(select(MissingPersonRequest.id)).all() == before


def test_a_family_request_last_seen_in_the_future_is_still_refused(testapp, dbsession, world):
    units, _dispatcher = world
    from portal.core.meta import utcnow
    form = fill(testapp.get("/missing/new").forms["deform"], units,
                last_seen_at=local(utcnow() + timedelta(days=2)))
    assert "The time cannot be in the future." in send(testapp, form, status=400).text
