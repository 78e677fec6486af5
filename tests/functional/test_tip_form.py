"""The reporter's side of tips: choosing a category, its form, the receipt, and every refusal
(each stores nothing and gives the form back filled in)."""
import io
import json
import logging
import math
import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select
from webtest import Upload

from portal.abuse.pow import is_solution
from portal.audit.models import AuditEvent
from portal.core.localtime import LOCAL_TZ
from portal.core.meta import utcnow
from portal.geo.position import distance_km
from portal.media.models import Media
from portal.privacy.models import Receipt
from portal.tips.models import Tip, TipAnswer, TipAttachment
from tests import media_samples as m
from tests.factories import jpeg_bytes, make_category, make_notice, solve_pow
from tests.images import jpeg_at, png_claiming

CONTACT_NAME = "Wang Xiaoming"
PHONE = "13912345678"
DESCRIPTION = "Two men sell pills from a grey van behind the night market every evening."
INSIDE_COUNTY_A = ("30.5", "100.5")
INSIDE_CITY_A_ONLY = ("33.5", "100.5")
OUTSIDE = ("45.0", "60.0")


def rectangle(west, south, east, north) -> str:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


@pytest.fixture
def areas(dbsession, units):
    """The test units with areas: the province lon 100-104, lat 30-34; city A the western half, city
    B the eastern; each county the southern half of its city's western half."""
    for name, box in {"province": (100, 30, 104, 34), "city_a": (100, 30, 102, 34), "city_b": (102, 30, 104, 34),
                      "county_a": (100, 30, 101, 32), "county_b": (102, 30, 103, 32)}.items():
        units[name].jurisdiction = rectangle(*box)
    dbsession.flush()
    return units


def question(key, kind, en, zh=None, **kw):
    return {"key": key, "kind": kind, "labels": {"en": en, "zh_CN": zh or en}, **kw}


@pytest.fixture
def category(dbsession):
    return make_category(dbsession, slug="test-drugs", position=-2, names={"zh_CN": "毒品测试", "en": "Drugs (test)"},
                         descriptions={"en": "Using, making or dealing drugs."}, questions=[
        question("activity", "choice", "What is going on?", required=True, choices=[
            {"value": "dealing", "labels": {"en": "Dealing", "zh_CN": "贩卖"}},
            {"value": "making", "labels": {"en": "Making", "zh_CN": "制造"}},
            {"value": "armed", "labels": {"en": "Dealers carry weapons", "zh_CN": "持有武器"}}],
            danger_values=["armed"]),
        question("people", "number", "How many people?"),
        question("since", "date", "Since when?"),
        question("vehicle", "text", "Which vehicle?"),
        question("gone", "text", "A retired question", retired=True),
    ])


@pytest.fixture
def guns(dbsession):
    return make_category(dbsession, slug="test-guns", position=-1, danger=True,
                         names={"zh_CN": "枪支测试", "en": "Guns (test)"})


