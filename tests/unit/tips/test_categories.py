"""The default tip categories written by migration 0009, and the rules of tips/categories.py:
texts in every language, choices and danger values that make sense, what tips use stays fixed,
order kept 1..n, every change audited."""
import pyotp
import pytest
from sqlalchemy import select

from portal.accounts.policy import SESSION_KEY, auth_epoch
from portal.audit.models import AuditEvent
from portal.core.refused import Refused
from portal.tips import categories as service
from portal.tips.categories import check_choices
from portal.tips.models import TipAnswer, TipCategory
from tests.factories import make_category, make_officer, make_tip

DEFAULT_ORDER = ["organized-crime", "guns", "explosives", "prostitution-gambling", "pollution", "drugs", "ip-crime",
                 "illegal-entry", "fraud", "other"]
LANGUAGES = ("zh_CN", "en", "ug")
UYGHUR_LETTERS = set("ئابپتجچخدرزژسشغفقكگڭلمنھوۇۆۈۋېىي")


def by_slug(dbsession):
    return {c.slug: c for c in dbsession.execute(select(TipCategory)).scalars()}


# --- the defaults -------------------------------------------------------------------------------

def test_the_ten_default_categories_are_there_in_order(dbsession):
    offered = service.offered(dbsession)
    assert [c.slug for c in offered] == DEFAULT_ORDER
    assert [c.position for c in offered] == list(range(1, 11))
    assert {c.slug for c in offered if c.danger} == {"guns", "explosives"}
    names = {c.slug: c.names for c in offered}
    assert names["drugs"]["en"] == "Drugs (use, making, dealing)"
    assert names["illegal-entry"]["en"] == "Illegal entry, stay or employment"
    assert names["guns"]["zh_CN"] == "涉枪违法犯罪" and names["fraud"]["zh_CN"] == "诈骗"
    for category in offered:
        for texts in (category.names, category.descriptions):
            assert set(texts) == set(LANGUAGES) and all(texts.values()), category.slug
        assert set(category.names["ug"]) & UYGHUR_LETTERS, category.slug  # Arabic script, not Latin
        assert any("\u4e00" <= ch <= "\u9fff" for ch in category.names["zh_CN"]), category.slug


def test_the_default_questions_are_complete_in_three_languages(dbsession):
    categories = by_slug(dbsession)
    kinds = {slug: {q.key: q.kind for q in categories[slug].questions} for slug in DEFAULT_ORDER}
    assert kinds["drugs"] == {"activity": "choice", "last_seen": "date"}
    assert kinds["fraud"] == {"amount": "number", "paid_on": "date", "contact_way": "choice"}
    assert kinds["pollution"]["polluted"] == "choice" and kinds["organized-crime"]["people"] == "number"
    assert kinds["illegal-entry"]["nationality"] == kinds["ip-crime"]["product"] == "text"
    assert kinds["prostitution-gambling"]["venue"] == "text" and kinds["other"] == {}
    all_kinds = {kind for per_category in kinds.values() for kind in per_category.values()}
    assert all_kinds == {"text", "choice", "date", "number"}
    questions = [q for c in categories.values() if c.slug in DEFAULT_ORDER for q in c.questions]
    assert any(q.required for q in questions) and not all(q.required for q in questions)
    for q in questions:
        assert set(q.labels) == set(LANGUAGES) and all(q.labels.values()), q.key
        assert [p.position for p in q.category.questions] == list(range(1, len(q.category.questions) + 1))
        if q.kind == "choice":
            assert len(q.choices) >= 2 and len({c["value"] for c in q.choices}) == len(q.choices)
            assert all(set(c["labels"]) == set(LANGUAGES) and all(c["labels"].values()) for c in q.choices)
        else:
            assert q.choices == []
        assert set(q.danger_values) <= {c["value"] for c in q.choices}
    activity = categories["drugs"].questions[0]
    assert activity.required and [c["value"] for c in activity.choices] == ["use", "making", "dealing"]
    for slug in ("guns", "explosives"):
        threat = categories[slug].questions[0]
        assert (threat.key, threat.required, threat.danger_values) == ("threat_now", True, ["yes"])
    assert categories["guns"].questions[0].labels["en"] == "Is someone threatening people with a weapon right now?"
    assert [c["value"] for c in categories["pollution"].questions[0].choices] == ["water", "air", "soil", "waste"]
    assert [c["value"] for c in categories["fraud"].questions[2].choices] == ["phone", "online", "in_person"]


