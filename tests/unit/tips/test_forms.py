"""schemas/tips.py: the tip form built from a category's questions, and the reply form."""
import json
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import colander
import pytest
from webob.multidict import MultiDict

from portal.core.forms import make_form
from portal.core.meta import utcnow
from portal.tips import submission as tips
from portal.tips.forms import (
    ATTACHMENTS,
    AttachmentRules,
    client_meta,
    danger_chosen,
    question_node,
    reply_schema,
    tip_schema,
)
from tests.factories import make_category
from tests.functional.test_tip_form import rectangle

LABELS = {"en": "How many?", "zh_CN": "多少？"}


@pytest.fixture
def category(dbsession):
    return make_category(dbsession, slug="schema-cat", questions=[
        {"key": "kind", "kind": "choice", "required": True, "labels": {"en": "Which kind?", "zh_CN": "哪种？"},
         "choices": [{"value": "a", "labels": {"en": "Kind A", "zh_CN": "甲"}},
                     {"value": "gun", "labels": {"en": "A gun", "zh_CN": "枪"}}],
         "danger_values": ["gun"]},
        {"key": "count", "kind": "number", "labels": LABELS},
        {"key": "day", "kind": "date", "labels": {"en": "Which day?"}},
        {"key": "words", "kind": "text", "required": True, "labels": {"zh_CN": "说明"}},
        {"key": "gone", "kind": "text", "retired": True},
    ])


def node_of(category, key, locale="en"):
    question = next(q for q in category.questions if q.key == key)
    return question_node(question, locale, "110")


def messages(exc: colander.Invalid) -> dict:
    return {key.split(".")[-1]: value for key, value in exc.asdict().items()}


# --- questions by kind ---------------------------------------------------------------------------------

def test_a_choice_offers_its_values_and_refuses_others(category):
    node = node_of(category, "kind")
    assert node.name == "q_kind" and node.title == "Which kind?" and node.required
    assert node.deserialize("gun") == "gun"
    assert node.widget.values == [("", "Choose"), ("a", "Kind A"), ("gun", "A gun")]
    assert json.loads(node.widget.attributes["data-danger-values"]) == ["gun"]
    assert "A gun" in node.description.interpolate() and "110" in node.description.interpolate()
    with pytest.raises(colander.Invalid) as bad:
        node.deserialize("bogus")
    assert bad.value.msg == "Choose one of the answers offered."
    with pytest.raises(colander.Invalid) as empty:
        node.deserialize(colander.null)
    assert empty.value.msg == "Answer this question."


def test_labels_follow_the_language_with_a_fallback(category):
    assert node_of(category, "kind", "zh_CN").widget.values[1] == ("a", "甲")
    assert node_of(category, "words", "en").title == "说明"  # no English label: the Chinese one
    assert node_of(category, "count", "ug").title == "多少？"


@pytest.mark.parametrize("value, expected", [("3", Decimal("3")), ("2.5", Decimal("2.5")), ("-1", Decimal("-1")),
                                             ("", None)])
def test_a_number_answer(category, value, expected):
    assert node_of(category, "count").deserialize(value or colander.null) == expected


@pytest.mark.parametrize("value", ["three", "NaN", "Infinity", "1e400", "1" * 13, "3,5"])
def test_a_wrong_number_gets_one_clear_message(category, value):
    with pytest.raises(colander.Invalid) as bad:
        node_of(category, "count").deserialize(value)
    assert bad.value.msg == "Give a number, for example 3 or 2.5."


def test_a_date_answer(category):
    node = node_of(category, "day")
    assert node.deserialize("2026-05-31") == date(2026, 5, 31)
    assert node.deserialize(colander.null) is None
    assert node.widget.attributes["type"] == "date"
    for bad, message in [("31.05.2026", "Give a date, for example 2026-05-31."),
                         ("2026-02-30", "Give a date, for example 2026-05-31."),
                         ("1850-01-01", "Give a date between 1900 and 2100.")]:
        with pytest.raises(colander.Invalid) as refused:
            node.deserialize(bad)
        assert refused.value.msg == message, bad


def test_a_text_answer_is_trimmed_and_bounded(category):
    node = node_of(category, "words")
    assert node.deserialize("  red van ") == "red van"
    with pytest.raises(colander.Invalid) as empty:
        node.deserialize(colander.null)
    assert empty.value.msg == "Answer this question."
    with pytest.raises(colander.Invalid):
        node.deserialize("x" * 1001)


# --- the whole form -----------------------------------------------------------------------------------

@pytest.fixture
def bound(dummy_request, category):
    return tip_schema(dummy_request, category).bind(request=dummy_request)


def cstruct(**changes):
    values = {"description": " Seen twice. ", "happened_at": utcnow().strftime("%Y-%m-%dT%H:%M"),
              "where": {"place": "Gate", "lat": "", "lon": "", "accuracy_m": ""}, "unit": "",
              "answers": {"q_kind": "a", "q_count": "", "q_day": "", "q_words": "w"},
              "contact": {"name": "", "phone": ""}, "pow": "", "website": "", ATTACHMENTS: ()}
    values.update(changes)
    return values