def local_input(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def form_of(testapp, slug="test-drugs", query=""):
    return testapp.get(f"/tips/new?category={slug}{query}").forms["deform"]


def fill(form, solve=True, **values):
    defaults = {"description": DESCRIPTION, "happened_at": local_input(utcnow() - timedelta(hours=3)),
                "place": "Behind the night market", "lat": INSIDE_COUNTY_A[0], "lon": INSIDE_COUNTY_A[1],
                "q_activity": "dealing"}
    for name, value in {**defaults, **values}.items():
        if name in form.fields:
            if name == "q_activity" and value not in {o[0] for o in form[name].options}:
                form[name].force_value(value)
            else:
                form[name] = value
    if solve:
        form["pow_nonce"] = solve_pow(form["pow_challenge"].value)
    return form


def send(testapp, form, files=(), status="*", meta=None, **extra):
    """Post the form as a browser does: every file input under "attachments", files last."""
    fields = [(name, value) for name, value in form.submit_fields("send") if name != "attachments"]
    if meta is not None:
        fields = [(n, json.dumps(meta) if n == "attachment_meta" else v) for n, v in fields]
    fields += [(name, value) for name, value in extra.items()]
    fields += [("attachments", Upload(name, data, content_type)) for name, data, content_type in files]
    url = form.action or form.response.request.url
    return testapp.post(url, fields, content_type="multipart/form-data", status=status)


def receipt_code(page) -> str:
    return re.search(r'class="copyable">([0-9 ]+)<', page.text).group(1)


def stored(dbsession, registry):
    counts = [dbsession.execute(select(func.count()).select_from(m)).scalar_one()
              for m in (Tip, TipAnswer, TipAttachment, Media, Receipt, AuditEvent)]
    media_dir = registry.settings["portal.media_dir"]
    files = sorted(os.path.join(root, name) for root, dirs, names in os.walk(media_dir) for name in names
                   if ".incoming" not in root)
    return counts, files


def only_tip(dbsession):
    return dbsession.execute(select(Tip)).scalar_one()


def status_of(testapp, code, status=200):
    form = testapp.get("/status").forms["deform"]
    form["code"] = code
    return form.submit("show", status=status)


def problem(page) -> str:
    """What the page says went wrong: its own refusal or banner, and the form's list of fields."""
    return " ".join(" ".join(s.get_text(" ") for s in page.html.select(".error-summary, .banner")).split())


# --- choosing a category ---------------------------------------------------------------------------

def test_the_choice_lists_offered_categories_in_order_in_the_visitors_language(testapp, dbsession, category, guns):
    make_category(dbsession, slug="test-retired", retired=True, names={"en": "Retired one"})
    make_category(dbsession, slug="test-chinese-only", position=-3, names={"zh_CN": "只有中文"})
    page = testapp.get("/tips/new")
    links = [a["href"] for a in page.html.select(".tip-categories a")]
    assert links[:3] == ["/tips/new?category=test-chinese-only", "/tips/new?category=test-drugs",
                         "/tips/new?category=test-guns"]
    assert "/tips/new?category=test-retired" not in links and "Retired one" not in page.text
    assert "只有中文" in page.text  # no English name: the Chinese one
    assert "Using, making or dealing drugs." in page.text
    marked = [li.select_one(".tip-category-name").text for li in page.html.select(".tip-category.is-danger")]
    assert "Guns (test)" in marked and "Drugs (test)" not in marked
    chinese = testapp.get("/tips/new?lang=zh_CN")
    assert "毒品测试" in chinese.text and "Drugs (test)" not in chinese.text
    assert 'href="tel:110"' in page.text


def test_home_links_to_the_tip_form(testapp):
    assert "/tips/new" in [a["href"] for a in testapp.get("/").html.select("a")]


@pytest.mark.parametrize("slug", ["no-such-category", "test-retired", "x" * 300])
def test_an_unknown_or_retired_category_is_a_404_with_the_choice(testapp, dbsession, category, slug):
    make_category(dbsession, slug="test-retired", retired=True)
    page = testapp.get(f"/tips/new?category={slug}", status=404)
    assert "This category does not exist" in page.text
    assert "/tips/new?category=test-drugs" in page.text
    before = dbsession.execute(select(func.count()).select_from(Tip)).scalar_one()
    token = testapp.get("/tips/new?category=test-drugs").forms["deform"]["csrf_token"].value
    testapp.post(f"/tips/new?category={slug}", {"csrf_token": token, "description": DESCRIPTION}, status=404)
    assert dbsession.execute(select(func.count()).select_from(Tip)).scalar_one() == before


# --- the form ----------------------------------------------------------------------------------------

def test_the_form_shows_the_categorys_questions_by_kind_and_the_files_last(testapp, category, registry):
    page = testapp.get("/tips/new?category=test-drugs")
    form = page.forms["deform"]
    html = page.html
    assert "Drugs (test)" in page.text and "Using, making or dealing drugs." in page.text
    activity = html.select_one('select[name="q_activity"]')
    assert activity.has_attr("required")
    assert [o["value"] for o in activity.select("option")] == ["", "dealing", "making", "armed"]
    assert json.loads(activity["data-danger-values"]) == ["armed"]
    assert "If your answer is Dealers carry weapons" in page.text  # the static note, for browsers without JS
    assert html.select_one('input[name="q_people"]')["inputmode"] == "decimal"
    assert html.select_one('input[name="q_since"]')["type"] == "date"
    assert html.select_one('textarea[name="q_vehicle"]') is not None
    assert "q_gone" not in form.fields and "A retired question" not in page.text
    assert html.select_one('input[name="happened_at"]')["type"] == "datetime-local"
    assert html.select_one('textarea[name="description"]')["maxlength"] == "4000"
    # Not a danger category: the panel is there for the script, hidden.
    assert html.select_one("#danger-panel").has_attr("hidden")
    # The receiving unit: automatic first, then the tree.
    unit = html.select_one('select[name="unit"]')
    assert unit.select("option")[0]["value"] == "" and "Automatic" in unit.select("option")[0].text
    # Files: a camera, a video recorder, a sound recorder and a multiple chooser, stated limits, last.
    inputs = html.select('form#deform input[type="file"]')
    assert [(i["name"], i["accept"], i.get("capture"), i.has_attr("multiple")) for i in inputs] == [
        ("attachments", "image/*", "environment", False), ("attachments", "video/*", "environment", False),
        ("attachments", "audio/*", "user", False), ("attachments", "image/*,video/*,audio/*", None, True)]
    assert "Up to 10 files: photos up to 15 MB each, videos up to 250 MB, sound recordings up to 50 MB, " \
           "all together up to 300 MB." in page.text
    named = [e for e in html.select("form#deform input, form#deform select, form#deform textarea")
             if e.get("name") and e.get("type") not in ("hidden",)]
    assert all(e.get("type") == "file" for e in named[-4:]) and len([e for e in named if e.get("type") == "file"]) == 4
    assert html.select_one(".hp input[name='website']") is not None
    assert form["pow_challenge"].value and html.select_one("[data-pow]") is not None
    scripts = [s["src"] for s in html.select("script[src]")]
    assert any(s.split("?v=")[0].endswith("/static/js/tip-form.js") for s in scripts)
    assert not [s for s in html.select("script") if not s.get("src") and s.get("type") != "application/ld+json"]
    assert any("tips.css" in link["href"] for link in html.select("head link[rel=stylesheet]"))


def test_a_danger_category_shows_call_110_first(testapp, guns):
    page = testapp.get("/tips/new?category=test-guns")
    panel = page.html.select_one("#danger-panel")
    assert not panel.has_attr("hidden")
    assert panel.select_one('a.danger-call[href="tel:110"]').text.strip() == "Call 110 now"
    assert page.text.index('id="danger-panel"') < page.text.index('<form')


# --- success -----------------------------------------------------------------------------------------

def test_a_tip_with_a_point_goes_to_the_smallest_area_and_the_receipt_is_shown_once(testapp, dbsession, registry,
                                                                                   areas, category):
    happened = utcnow().replace(second=0, microsecond=0) - timedelta(hours=5)
    form = fill(form_of(testapp), happened_at=local_input(happened), accuracy_m="30", q_people="3",
                q_since="2026-01-15", q_vehicle="  grey van  ", name=CONTACT_NAME, phone=PHONE)
    page = send(testapp, form, status=200)
    assert page.headers["Cache-Control"] == "no-store"
    assert "Tip received" in page.text
    warning = page.html.select_one("main .warning-text .warning-text-text").get_text(" ", strip=True)
    assert warning == "Caution: Write this code down or take a photo of it now. It is shown only once and cannot be sent to you again."
    code = receipt_code(page)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", code)
    assert "County A1" in page.text  # where it went
    assert page.html.select_one("#danger-panel") is None
    tip = only_tip(dbsession)
    assert (tip.unit_id, tip.suggested_unit_id, tip.state, tip.category.slug) == (
        areas["county_a"].id, areas["county_a"].id, "received", "test-drugs")
    assert (tip.description, tip.place, tip.lat, tip.lon, tip.accuracy_m) == (
        DESCRIPTION, "Behind the night market", 30.5, 100.5, 30.0)
    assert tip.happened_at == happened and not tip.danger and not tip.flagged and tip.task_notice_id is None
    answers = {a.question.key: a.value for a in tip.answers}
    assert answers == {"activity": "dealing", "people": "3", "since": "2026-01-15", "vehicle": "grey van"}
    # The contact is sealed.
    assert PHONE not in tip.contact and CONTACT_NAME not in tip.contact
    assert json.loads(registry["field_cipher"].decrypt(tip.contact, "tip.contact")) == {
        "name": CONTACT_NAME, "phone": PHONE}
    event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "tip.submitted")).scalar_one()
    assert (event.actor, event.object_type, event.object_id, event.to_state) == ("public", "tip", str(tip.id), "received")
    assert DESCRIPTION not in event.reason and PHONE not in event.reason and "test-drugs" in event.reason
    # The code works on /status, which never shows it again.
    found = status_of(testapp, code)
    assert "Received: waiting to be read by the police" in found.text
    # Shown once: on /status the code is only in the reply form's hidden field, never as text or in a URL.
    assert code not in found.html.get_text() and code.replace(" ", "") not in found.html.get_text()
    assert found.html.select_one('form#tip-reply input[type="hidden"][name="code"]')["value"] == code.replace(" ", "")


