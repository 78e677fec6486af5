"""Administrators keep the tip categories and their questions in /staff/categories: add, rename in
every language, reorder, retire and bring back, edit questions and their choices. Every change is
audited; bad input is refused with the form kept; what tips use stays fixed."""
import pyotp
import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.tips.models import TipAnswer, TipCategory, TipQuestion
from tests.factories import make_category, make_officer, make_tip
from tests.functional.helpers import login

NAMES = {"name_zh": "电信诈骗", "name_en": "Phone scams", "name_ug": "تېلېفون ئالدامچىلىقى"}


@pytest.fixture
def admin(testapp, dbsession, registry, units):
    """A province administrator, signed in."""
    secret = pyotp.random_base32()
    officer = make_officer(dbsession, units["province"], ["admin"], username="admin_p", totp_secret=secret,
                           cipher=registry["field_cipher"])
    login(testapp, "admin_p", totp_secret=secret)
    return officer


def category(dbsession, slug) -> TipCategory:
    return dbsession.execute(select(TipCategory).where(TipCategory.slug == slug)).scalar_one()


def offered_slugs(dbsession):
    return list(dbsession.execute(select(TipCategory.slug).where(TipCategory.retired.is_(False))
                                  .order_by(TipCategory.position, TipCategory.id)).scalars())


def events(dbsession, object_type, object_id):
    return dbsession.execute(select(AuditEvent).where(
        AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id)).order_by(AuditEvent.id)
    ).scalars().all()


def count(dbsession, model):
    return dbsession.execute(select(func.count()).select_from(model)).scalar_one()


def fill(form, values):
    for name, value in values.items():
        form[name] = value
    return form


# --- the list -----------------------------------------------------------------------------------

def test_the_list_shows_the_default_categories_in_order_and_retired_ones_apart(testapp, dbsession, admin):
    category(dbsession, "other").retired = True
    dbsession.flush()
    page = testapp.get("/staff/categories")
    offered, retired = page.html.select("table.categories")
    names = [row.select("td")[1].get_text(strip=True) for row in offered.select("tbody tr")]
    assert names[:3] == ["Organized crime and gangs", "Guns", "Explosives"] and names[-1] == "Fraud"
    assert len(names) == 9 and "Other" not in names
    assert [row.select("td")[0].get_text(strip=True) for row in retired.select("tbody tr")] == ["Other"]
    guns = offered.select("tbody tr")[1]
    assert "call 110 panel" in guns.get_text()
    # The first row cannot move up, the last cannot move down; every form carries the CSRF token.
    first, last = category(dbsession, "organized-crime"), category(dbsession, "fraud")
    assert f"up-{first.id}" not in page.forms and f"down-{last.id}" not in page.forms
    assert all(form["csrf_token"].value for form in page.forms.values())


# --- adding, renaming -----------------------------------------------------------------------------

def test_admin_adds_a_category_in_three_languages(testapp, dbsession, admin):
    form = testapp.get("/staff/categories").click("New category").forms["deform"]
    fill(form, {"slug": "phone-scams", **NAMES, "description_zh": "冒充客服退款等电话诈骗。",
                "description_en": "Callers posing as customer service.", "description_ug": "تېلېفون ئالدامچىلىقى."})
    page = form.submit("save", status=303).follow()
    assert "Category created." in page.text
    created = category(dbsession, "phone-scams")
    assert created.names == {"zh_CN": "电信诈骗", "en": "Phone scams", "ug": "تېلېفون ئالدامچىلىقى"}
    assert created.descriptions["en"] == "Callers posing as customer service." and not created.danger
    assert offered_slugs(dbsession)[-1] == "phone-scams"
    [event] = events(dbsession, "tip_category", created.id)
    assert (event.action, event.actor) == ("tip_category.created", "officer:admin_p")