# --- the checks ---------------------------------------------------------------------------------

def choice(value, zh=None, en=None, ug=None):
    return {"value": value, "labels": {"zh_CN": zh or f"中{value}", "en": en or f"en {value}", "ug": ug or f"ئۇ{value}"}}


@pytest.mark.parametrize("kind,choices,danger,message", [
    ("choice", [choice("a")], [], "between 2 and 20"),
    ("choice", [choice(str(n)) for n in range(21)], [], "between 2 and 20"),
    ("choice", [choice("a"), choice("a", zh="别的", en="other", ug="باشقا")], [], "a value is given twice"),
    ("choice", [choice("a", en="Same"), choice("b", en="Same")], [], "a label is given twice"),
    ("choice", [choice("a"), choice("")], [], "needs a value"),
    ("choice", [choice("a"), choice("B c")], [], "Choice values are up to 40"),
    ("choice", [choice("a"), {"value": "b", "labels": {"zh_CN": "乙", "en": "b"}}], [], "every language"),
    ("choice", [choice("a"), choice("b")], ["c"], "must be among the choices"),
    ("text", [choice("a"), choice("b")], [], "Only choice questions have choices"),
    ("number", [], ["a"], "Only choice questions have choices"),
    ("colour", [], [], "Choose a kind"),
])
def test_bad_choices_are_refused(kind, choices, danger, message):
    with pytest.raises(Refused) as refused:
        check_choices(kind, choices, danger)
    assert message in str(refused.value) and refused.value.status == 400
    # At the form field it is about, so the page shows it there.
    assert refused.value.field == ("kind" if kind == "colour" else "choices")


def test_good_choices_are_cleaned():
    choices, danger = check_choices("choice", [choice(" a "), choice("b")], ["b"])
    assert [c["value"] for c in choices] == ["a", "b"] and danger == ["b"]
    assert check_choices("date", [], []) == ([], [])


def test_texts_fall_back_to_chinese():
    assert service.text_in({"zh_CN": "诈骗", "en": "Fraud"}, "en") == "Fraud"
    assert service.text_in({"zh_CN": "诈骗", "en": "", "ug": ""}, "ug") == "诈骗"
    assert service.text_in(None, "en") == ""


# --- changes through the service ------------------------------------------------------------------

@pytest.fixture
def request_(dummy_request, dbsession, registry, units):
    admin = make_officer(dbsession, units["province"], ["admin"], username="cat_admin",
                         totp_secret=pyotp.random_base32(), cipher=registry["field_cipher"])
    dummy_request.session[SESSION_KEY] = admin.id
    dummy_request.session["auth_epoch"] = auth_epoch(admin)
    assert dummy_request.identity is admin
    return dummy_request


def last_event(dbsession):
    return dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()


NAMES = {"zh_CN": "走私", "en": "Smuggling", "ug": "ئەتكەسچىلىك"}


def test_create_puts_a_category_at_the_end_and_audits_it(request_, dbsession):
    created = service.create(request_, slug="smuggling", names=NAMES, descriptions={"en": " Goods. "}, danger=True)
    assert created.position == 11 and created.danger
    assert created.descriptions == {"zh_CN": "", "en": "Goods.", "ug": ""}
    event = last_event(dbsession)
    assert (event.action, event.actor, event.reason) == ("tip_category.created", "officer:cat_admin",
                                                        "slug smuggling, danger")
    with pytest.raises(Refused):
        service.create(request_, slug="smuggling", names=NAMES, descriptions={}, danger=False)
    with pytest.raises(Refused):
        service.create(request_, slug="x", names={"zh_CN": "走私", "en": "Smuggling"}, descriptions={}, danger=False)