def test_a_point_outside_the_county_areas_goes_to_the_city(testapp, dbsession, areas, category):
    send(testapp, fill(form_of(testapp), lat=INSIDE_CITY_A_ONLY[0], lon=INSIDE_CITY_A_ONLY[1]), status=200)
    tip = only_tip(dbsession)
    assert tip.unit_id == tip.suggested_unit_id == areas["city_a"].id


def test_the_reporter_may_choose_another_unit(testapp, dbsession, areas, category):
    form = fill(form_of(testapp), unit=str(areas["city_b"].id), name="", phone="")
    send(testapp, form, status=200)
    tip = only_tip(dbsession)
    assert (tip.unit_id, tip.suggested_unit_id, tip.contact) == (areas["city_b"].id, areas["county_a"].id, None)


def test_a_chosen_unit_takes_a_tip_from_outside_every_area_or_without_a_point(testapp, dbsession, areas, category):
    send(testapp, fill(form_of(testapp), lat=OUTSIDE[0], lon=OUTSIDE[1], unit=str(areas["province"].id)), status=200)
    send(testapp, fill(form_of(testapp), lat="", lon="", unit=str(areas["city_a"].id)), status=200)
    tips = dbsession.execute(select(Tip).order_by(Tip.id)).scalars().all()
    assert [(t.unit_id, t.suggested_unit_id, t.lat) for t in tips] == [
        (areas["province"].id, None, 45.0), (areas["city_a"].id, None, None)]