@pytest.mark.parametrize("field,value,message", [
    ("name_ug", "", "Required"),
    ("slug", "Phone Scams!", "Up to 40 of a-z"),
    ("slug", "drugs", "Another category already has this short name."),
])
def test_bad_new_category_is_refused_with_the_form_kept(testapp, dbsession, admin, field, value, message):
    before = count(dbsession, TipCategory), count(dbsession, AuditEvent)
    form = fill(testapp.get("/staff/categories/new").forms["deform"], {"slug": "phone-scams", **NAMES})
    form[field] = value
    page = form.submit("save", status=400)
    assert message in page.text
    kept = page.forms["deform"]
    assert kept["name_zh"].value == "电信诈骗" and kept[field].value == value
    assert (count(dbsession, TipCategory), count(dbsession, AuditEvent)) == before


def test_admin_renames_a_category_in_every_language_and_flags_danger(testapp, dbsession, admin):
    fraud = category(dbsession, "fraud")
    form = testapp.get(f"/staff/categories/{fraud.id}").forms["category"]
    form["name_zh"], form["name_en"], form["name_ug"] = "电信网络诈骗", "Phone and online fraud", "تور ئالدامچىلىقى"
    form["description_en"] = "Scams by phone or online."
    form["danger"] = True
    page = form.submit("save", status=303).follow()
    assert "Saved." in page.text and "Phone and online fraud" in page.text
    assert fraud.names == {"zh_CN": "电信网络诈骗", "en": "Phone and online fraud", "ug": "تور ئالدامچىلىقى"}
    assert fraud.descriptions["en"] == "Scams by phone or online." and fraud.descriptions["zh_CN"].startswith("电信")
    assert fraud.danger
    assert events(dbsession, "tip_category", fraud.id)[-1].reason == "changed: names, descriptions, danger"
    # Saving again unchanged writes nothing.
    before = count(dbsession, AuditEvent)
    page = testapp.get(f"/staff/categories/{fraud.id}").forms["category"].submit("save", status=303).follow()
    assert "Nothing was changed." in page.text and count(dbsession, AuditEvent) == before


def test_a_rename_without_a_language_is_refused_and_kept(testapp, dbsession, admin):
    fraud = category(dbsession, "fraud")
    form = testapp.get(f"/staff/categories/{fraud.id}").forms["category"]
    form["name_en"], form["name_ug"] = "Scams", ""
    page = form.submit("save", status=400)
    assert "Required" in page.text and page.forms["category"]["name_en"].value == "Scams"
    assert fraud.names["en"] == "Fraud"


def test_the_slug_is_fixed_once_tips_use_the_category(testapp, dbsession, admin, units):
    fresh = make_category(dbsession, slug="fresh")
    form = testapp.get(f"/staff/categories/{fresh.id}").forms["category"]
    form["slug"] = "renamed"
    form.submit("save", status=303)
    assert fresh.slug == "renamed"

    make_tip(dbsession, units["city_a"], category=fresh)
    page = testapp.get(f"/staff/categories/{fresh.id}")
    assert "Tips use this category" in page.text
    form = page.forms["category"]
    assert form["slug"].attrs.get("readonly") == "readonly"
    form["slug"].force_value("again")
    form["name_en"] = "Typed name"
    page = form.submit("save", status=400)
    assert "Tips already use this category, so its short name stays renamed." in page.text
    assert page.forms["category"]["name_en"].value == "Typed name"
    assert fresh.slug == "renamed" and fresh.names["en"] != "Typed name"


# --- order, retiring ----------------------------------------------------------------------------

def test_admin_moves_categories_up_and_down(testapp, dbsession, admin):
    guns, explosives = category(dbsession, "guns"), category(dbsession, "explosives")
    page = testapp.get("/staff/categories").forms[f"down-{guns.id}"].submit(status=303).follow()
    assert "Moved down." in page.text
    assert offered_slugs(dbsession)[:3] == ["organized-crime", "explosives", "guns"]
    page.forms[f"up-{guns.id}"].submit(status=303)
    page = testapp.get("/staff/categories").forms[f"up-{guns.id}"].submit(status=303).follow()
    assert offered_slugs(dbsession)[:3] == ["guns", "organized-crime", "explosives"]
    assert [e.reason for e in events(dbsession, "tip_category", guns.id)] == [
        "down to position 3", "up to position 2", "up to position 1"]
    assert explosives.position == 3
    # Already first: nothing moves and nothing is audited.
    before = count(dbsession, AuditEvent)
    testapp.post(f"/staff/categories/{guns.id}", {"action": "up", "csrf_token": page.forms[f"down-{guns.id}"]
                                                 ["csrf_token"].value}, status=303)
    assert offered_slugs(dbsession)[0] == "guns" and count(dbsession, AuditEvent) == before


