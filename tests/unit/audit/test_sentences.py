"""History lines in the reader's language: what the code wrote becomes sentences, what an officer
typed stays as typed, and a code not known yet is shown as stored (never hidden)."""
from types import SimpleNamespace

import pytest
from pyramid.i18n import make_localizer

from portal.audit.sentences import flood_code, flood_text, line, reason_text
from portal.core.i18n import LOCALE_DIR, compile_catalogs


@pytest.fixture(scope="module")
def request_in():
    compile_catalogs()

    def make(lang):
        return SimpleNamespace(localizer=make_localizer(lang, [LOCALE_DIR]))
    return make


def event(**kw):
    base = {"at": None, "actor": "public", "action": "alarm.raised", "from_state": "", "to_state": "new",
            "object_type": "alarm", "object_id": "7",
            "reason": "kind silent; unit 139910; located; flagged as flood"}
    return SimpleNamespace(**dict(base, **kw))


def test_a_machine_line_becomes_chinese_sentences(request_in):
    shown = line(request_in("zh_CN"), event())
    assert shown["action"] == "报警：已发出"
    assert shown["who"] == "群众" and shown["object"] == "报警 7"
    assert str(line(request_in("zh_CN"), event(from_state="new", to_state="acknowledged"))["states"]) == "待接警 → 已接警"
    assert shown["reason"] == "类型：静默报警；单位 139910；含位置；已标记为疑似恶意刷报"


def test_the_same_line_in_uyghur_and_english(request_in):
    assert line(request_in("ug"), event())["action"] == "جىددىي سىگنال: يوللاندى"
    assert line(request_in("en"), event())["reason"] == (
        "kind: silent alarm; unit 139910; with a position; flagged as a possible flood")


@pytest.mark.parametrize("typed", ["家属已电话确认", "kind of urgent; caller calm", "located the caller"])
def test_what_an_officer_typed_stays_as_typed(request_in, typed):
    assert reason_text(request_in("zh_CN").localizer.translate, typed) == typed


def test_an_unknown_code_and_an_officer_actor_are_shown_as_stored(request_in):
    shown = line(request_in("zh_CN"), event(action="bulk.imported", actor="officer:zhang", reason="",
                                            object_type="bulk"))
    assert (shown["action"], shown["who"], shown["reason"], shown["object"]) == ("bulk.imported", "zhang", "", "bulk 7")
    assert line(request_in("zh_CN"), event(action="signin", object_type="", object_id=""))["action"] == "登录"


@pytest.mark.parametrize("stored", [flood_code(10), "flood: more than 10 alarms from one address within an hour"])
def test_a_flood_flag_reads_the_same_stored_now_or_before(request_in, stored):
    assert flood_text(request_in("zh_CN"), stored) == "一小时内同一地址发出了超过 10 次报警。"
    assert flood_text(request_in("zh_CN"), "") == ""


@pytest.mark.parametrize("stored, shown", [
    ("actionable: Seized 40 detonators; case opened.", "有效：Seized 40 detonators; case opened."),
    ("from officer:li to officer:wang: 换班", "从 li 转给 wang：换班"),
    ("to officer:wang", "转给 wang"),
    ("to 139911: 属地管辖", "转至单位 139911：属地管辖"),
])
def test_the_codes_words_are_translated_and_the_officers_words_kept(request_in, stored, shown):
    assert reason_text(request_in("zh_CN").localizer.translate, stored) == shown