def test_a_danger_answer_is_stored_and_the_receipt_repeats_call_110(testapp, dbsession, areas, category):
    page = send(testapp, fill(form_of(testapp), q_activity="armed"), status=200)
    assert only_tip(dbsession).danger
    panel = page.html.select_one("#danger-panel")
    assert panel is not None and not panel.has_attr("hidden") and panel.select_one('a[href="tel:110"]')


def test_a_danger_category_makes_a_danger_tip(testapp, dbsession, areas, guns):
    page = send(testapp, fill(form_of(testapp, "test-guns")), status=200)
    assert only_tip(dbsession).danger and "Call 110 now" in page.text


def test_a_reward_task_notice_is_preselected_and_stored(testapp, dbsession, areas, category):
    task = make_notice(dbsession, areas["city_a"], kind="reward_task", title="Reward: the grey van",
                       reward_amount=5000)
    detail = testapp.get(f"/notices/{task.id}")
    link = detail.html.select_one(f'a[href="/tips/new?task={task.id}"]')
    assert link is not None
    choice = testapp.get(link["href"])
    assert "Reward: the grey van" in choice.text
    assert f"/tips/new?category=test-drugs&amp;task={task.id}" in choice.text
    form_page = testapp.get(f"/tips/new?category=test-drugs&task={task.id}")
    assert "This tip answers the reward task:" in form_page.text and "Reward: the grey van" in form_page.text
    send(testapp, fill(form_page.forms["deform"]), status=200)
    assert only_tip(dbsession).task_notice_id == task.id


@pytest.mark.parametrize("kind, state", [("wanted", "published"), ("reward_task", "draft")])
def test_only_a_published_reward_task_is_taken(testapp, dbsession, areas, category, kind, state):
    other = make_notice(dbsession, areas["city_a"], kind=kind, state=state, title="Not a task")
    assert testapp.get(f"/notices/{other.id}", status="*").html.select_one('a[href^="/tips/new?task"]') is None
    page = testapp.get(f"/tips/new?category=test-drugs&task={other.id}")
    assert "Not a task" not in page.text
    send(testapp, fill(page.forms["deform"]), status=200)
    assert only_tip(dbsession).task_notice_id is None