def test_admin_retires_a_category_and_brings_it_back(testapp, dbsession, admin, units):
    drugs = category(dbsession, "drugs")
    tip = make_tip(dbsession, units["county_a"], category=drugs)
    page = testapp.get("/staff/categories").forms[f"retire-{drugs.id}"].submit(status=303).follow()
    assert "Retired" in page.text and drugs.retired and "drugs" not in offered_slugs(dbsession)
    assert tip.category is drugs  # its tips keep it
    retired_table = page.html.select("table.retired")[0]
    assert "Drugs (use, making, dealing)" in retired_table.get_text()
    page = page.forms[f"restore-{drugs.id}"].submit(status=303).follow()
    assert "Brought back" in page.text and offered_slugs(dbsession)[-1] == "drugs"
    assert [(e.action, e.from_state, e.to_state) for e in events(dbsession, "tip_category", drugs.id)] == [
        ("tip_category.retired", "offered", "retired"), ("tip_category.restored", "retired", "offered")]


def test_a_retired_category_cannot_be_moved(testapp, dbsession, admin):
    other = category(dbsession, "other")
    token = testapp.get("/staff/categories").forms[f"retire-{other.id}"]["csrf_token"].value
    testapp.post(f"/staff/categories/{other.id}", {"action": "retire", "csrf_token": token}, status=303)
    page = testapp.post(f"/staff/categories/{other.id}", {"action": "up", "csrf_token": token}, status=400)
    assert "Bring the category back before moving it." in page.text


def test_unknown_actions_and_foreign_questions_are_refused(testapp, dbsession, admin):
    drugs, fraud = category(dbsession, "drugs"), category(dbsession, "fraud")
    token = testapp.get("/staff/categories").forms[f"retire-{drugs.id}"]["csrf_token"].value
    page = testapp.post(f"/staff/categories/{drugs.id}", {"action": "delete", "csrf_token": token}, status=400)
    assert "Use one of the buttons on this page." in page.text and not drugs.retired
    foreign = fraud.questions[0].id
    testapp.post(f"/staff/categories/{drugs.id}", {"action": "question-retire", "question": str(foreign),
                                                   "csrf_token": token}, status=404)
    testapp.get(f"/staff/categories/{drugs.id}?question={foreign}", status=404)
    assert not fraud.questions[0].retired


@pytest.mark.parametrize("value", ["%C2%B2", "%D9%A3", "99999999999", "x"])  # ², ٣ ("²".isdigit() but int fails)
def test_a_question_number_that_is_no_id_is_not_found(testapp, dbsession, admin, value):
    drugs = category(dbsession, "drugs")
    testapp.get(f"/staff/categories/{drugs.id}?question={value}", status=404)
    token = testapp.get("/staff/categories").forms[f"retire-{drugs.id}"]["csrf_token"].value
    testapp.post(f"/staff/categories/{drugs.id}?question={value}", {"action": "up", "csrf_token": token}, status=404)
    raw = {"%C2%B2": "\u00b2", "%D9%A3": "\u0663"}.get(value, value)
    testapp.post(f"/staff/categories/{drugs.id}", {"action": "question-retire", "question": raw, "csrf_token": token},
                 status=404)
    assert not any(q.retired for q in drugs.questions)