def test_moving_and_retiring_keep_the_order_numbered(request_, dbsession):
    categories = by_slug(dbsession)
    assert service.move(request_, categories["other"], -1)
    assert service.offered(dbsession)[-2:] == [categories["other"], categories["fraud"]]
    assert not service.move(request_, categories["organized-crime"], -1)
    assert service.set_retired(request_, categories["guns"], True)
    assert not service.set_retired(request_, categories["guns"], True)
    offered = service.offered(dbsession)
    assert [c.position for c in offered] == list(range(1, 10)) and categories["guns"] not in offered
    with pytest.raises(Refused):
        service.move(request_, categories["guns"], 1)
    assert service.set_retired(request_, categories["guns"], False)
    assert service.offered(dbsession)[-1] is categories["guns"] and categories["guns"].position == 10


def test_what_tips_use_stays_fixed(request_, dbsession, units):
    category = make_category(dbsession, slug="used", questions=[
        {"key": "colour", "kind": "choice", "labels": {"zh_CN": "颜色", "en": "Colour", "ug": "رەڭ"},
         "choices": [choice("red"), choice("blue")]}])
    question = category.questions[0]
    tip = make_tip(dbsession, units["city_a"], category=category)
    dbsession.add(TipAnswer(tip=tip, question=question, value="red"))
    dbsession.flush()
    texts = {"names": category.names, "descriptions": {}, "danger": False}
    with pytest.raises(Refused):
        service.update(request_, category, slug="renamed", **texts)
    assert service.update(request_, category, slug="used", **texts) == ["descriptions"]
    labels = {"zh_CN": "颜色", "en": "Colour", "ug": "رەڭ"}
    keep = {"kind": "choice", "required": False, "labels": labels, "danger_values": []}
    with pytest.raises(Refused):
        service.update_question(request_, question, key="hue", choices=[choice("red"), choice("blue")], **keep)
    with pytest.raises(Refused):
        service.update_question(request_, question, key="colour", choices=[choice("blue"), choice("green")], **keep)
    with pytest.raises(Refused):
        service.update_question(request_, question, key="colour", kind="text", required=False, labels=labels,
                                choices=[], danger_values=[])
    changed = service.update_question(request_, question, key="colour",
                                      choices=[choice("red", en="Red!"), choice("blue")], **keep)
    assert changed == ["choices"] and question.choices[0]["labels"]["en"] == "Red!"
    assert question.key == "colour" and question.kind == "choice"


def test_questions_are_added_moved_and_retired_in_order(request_, dbsession):
    category = by_slug(dbsession)["fraud"]
    labels = {"zh_CN": "网址", "en": "Web address", "ug": "تور ئادرېسى"}
    added = service.add_question(request_, category, key="website", kind="text", required=False, labels=labels,
                                 choices=[], danger_values=[])
    assert added.position == 4 and last_event(dbsession).reason == "category fraud: website (text)"
    with pytest.raises(Refused):
        service.add_question(request_, category, key="website", kind="text", required=False, labels=labels,
                             choices=[], danger_values=[])
    assert service.move_question(request_, added, -1)
    assert [q.key for q in service.active_questions(category)] == ["amount", "paid_on", "website", "contact_way"]
    assert service.set_question_retired(request_, category.questions[0], True)
    assert [q.position for q in service.active_questions(category)] == [1, 2, 3]
    assert service.set_question_retired(request_, category.questions[0], False)
    assert [q.key for q in service.active_questions(category)] == ["paid_on", "website", "contact_way", "amount"]