def test_files_are_stored_flagged_and_noted(testapp, dbsession, registry, areas, category):
    shot = jpeg_bytes(size=(64, 48))
    old = int((datetime.now(UTC) - timedelta(days=30)).timestamp() * 1000)
    fresh = int(datetime.now(UTC).timestamp() * 1000)
    meta = [{"name": "IMG_1.jpg", "lastModified": fresh, "lat": 30.5, "lon": 100.5},
            {"name": "old.png", "lastModified": old}]
    page = send(testapp, fill(form_of(testapp)), status=200, meta=meta,
                files=[("IMG_1.jpg", shot, "image/jpeg"), ("old.png", jpeg_bytes(), "image/png")])
    assert "Tip received" in page.text
    tip = only_tip(dbsession)
    first, second = tip.attachments
    assert tip.flagged
    assert (first.flags, first.client_lat, first.client_lon, first.message_id) == ("", 30.5, 100.5, None)
    assert abs(first.client_captured_at.timestamp() * 1000 - fresh) < 1000
    assert set(second.flags.split()) == {"type-mismatch", "old-capture"}
    assert (first.media.kind, first.media.content_type, first.media.size) == ("image", "image/jpeg", len(shot))
    with registry["media_store"].open(first.media.original_key) as kept:
        assert kept.read() == shot


@pytest.mark.parametrize("km, flagged", [(12, True), (2, False)])
def test_a_photo_whose_own_gps_is_far_from_the_stated_place_is_flagged(testapp, dbsession, areas, category, km,
                                                                       flagged):
    """The tip says 30.5 N 100.5 E; the photo's EXIF puts it `km` kilometres north (the setting: 5 km)."""
    photo = jpeg_at(float(INSIDE_COUNTY_A[0]) + km / 111.195, float(INSIDE_COUNTY_A[1]))
    send(testapp, fill(form_of(testapp)), status=200, files=[("IMG_7.jpg", photo, "image/jpeg")])
    tip = only_tip(dbsession)
    (attachment,) = tip.attachments
    assert math.isclose(distance_km(tip.lat, tip.lon, attachment.media.captured_lat, attachment.media.captured_lon),
                        km, rel_tol=0.01)
    assert tip.flagged is flagged
    assert attachment.flags == ("far-capture" if flagged else "")


def test_no_files_is_not_flagged(testapp, dbsession, areas, category):
    send(testapp, fill(form_of(testapp)), status=200)
    tip = only_tip(dbsession)
    assert not tip.flagged and tip.attachments == []


# --- refusals: nothing stored, the form back filled in -------------------------------------------

def assert_kept(page, **values):
    form = page.forms["deform"]
    for name, value in values.items():
        assert form[name].value == value, name
    assert "files must be chosen again" in page.text


def test_a_point_outside_every_area_is_refused_unless_a_unit_is_chosen(testapp, dbsession, registry, areas,
                                                                        category):
    before = stored(dbsession, registry)
    page = send(testapp, fill(form_of(testapp), lat=OUTSIDE[0], lon=OUTSIDE[1]), status=400)
    message = page.html.select_one("#item-" + page.html.select_one('select[name="unit"]')["id"]).text
    assert "outside the areas of the police units" in message and "choose the receiving unit" in message
    assert stored(dbsession, registry) == before
    assert_kept(page, description=DESCRIPTION, lat=OUTSIDE[0], lon=OUTSIDE[1], q_activity="dealing")


@pytest.mark.parametrize("unit", ["\u00b2", "\u0663", "99999999999", "0"])  # "²".isdigit(), int("٣") == 3
def test_a_unit_that_is_not_one_of_the_list_is_refused_clearly(testapp, dbsession, registry, areas, category, unit):
    before = stored(dbsession, registry)
    form = fill(form_of(testapp))
    form["unit"].force_value(unit)
    page = send(testapp, form, status=400)
    message = page.html.select_one("#item-" + page.html.select_one('select[name="unit"]')["id"]).text
    assert "Choose the unit from the list." in message
    assert stored(dbsession, registry) == before
    assert_kept(page, description=DESCRIPTION, q_activity="dealing")