def test_only_administrators_of_the_root_unit_manage_categories(testapp, dbsession, registry, units):
    """Categories are the same province-wide: a city's administrator must not change every unit's form."""
    secret = pyotp.random_base32()
    make_officer(dbsession, units["city_a"], ["admin"], username="admin_city", totp_secret=secret,
                 cipher=registry["field_cipher"])
    login(testapp, "admin_city", totp_secret=secret)
    drugs = category(dbsession, "drugs")
    staff = testapp.get("/staff")
    assert staff.html.select_one('nav a[href="/staff/categories"]') is None
    assert staff.html.select_one('nav a[href="/staff/units"]') is not None  # still an administrator of the city
    for url in ("/staff/categories", "/staff/categories/new", f"/staff/categories/{drugs.id}"):
        testapp.get(url, status=403)
    token = staff.forms[0]["csrf_token"].value
    before = count(dbsession, AuditEvent)
    testapp.post(f"/staff/categories/{drugs.id}", {"action": "retire", "csrf_token": token}, status=403)
    testapp.post("/staff/categories/new", {"slug": "city-only", **NAMES, "csrf_token": token}, status=403)
    assert not drugs.retired and "city-only" not in offered_slugs(dbsession)
    assert count(dbsession, AuditEvent) == before


def test_the_root_units_administrator_finds_the_categories_in_the_navigation(testapp, admin):
    page = testapp.get("/staff")
    assert page.html.select_one('nav a[href="/staff/categories"]') is not None
    assert page.click(href="/staff/categories$").status_int == 200


def test_officers_who_are_not_administrators_cannot_change_categories(testapp, dbsession, units):
    make_officer(dbsession, units["province"], ["moderator", "handler"], username="mod_p")
    login(testapp, "mod_p")
    drugs = category(dbsession, "drugs")
    token = testapp.get("/staff").forms[0]["csrf_token"].value
    testapp.post(f"/staff/categories/{drugs.id}", {"action": "retire", "csrf_token": token}, status=403)
    testapp.post("/staff/categories/new", {"slug": "x", **NAMES, "csrf_token": token}, status=403)
    assert not drugs.retired and "x" not in offered_slugs(dbsession)


def test_every_category_form_needs_the_csrf_token(testapp, dbsession, admin):
    drugs = category(dbsession, "drugs")
    before = count(dbsession, AuditEvent)
    testapp.post(f"/staff/categories/{drugs.id}", {"action": "retire"}, status=400)
    testapp.post(f"/staff/categories/{drugs.id}", {"action": "retire", "csrf_token": "forged"}, status=400)
    testapp.post("/staff/categories/new", {"slug": "x", **NAMES}, status=400)
    assert not drugs.retired and count(dbsession, AuditEvent) == before


# --- questions ----------------------------------------------------------------------------------

CHOICES = [("car", "汽车", "Car", "ماشىنا", False), ("truck", "货车", "Truck", "يۈك ماشىنىسى", True)]


def fill_question(form, key="vehicle", kind="choice", labels=("交通工具", "Vehicle", "قاتناش قورالى"), choices=CHOICES,
                  required=True):
    form["key"], form["kind"], form["required"] = key, kind, required
    form["question_zh"], form["question_en"], form["question_ug"] = labels
    values = [f for f in form.fields if f in ("value", "label_zh", "label_en", "label_ug", "danger")]
    assert values  # the choice rows are there
    for index, (value, zh, en, ug, danger) in enumerate(choices):
        form.set("value", value, index=index)
        form.set("label_zh", zh, index=index)
        form.set("label_en", en, index=index)
        form.set("label_ug", ug, index=index)
        form.set("danger", danger, index=index)
    return form