def test_the_form_has_its_parts_in_order_with_the_files_last(bound):
    assert [child.name for child in bound.children] == [
        "description", "happened_at", "where", "unit", "answers", "contact", "pow", "website", ATTACHMENTS]
    assert [child.name for child in bound["answers"].children] == ["q_kind", "q_count", "q_day", "q_words"]


def test_a_category_without_questions_has_no_answers(dummy_request, dbsession):
    bare = make_category(dbsession, slug="schema-bare")
    assert "answers" not in [c.name for c in tip_schema(dummy_request, bare).children]


def test_the_point_must_lead_to_a_unit(bound, dbsession, units):
    units["city_a"].jurisdiction = rectangle(100, 30, 102, 34)
    dbsession.flush()
    with pytest.raises(colander.Invalid) as nowhere:
        bound.deserialize(cstruct())
    assert messages(nowhere.value) == {"unit": tips.NO_PLACE}
    with pytest.raises(colander.Invalid) as outside:
        bound.deserialize(cstruct(where={"place": "", "lat": "10", "lon": "10", "accuracy_m": ""}))
    assert messages(outside.value) == {"unit": tips.OUTSIDE}
    inside = bound.deserialize(cstruct(where={"place": "", "lat": "31", "lon": "101", "accuracy_m": ""}))
    assert inside["description"] == "Seen twice." and inside["answers"]["q_kind"] == "a"
    chosen = bound.deserialize(cstruct(unit=str(units["city_b"].id)))
    assert chosen["unit"] == str(units["city_b"].id)


def test_every_problem_is_listed_at_once(bound):
    with pytest.raises(colander.Invalid) as bad:
        bound.deserialize(cstruct(description="", answers={"q_kind": "z", "q_count": "x", "q_day": "", "q_words": ""},
                                  website="bot", where={"place": "", "lat": "", "lon": "", "accuracy_m": ""}))
    found = messages(bad.value)
    assert found["description"] == "Say what happened."
    assert found["q_kind"] == "Choose one of the answers offered."
    assert found["q_count"] == "Give a number, for example 3 or 2.5."
    assert found["q_words"] == "Answer this question."
    assert "leave the last field empty" in found["website"]
    assert found["where"] == "Say where, in words or with a point on the map."


def test_the_form_renders_the_attachment_inputs_with_the_limits(dummy_request, category, registry):
    html = make_form(dummy_request, tip_schema(dummy_request, category)).render()
    assert html.count('name="attachments"') == 4 and 'capture="environment"' in html
    assert 'name="attachment_meta"' in html
    rules = AttachmentRules.from_settings(registry.settings)
    assert rules == AttachmentRules(10, 15, 250, 50, 300)
    assert f'data-image-bytes="{15 * 1048576}"' in html
    assert html.index('name="attachments"') > html.index('name="website"') > html.index('name="description"')


def test_danger_chosen_reads_what_was_sent(category):
    assert danger_chosen(category, MultiDict(q_kind="gun"))
    assert not danger_chosen(category, MultiDict(q_kind="a"))
    assert not danger_chosen(category, MultiDict())


@pytest.mark.parametrize("raw, expected", [
    ('[{"name": "a.jpg", "lastModified": 1}, 3, "x"]', [{"name": "a.jpg", "lastModified": 1}]),
    ('{"name": "a.jpg"}', None),
    ("not json", None),
    ("", None),
    ("[" + ",".join(["{}"] * 40000) + "]", None),  # beyond the bound: ignored, not parsed
    ("[" * 5000, None),  # within the bound, but json.loads raises RecursionError
    ("[" * 500 + "]" * 500, []),  # deep but well-formed: a list without file notes
    ("1" * 5000, None),  # an integer beyond Python's digit limit (a ValueError)
])
def test_the_scripts_file_notes_are_only_a_hint(raw, expected):
    assert client_meta(SimpleNamespace(POST=MultiDict(attachment_meta=raw))) == expected


# --- the reply ----------------------------------------------------------------------------------------

def test_a_reply_needs_words_or_a_file(dummy_request):
    schema = reply_schema().bind(request=dummy_request)
    assert schema.deserialize({"code": "1234", "message": " Thanks ", ATTACHMENTS: ()})["message"] == "Thanks"
    with pytest.raises(colander.Invalid) as empty:
        schema.deserialize({"code": "1234", "message": "  ", ATTACHMENTS: ()})
    assert messages(empty.value) == {"message": "Write your answer, or add a file."}
    with pytest.raises(colander.Invalid) as no_code:
        schema.deserialize({"code": "", "message": "x", ATTACHMENTS: ()})
    assert "code" in messages(no_code.value)