@pytest.mark.parametrize("task", ["%C2%B2", "%D9%A3", "1" * 40])  # ², ٣, a number beyond any id
def test_a_task_number_that_is_no_id_is_ignored(testapp, dbsession, areas, category, task):
    assert "tip-categories" in testapp.get(f"/tips/new?task={task}", status=200).text
    page = testapp.get(f"/tips/new?category=test-drugs&task={task}", status=200)
    assert "This tip answers the reward task:" not in page.text
    send(testapp, fill(page.forms["deform"]), status=200)
    assert only_tip(dbsession).task_notice_id is None


def test_deeply_nested_file_notes_are_ignored(testapp, dbsession, areas, category):
    form = fill(form_of(testapp))
    form["attachment_meta"] = "[" * 5000  # json.loads raises RecursionError, not ValueError
    page = send(testapp, form, status=200, files=[("van.jpg", jpeg_bytes(), "image/jpeg")])
    assert "Tip received" in page.text
    (attachment,) = only_tip(dbsession).attachments
    assert (attachment.client_captured_at, attachment.client_lat) == (None, None)


def test_no_point_and_no_unit_is_refused(testapp, dbsession, registry, areas, category):
    page = send(testapp, fill(form_of(testapp), lat="", lon=""), status=400)
    assert "Mark the place on the map, use your location, or choose the receiving unit" in page.text
    assert stored(dbsession, registry)[0][0] == 0


@pytest.mark.parametrize("changes, message", [
    ({"q_people": "a few"}, "Give a number, for example 3 or 2.5."),
    ({"q_people": "NaN"}, "Give a number, for example 3 or 2.5."),
    ({"q_people": "1e400"}, "Give a number, for example 3 or 2.5."),
    ({"q_since": "31/02/2026"}, "Give a date, for example 2026-05-31."),
    ({"q_since": "1066-10-14"}, "Give a date between 1900 and 2100."),
    ({"q_activity": "bogus"}, "Choose one of the answers offered."),
    ({"q_activity": ""}, "Answer this question."),
    ({"description": ""}, "Say what happened."),
    ({"description": "   \n  "}, "Say what happened."),
    ({"description": "x" * 4001}, "Please keep it under 4000 characters."),
    ({"q_vehicle": "x" * 1001}, "Please keep it under 1000 characters."),
    ({"happened_at": ""}, "Give the date and time (an estimate is fine)."),
    ({"happened_at": "yesterday"}, "Invalid date"),
    ({"place": "", "lat": "", "lon": "", "unit": "UNIT"}, "Say where, in words or with a point on the map."),
    ({"lat": "95"}, "Latitude is between -90 and 90."),
    ({"phone": "call me"}, "Give a phone number with digits only"),
])
def test_bad_answers_get_clear_messages(testapp, dbsession, registry, areas, category, changes, message):
    changes = {k: (str(areas["city_a"].id) if v == "UNIT" else v) for k, v in changes.items()}
    before = stored(dbsession, registry)
    page = send(testapp, fill(form_of(testapp), **changes), status=400)
    assert message in " ".join(e.text for e in page.html.select(".invalid-feedback, .error"))
    assert stored(dbsession, registry) == before
    assert "Nothing was sent." in page.text
    kept = {k: v for k, v in changes.items() if k not in ("description", "q_activity") and len(v) < 100}
    assert_kept(page, **kept)


def test_a_time_in_the_future_is_refused(testapp, dbsession, areas, category):
    page = send(testapp, fill(form_of(testapp), happened_at=local_input(utcnow() + timedelta(days=1))), status=400)
    assert "The time cannot be in the future." in page.text
    assert stored_tips(dbsession) == 0


def stored_tips(dbsession):
    return dbsession.execute(select(func.count()).select_from(Tip)).scalar_one()


def test_a_forged_csrf_token_stores_nothing_and_keeps_the_form(testapp, dbsession, registry, areas, category):
    before = stored(dbsession, registry)
    form = fill(form_of(testapp))
    form["csrf_token"] = "forged"
    page = send(testapp, form, files=[("a.jpg", jpeg_bytes(), "image/jpeg")], status=400)
    assert "did not come from this site" in problem(page)
    assert stored(dbsession, registry) == before
    assert_kept(page, description=DESCRIPTION, q_activity="dealing")
    # The form comes back with a valid token: sending it again works.
    send(testapp, fill(page.forms["deform"]), status=200)
    assert stored_tips(dbsession) == 1