def test_admin_adds_a_choice_question_with_a_danger_value(testapp, dbsession, admin):
    fraud = category(dbsession, "fraud")
    page = testapp.get(f"/staff/categories/{fraud.id}")
    form = fill_question(page.forms["question"])
    page = form.submit("save", status=303).follow()
    assert "Question added." in page.text
    question = dbsession.execute(select(TipQuestion).where(TipQuestion.category_id == fraud.id,
                                                           TipQuestion.key == "vehicle")).scalar_one()
    assert question.kind == "choice" and question.required and question.position == 4
    assert question.labels == {"zh_CN": "交通工具", "en": "Vehicle", "ug": "قاتناش قورالى"}
    assert question.choices == [{"value": "car", "labels": {"zh_CN": "汽车", "en": "Car", "ug": "ماشىنا"}},
                                {"value": "truck", "labels": {"zh_CN": "货车", "en": "Truck", "ug": "يۈك ماشىنىسى"}}]
    assert question.danger_values == ["truck"]
    [event] = events(dbsession, "tip_question", question.id)
    assert event.action == "tip_question.created" and event.reason == "category fraud: vehicle (choice)"
    assert "Vehicle" in page.html.select("table.questions")[0].get_text()


@pytest.mark.parametrize("kind,key", [("text", "plate"), ("date", "seen_on"), ("number", "how_many")])
def test_admin_adds_a_question_of_each_plain_kind(testapp, dbsession, admin, kind, key):
    other = category(dbsession, "other")
    form = testapp.get(f"/staff/categories/{other.id}").forms["question"]
    form["key"], form["kind"] = key, kind
    form["question_zh"], form["question_en"], form["question_ug"] = "问题", "A question", "سوئال"
    form.submit("save", status=303)
    [question] = other.questions
    assert (question.key, question.kind, question.required, question.choices, question.danger_values) == (
        key, kind, False, [], [])
    assert question.labels == {"zh_CN": "问题", "en": "A question", "ug": "سوئال"}


@pytest.mark.parametrize("change,message", [
    ({"choices": [CHOICES[0], ("car", "小汽车", "Small car", "كىچىك ماشىنا", False)]}, "a value is given twice"),
    ({"choices": [CHOICES[0], ("bus", "汽车", "Bus", "ئاپتوبۇس", False)]}, "a label is given twice"),
    ({"choices": [CHOICES[0]]}, "between 2 and 20 choices"),
    ({"choices": [CHOICES[0], CHOICES[1], ("", "", "", "", True)]}, "Give this choice a value"),
    ({"choices": [CHOICES[0], ("bus", "公交", "Bus", "", False)]}, "Give this choice a label in this language."),
    ({"choices": [CHOICES[0], ("Bus!", "公交", "Bus", "ئاپتوبۇس", False)]}, "Choice values are up to 40"),
    ({"kind": "text"}, "Only choice questions have choices"),
    ({"labels": ("交通工具", "", "قاتناش قورالى")}, "Required"),
    ({"key": "contact_way"}, "already has a question with this key"),
    ({"key": "Vehicle"}, "starting with a letter"),
])
def test_bad_questions_are_refused_with_the_form_kept(testapp, dbsession, admin, change, message):
    fraud = category(dbsession, "fraud")
    before = count(dbsession, TipQuestion), count(dbsession, AuditEvent)
    form = fill_question(testapp.get(f"/staff/categories/{fraud.id}").forms["question"], **change)
    page = form.submit("save", status=400)
    assert message in page.text
    kept = page.forms["question"]
    assert kept["question_ug"].value == "قاتناش قورالى"
    assert kept.get("value", index=0).value == "car"
    assert (count(dbsession, TipQuestion), count(dbsession, AuditEvent)) == before


def test_a_refused_question_is_shown_at_its_field_and_the_category_form_stays_as_stored(testapp, dbsession, admin):
    fraud = category(dbsession, "fraud")
    page = testapp.get(f"/staff/categories/{fraud.id}")
    page.forms["category"]["name_en"] = "Typed but not sent"
    form = fill_question(page.forms["question"], key="contact_way")
    page = form.submit("save", status=400)
    key = page.forms["question"]["key"]
    assert key.value == "contact_way"
    assert page.html.select_one(f"#error-{key.id}").get_text(strip=True) == \
        "This category already has a question with this key."
    assert page.html.select_one("p.alert-danger") is None  # not on top of the page: at the field
    assert page.forms["category"]["name_en"].value == "Fraud"