def test_the_honeypot_refuses_bots(testapp, dbsession, registry, areas, category):
    before = stored(dbsession, registry)
    page = send(testapp, fill(form_of(testapp), website="http://spam.example"), status=400)
    assert "Please leave the last field empty" in page.text
    assert stored(dbsession, registry) == before


def test_the_rate_limit_answers_429_with_the_form_kept(testapp, dbsession, registry, areas, category):
    limit = int(registry.settings["portal.tip.rate_per_hour"])
    for _ in range(limit):
        send(testapp, fill(form_of(testapp), q_activity="making"), status=200)
    before = stored(dbsession, registry)
    page = send(testapp, fill(form_of(testapp), q_vehicle="white truck"), status=429)
    assert 0 < int(page.headers["Retry-After"]) <= 3600
    text = problem(page)
    assert "Many tips have been sent from this address" in text and "call 110" in text and "12110" in text
    assert_kept(page, description=DESCRIPTION, q_vehicle="white truck")
    assert stored(dbsession, registry) == before
    assert 'href="tel:110"' in page.text


def test_without_javascript_the_stricter_limit_applies(testapp, dbsession, registry, areas, category):
    limit = int(registry.settings["portal.tip.nojs_rate_per_hour"])
    for _ in range(limit):
        send(testapp, fill(form_of(testapp), solve=False), status=200)  # no proof of work: the no-JS path
    page = send(testapp, fill(form_of(testapp), solve=False), status=429)
    assert "Many tips have been sent" in page.text
    send(testapp, fill(form_of(testapp)), status=200)  # with the proof of work, the ordinary limit
    assert stored_tips(dbsession) == limit + 1


def test_a_forged_or_replayed_proof_of_work_is_refused(testapp, dbsession, areas, category):
    form = fill(form_of(testapp))
    challenge = form["pow_challenge"].value
    bits = int(challenge.split(".")[3])
    # A fixed guess solves an easy test challenge now and then: take one that provably does not.
    wrong = next(nonce for nonce in (f"wrong-{n}" for n in range(1000)) if not is_solution(challenge, nonce, bits))
    assert not is_solution(challenge, wrong, bits)
    form["pow_nonce"] = wrong
    page = send(testapp, form, status=400)
    assert "security check was not solved" in problem(page)
    form = fill(form_of(testapp))
    send(testapp, form, status=200)
    page = send(testapp, form, status=400)  # the same form twice
    assert "already sent once" in problem(page)
    assert stored_tips(dbsession) == 1


def test_a_file_that_lies_about_its_type_is_refused(testapp, dbsession, registry, areas, category):
    before = stored(dbsession, registry)
    page = send(testapp, fill(form_of(testapp)), status=400,
                files=[("good.jpg", jpeg_bytes(), "image/jpeg"), ("photo.jpg", b"MZ\x90\x00" + b"\0" * 600, "image/jpeg")])
    assert "photo.jpg" in problem(page) or "photo.jpg" in page.html.select_one(".tip-attachments").text
    assert stored(dbsession, registry) == before
    assert_kept(page, description=DESCRIPTION)


def test_an_empty_file_is_refused(testapp, dbsession, registry, areas, category):
    page = send(testapp, fill(form_of(testapp)), status=400, files=[("empty.jpg", b"", "image/jpeg")])
    assert "empty" in page.text
    assert stored_tips(dbsession) == 0


def test_a_file_over_the_limit_is_refused_with_413(testapp, dbsession, registry, areas, category):
    before = stored(dbsession, registry)
    limit = int(registry.settings["portal.tip.max_photo_mb"]) * 1024 * 1024
    big = jpeg_bytes() + b"\0" * limit
    page = send(testapp, fill(form_of(testapp), q_vehicle="grey van"), status=413,
                files=[("huge.jpg", big, "image/jpeg")])
    assert "huge.jpg" in problem(page) and "larger than 15 MB" in problem(page)
    assert_kept(page, description=DESCRIPTION, q_vehicle="grey van")
    assert stored(dbsession, registry) == before