def test_admin_edits_reorders_retires_and_brings_back_a_question(testapp, dbsession, admin):
    fraud = category(dbsession, "fraud")
    amount, paid_on, contact_way = fraud.questions
    page = testapp.get(f"/staff/categories/{fraud.id}")
    page = page.click(href=f"question={contact_way.id}")
    assert "Edit the question contact_way" in page.text
    form = page.forms["question"]
    assert form.get("value", index=2).value == "in_person" and form.get("value", index=3).value == ""
    form["question_en"] = "How did the scammer reach you?"
    form.set("label_en", "Phone or SMS", index=0)
    form.set("value", "letter", index=3)
    form.set("label_zh", "信件", index=3)
    form.set("label_en", "Letter", index=3)
    form.set("label_ug", "خەت", index=3)
    form.submit("save", status=303)
    assert contact_way.labels["en"] == "How did the scammer reach you?"
    assert [c["value"] for c in contact_way.choices] == ["phone", "online", "in_person", "letter"]
    assert contact_way.choices[0]["labels"]["en"] == "Phone or SMS"
    assert events(dbsession, "tip_question", contact_way.id)[-1].reason == \
        "category fraud: contact_way: changed labels, choices"

    page = testapp.get(f"/staff/categories/{fraud.id}")
    page.forms[f"question-up-{contact_way.id}"].submit(status=303)
    assert [q.key for q in sorted(fraud.questions, key=lambda q: q.position)] == ["amount", "contact_way", "paid_on"]
    assert events(dbsession, "tip_question", contact_way.id)[-1].reason == "category fraud: contact_way up to position 2"

    page = testapp.get(f"/staff/categories/{fraud.id}")
    page = page.forms[f"question-retire-{amount.id}"].submit(status=303).follow()
    assert amount.retired and "answers already given stay" in page.text
    retired = page.html.select("table.questions.retired")[0].get_text()
    assert "Amount lost (yuan)" in retired
    page.forms[f"question-restore-{amount.id}"].submit(status=303)
    assert not amount.retired and amount.position == 3
    assert [e.action for e in events(dbsession, "tip_question", amount.id)] == [
        "tip_question.retired", "tip_question.restored"]


def test_what_tips_answered_stays_fixed(testapp, dbsession, admin, units):
    drugs = category(dbsession, "drugs")
    activity = drugs.questions[0]
    tip = make_tip(dbsession, units["city_a"], category=drugs)
    dbsession.add(TipAnswer(tip=tip, question=activity, value="dealing"))
    dbsession.flush()
    page = testapp.get(f"/staff/categories/{drugs.id}?question={activity.id}")
    assert page.forms["question"]["key"].attrs.get("readonly") == "readonly"

    form = page.forms["question"]
    form["key"].force_value("what")
    assert "so its key stays activity" in form.submit("save", status=400).text

    form = testapp.get(f"/staff/categories/{drugs.id}?question={activity.id}").forms["question"]
    form["kind"] = "text"
    for index in range(6):
        for field in ("value", "label_zh", "label_en", "label_ug"):
            form.set(field, "", index=index)
    assert "its kind cannot change" in form.submit("save", status=400).text

    form = testapp.get(f"/staff/categories/{drugs.id}?question={activity.id}").forms["question"]
    for field in ("value", "label_zh", "label_en", "label_ug"):
        form.set(field, "", index=2)  # the third choice, dealing
    page = form.submit("save", status=400)
    assert "Tips have chosen dealing" in page.text
    assert [c["value"] for c in activity.choices] == ["use", "making", "dealing"] and activity.key == "activity"

    # Rewording the label of a chosen value is fine.
    form = testapp.get(f"/staff/categories/{drugs.id}?question={activity.id}").forms["question"]
    form.set("label_en", "Selling drugs", index=2)
    form.submit("save", status=303)
    assert activity.choices[2] == {"value": "dealing",
                                   "labels": {"zh_CN": "贩毒", "en": "Selling drugs", "ug": "زەھەرلىك چېكىملىك سېتىش"}}