BAD_FILES = {
    "an executable named .jpg": ([("holiday.jpg", m.windows_exe(), "image/jpeg")], 400,
                                 "holiday.jpg is not a photo, video or sound recording"),
    "HTML named .png": ([("cute.png", m.html(), "image/png")], 400, "cute.png is not a photo, video or sound recording"),
    "a decompression bomb": ([("bomb.png", png_claiming(8000, 6000), "image/png")], 400, "too many pixels"),
    "a truncated video": ([("cut.mp4", m.mp4()[:-10], "video/mp4")], 400, "cut.mp4 is incomplete or damaged"),
    "a 0-byte file": ([("empty.jpg", b"", "image/jpeg")], 400, "empty.jpg is empty"),
    "too many files": ([(f"p{n}.jpg", jpeg_bytes(), "image/jpeg") for n in range(11)], 400, "At most 10 files can be sent at once"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_through_the_form_is_refused_clearly_stores_nothing_and_logs_nothing_of_the_tip(
        testapp, dbsession, registry, areas, category, caplog, case):
    files, status, words = BAD_FILES[case]
    for name in ("", "portal", "pyramid", "sqlalchemy.engine", "waitress"):
        caplog.set_level(logging.DEBUG, logger=name or None)
    before = stored(dbsession, registry)
    form = fill(form_of(testapp), name=CONTACT_NAME, phone=PHONE, q_vehicle="grey van")
    # A good photo beside the bad file: one bad file refuses the whole tip.
    page = send(testapp, form, files=[("good.jpg", jpeg_bytes(), "image/jpeg"), *files], status=status)
    shown = problem(page) + " ".join(page.html.select_one(".tip-attachments").get_text(" ").split())
    assert words in shown
    assert_kept(page, description=DESCRIPTION, q_vehicle="grey van", name=CONTACT_NAME, phone=PHONE)
    assert stored(dbsession, registry) == before
    logged = caplog.text + "".join(repr(record.__dict__) for record in caplog.records)
    for secret in (CONTACT_NAME, PHONE, DESCRIPTION[:30], "grey van"):
        assert secret not in logged


def test_a_storage_error_stores_nothing(testapp, dbsession, registry, areas, category, monkeypatch):
    store = registry["media_store"]
    before = stored(dbsession, registry)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store, "put_file", broken, raising=False)
    monkeypatch.setattr(store, "put_stream", broken)
    page = send(testapp, fill(form_of(testapp)), status=400, files=[("a.jpg", jpeg_bytes(), "image/jpeg")])
    assert "could not be stored" in problem(page)
    assert_kept(page, description=DESCRIPTION)
    assert stored(dbsession, registry) == before


# --- /tips/route -------------------------------------------------------------------------------------

def test_the_route_lookup_names_the_unit_of_a_point(testapp, areas):
    answer = testapp.get("/tips/route", {"lat": INSIDE_COUNTY_A[0], "lon": INSIDE_COUNTY_A[1]})
    assert answer.json == {"id": areas["county_a"].id, "unit": "County A1"}
    assert testapp.get("/tips/route", {"lat": "33.5", "lon": "100.5"}).json["unit"] == "City A"
    outside = testapp.get("/tips/route", {"lat": OUTSIDE[0], "lon": OUTSIDE[1]}, status=404)
    assert "outside the areas" in outside.json["error"]
    for bad, words in (({"lat": "x", "lon": "1"}, "not a number"), ({"lat": "91", "lon": "1"}, "outside the world"),
                       ({"lat": "nan", "lon": "1"}, "not a number"), ({"lat": "1", "lon": "-inf"}, "not a number"),
                       ({"lat": "1"}, "come together"), ({}, "needs a latitude and a longitude")):
        assert words in testapp.get("/tips/route", bad, status=400).json["error"]


def test_a_phone_sized_photo_passes(testapp, dbsession, areas, category):
    """Larger than the ordinary form limit: the streamed form takes it."""
    out = io.BytesIO()
    Image.effect_noise((900, 900), 120).convert("RGB").save(out, "JPEG", quality=95)
    send(testapp, fill(form_of(testapp)), status=200, files=[("big.jpg", out.getvalue(), "image/jpeg")])
    assert only_tip(dbsession).attachments[0].media.size == len(out.getvalue())
