"""services/tips.py: categories offered, routing to the receiving unit, submission, replies and what
the reporter is shown."""
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.abuse.ratelimit import IRateLimiter, MemoryRateLimiter, RateLimited
from portal.audit.models import AuditEvent
from portal.core.localtime import LOCAL_TZ
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.media.models import Media
from portal.media.uploads import UploadRefused
from portal.privacy import receipts
from portal.privacy.models import Receipt
from portal.tips import media as tip_media
from portal.tips import submission as tips
from portal.tips.models import Tip, TipAttachment, TipMessage, TipReward
from tests.factories import jpeg_bytes, make_category, make_notice, make_officer, make_tip
from tests.functional.test_tip_form import rectangle


@pytest.fixture
def areas(dbsession, units):
    for name, box in {"province": (100, 30, 104, 34), "city_a": (100, 30, 102, 34),
                      "county_a": (100, 30, 101, 32)}.items():
        units[name].jurisdiction = rectangle(*box)
    dbsession.flush()
    return units


@pytest.fixture
def category(dbsession):
    return make_category(dbsession, slug="unit-fraud", questions=[
        {"key": "how", "kind": "choice", "required": True, "labels": {"en": "How?"},
         "choices": [{"value": "phone", "labels": {"en": "By phone"}}, {"value": "armed", "labels": {"en": "Armed"}}],
         "danger_values": ["armed"]},
        {"key": "amount", "kind": "number", "labels": {"en": "Amount"}},
        {"key": "when", "kind": "date", "labels": {"en": "When"}},
        {"key": "note", "kind": "text", "labels": {"en": "Note"}},
        {"key": "old", "kind": "text", "labels": {"en": "Old"}, "retired": True},
    ])


@pytest.fixture
def limiter(registry):
    limiter = MemoryRateLimiter()
    registry.registerUtility(limiter, IRateLimiter)
    return limiter


def data(**changes):
    values = {"description": "  They sell fake train tickets at the station.  ",
              "happened_at": datetime(2026, 11, 20, 18, 30, tzinfo=LOCAL_TZ),
              "where": {"place": " Station square ", "lat": 30.5, "lon": 100.5, "accuracy_m": 20.0},
              "unit": "", "answers": {"q_how": "phone", "q_amount": Decimal("2.50"), "q_when": date(2026, 11, 1),
                                      "q_note": "  blue jacket ", "q_old": "ignored"},
              "contact": {"name": " Li ", "phone": "139 0000 0000"}, "task": None}
    values.update(changes)
    return values


def upload(content: bytes, name: str):
    return SimpleNamespace(file=io.BytesIO(content), filename=name)


def checked(*files, meta=None):
    from portal.core.settings import DEFAULTS

    return tip_media.check_attachments([upload(c, n) for n, c in files], tip_media.attachment_limits(DEFAULTS), meta)


def count(dbsession, model):
    return dbsession.execute(select(func.count()).select_from(model)).scalar_one()


# --- texts and categories ---------------------------------------------------------------------------

@pytest.mark.parametrize("texts, locale, expected", [
    ({"zh_CN": "诈骗", "en": "Fraud", "ug": "ئالدامچىلىق"}, "ug", "ئالدامچىلىق"),
    ({"zh_CN": "诈骗", "en": "Fraud"}, "ug", "诈骗"),
    ({"zh_CN": "", "en": "Fraud"}, "ug", "Fraud"),
    ({"fr": "Fraude"}, "en", "Fraude"),
    ({}, "en", ""),
    (None, "en", ""),
])
def test_text_in_falls_back_to_chinese_then_english(texts, locale, expected):
    assert tips.text_in(texts, locale) == expected


def test_offered_categories_skip_retired_ones_in_order(dbsession):
    second = make_category(dbsession, slug="unit-b", position=-5)
    first = make_category(dbsession, slug="unit-a", position=-6)
    make_category(dbsession, slug="unit-retired", position=-7, retired=True)
    offered = tips.offered_categories(dbsession)
    assert offered[:2] == [first, second] and "unit-retired" not in [c.slug for c in offered]
    assert tips.category_by_slug(dbsession, "unit-a") is first
    for slug in ("unit-retired", "nope", "", None, "x" * 41):
        assert tips.category_by_slug(dbsession, slug) is None


def test_active_questions_and_danger_answers(category):
    questions = tips.active_questions(category)
    assert [q.key for q in questions] == ["how", "amount", "when", "note"]
    how = questions[0]
    assert tips.answer_field(how) == "q_how"
    assert tips.is_danger_answer(how, "armed") and not tips.is_danger_answer(how, "phone")
    assert not tips.is_danger_answer(how, "") and not tips.is_danger_answer(questions[3], "armed")


def test_only_a_published_reward_task_is_a_task(dbsession, units):
    task = make_notice(dbsession, units["city_a"], kind="reward_task")
    assert tips.reward_task(dbsession, task.id) is task and tips.reward_task(dbsession, str(task.id)) is task
    assert tips.reward_task(dbsession, make_notice(dbsession, units["city_a"], kind="wanted").id) is None
    assert tips.reward_task(dbsession, make_notice(dbsession, units["city_a"], kind="reward_task",
                                                   state="draft").id) is None
    expired = make_notice(dbsession, units["city_a"], kind="reward_task", expires_at=utcnow() - timedelta(days=1))
    assert tips.reward_task(dbsession, expired.id) is None
    for bad in (None, "", "abc", "-1", str(2**40), "\u00b2", "\u0663"):
        assert tips.reward_task(dbsession, bad) is None


@pytest.mark.parametrize("value, expected", [
    ("1", 1), ("2147483647", 2**31 - 1), (7, 7),
    ("0", None), ("2147483648", None), ("1" * 40, None), ("-1", None), (" 1", None), ("1.0", None), ("", None),
    (None, None), (True, None), ("\u00b2", None), ("\u0663", None), ("\uff11", None),  # ², ٣, fullwidth 1
])
def test_a_record_id_is_ascii_digits_within_the_id_range(value, expected):
    assert tips.record_id(value) == expected


# --- routing ------------------------------------------------------------------------------------------

def test_the_receiving_unit_is_the_chosen_one_else_the_smallest_area(dbsession, areas):
    county, city, province = areas["county_a"], areas["city_a"], areas["province"]
    assert tips.receiving_unit(dbsession, "", 30.5, 100.5) == tips.Receiving(county, county)
    assert tips.receiving_unit(dbsession, None, 33.0, 100.5) == tips.Receiving(city, city)  # the parent's area
    assert tips.receiving_unit(dbsession, str(province.id), 30.5, 100.5) == tips.Receiving(province, county)
    assert tips.receiving_unit(dbsession, str(city.id), None, None) == tips.Receiving(city, None)
    assert tips.receiving_unit(dbsession, str(city.id), 50.0, 10.0) == tips.Receiving(city, None)


@pytest.mark.parametrize("unit_id, lat, lon, message", [
    ("", 50.0, 10.0, tips.OUTSIDE),
    ("", None, None, tips.NO_PLACE),
    ("999999", 30.5, 100.5, tips.NO_UNIT),
    ("abc", 30.5, 100.5, tips.NO_UNIT),
    (str(2**40), 30.5, 100.5, tips.NO_UNIT),
    ("\u00b2", 30.5, 100.5, tips.NO_UNIT),  # "²".isdigit() is True, int("²") raises
])
def test_no_unit_is_refused_clearly(dbsession, areas, unit_id, lat, lon, message):
    with pytest.raises(Refused) as refused:
        tips.receiving_unit(dbsession, unit_id, lat, lon)
    assert refused.value.message == message


# --- abuse control ------------------------------------------------------------------------------------

def test_without_proof_of_work_the_stricter_limit_counts_too(dummy_request, registry, limiter):
    nojs = int(registry.settings["portal.tip.nojs_rate_per_hour"])
    for _ in range(nojs):
        tips.count_attempt(dummy_request, solved_pow=False)
    with pytest.raises(RateLimited):
        tips.count_attempt(dummy_request, solved_pow=False)
    tips.count_attempt(dummy_request, solved_pow=True)  # the ordinary limit is not reached yet


def test_replies_count_per_receipt_whatever_the_address(dummy_request, registry, limiter):
    per_hour = int(registry.settings["portal.tip.reply_rate_per_hour"])
    receipt = SimpleNamespace(id=42)
    for n in range(per_hour):
        dummy_request.environ["REMOTE_ADDR"] = f"198.51.100.{n}"
        tips.count_reply(dummy_request, receipt)
    with pytest.raises(RateLimited) as limited:
        tips.count_reply(dummy_request, receipt)
    assert 0 < limited.value.retry_after <= 3600
    tips.count_reply(dummy_request, SimpleNamespace(id=43))  # another receipt from a fresh address


def test_too_large_uploads_are_413_others_400():
    limits = tip_media.AttachmentLimits(1, {"image": 1}, 5 * 1024 * 1024, timedelta(hours=1))
    assert tips.refusal_status(tip_media.too_large("a.jpg", 1024)) == 413
    assert tips.refusal_status(tip_media.too_much(limits)) == 413
    assert tips.refusal_status(tip_media.too_many(limits)) == 400
    assert tips.refusal_status(UploadRefused("The file x is empty.")) == 400


# --- submission ---------------------------------------------------------------------------------------

def test_submit_stores_the_tip_its_answers_receipt_and_audit(dummy_request, dbsession, registry, areas, category):
    tip, code = tips.submit(dummy_request, category, data())
    assert (tip.unit, tip.suggested_unit, tip.state, tip.category) == (
        areas["county_a"], areas["county_a"], "received", category)
    assert (tip.description, tip.place, tip.lat, tip.lon, tip.accuracy_m) == (
        "They sell fake train tickets at the station.", "Station square", 30.5, 100.5, 20.0)
    assert tip.happened_at == datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
    assert {a.question.key: a.value for a in tip.answers} == {
        "how": "phone", "amount": "2.5", "when": "2026-11-01", "note": "blue jacket"}
    assert not tip.danger and not tip.flagged and tip.attachments == []
    assert json.loads(registry["field_cipher"].decrypt(tip.contact, "tip.contact")) == {
        "name": "Li", "phone": "139 0000 0000"}
    receipt = receipts.lookup(dbsession, registry["receipt_hasher"], code)
    assert (receipt.subject_type, receipt.subject_id) == ("tip", tip.id)
    event = dbsession.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.actor, event.officer_id, event.object_id, event.to_state) == (
        "tip.submitted", "public", None, str(tip.id), "received")
    assert event.reason == "category unit-fraud, unit 990101, 0 file(s)"


@pytest.mark.parametrize("value, text", [(Decimal("100"), "100"), (Decimal("1E+2"), "100"), (Decimal("-0.50"), "-0.5"),
                                         (Decimal("3"), "3")])
def test_numbers_are_stored_plainly(dummy_request, areas, category, value, text):
    tip, _code = tips.submit(dummy_request, category, data(answers={"q_how": "phone", "q_amount": value}))
    assert [a.value for a in tip.answers if a.question.key == "amount"] == [text]


def test_empty_optional_answers_and_contact_store_nothing(dummy_request, areas, category):
    tip, _code = tips.submit(dummy_request, category, data(
        answers={"q_how": "phone", "q_amount": None, "q_when": None, "q_note": ""},
        contact={"name": " ", "phone": ""}, happened_at=None))
    assert [a.question.key for a in tip.answers] == ["how"]
    assert tip.contact is None and tip.happened_at is None


def test_danger_comes_from_the_category_or_an_answer(dummy_request, dbsession, areas, category):
    assert tips.submit(dummy_request, category, data(answers={"q_how": "armed"}))[0].danger
    guns = make_category(dbsession, danger=True)
    assert tips.submit(dummy_request, guns, data(answers={}))[0].danger
    event = dbsession.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert event.reason.endswith(", danger")


def test_a_task_notice_is_kept(dummy_request, dbsession, areas, category):
    task = make_notice(dbsession, areas["city_a"], kind="reward_task")
    tip, _code = tips.submit(dummy_request, category, data(task=task))
    assert tip.task_notice_id == task.id


def test_files_are_stored_with_their_flags(dummy_request, dbsession, registry, areas, category):
    old = int((datetime.now(UTC) - timedelta(days=10)).timestamp() * 1000)
    files = checked(("a.jpg", jpeg_bytes()), ("b.png", jpeg_bytes()),
                    meta=[{"name": "a.jpg", "lastModified": old, "lat": 30.1, "lon": 100.2}])
    tip, _code = tips.submit(dummy_request, category, data(), files)
    first, second = tip.attachments
    assert tip.flagged
    assert first.flags == "old-capture" and (first.client_lat, first.client_lon) == (30.1, 100.2)
    assert second.flags == "type-mismatch" and second.client_captured_at is None
    assert first.media.kind == "image" and registry["media_store"].exists(first.media.original_key)
    assert dbsession.execute(select(AuditEvent)).scalar_one().reason.endswith("2 file(s)")


def test_a_refused_unit_or_storage_error_writes_no_row(dummy_request, dbsession, registry, areas, category,
                                                       monkeypatch):
    before = [count(dbsession, m) for m in (Tip, Media, Receipt, AuditEvent)]
    with pytest.raises(Refused):
        tips.submit(dummy_request, category, data(where={"place": "", "lat": 1.0, "lon": 1.0, "accuracy_m": None}))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(registry["media_store"], "put_stream", broken)
    with pytest.raises(UploadRefused):
        tips.submit(dummy_request, category, data(), checked(("a.jpg", jpeg_bytes())))
    assert [count(dbsession, m) for m in (Tip, Media, Receipt, AuditEvent)] == before


# --- replies and what the reporter sees ----------------------------------------------------------------

def test_a_reply_is_a_reporter_message_with_its_files(dummy_request, dbsession, units):
    tip = make_tip(dbsession, units["city_a"])
    message = tips.reply(dummy_request, tip, "  More: the car is red. ", checked(("car.jpg", jpeg_bytes())))
    assert (message.author, message.internal, message.body, message.officer_id) == (
        "reporter", False, "More: the car is red.", None)
    (attachment,) = tip.attachments
    assert attachment.message_id == message.id and attachment.tip_id == tip.id
    assert tips.first_files(tip) == []
    event = dbsession.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.object_id, event.reason) == ("tip.reply", str(tip.id), "reporter replied, 1 file(s)")


def test_the_public_thread_leaves_out_internal_notes(dummy_request, dbsession, units):
    tip = make_tip(dbsession, units["city_a"])
    officer = make_officer(dbsession, units["city_a"], roles=["handler"])
    now = utcnow()
    for minutes, author, internal, body in [(30, "officer", False, "Question"), (20, "officer", True, "Note"),
                                            (10, "system", False, "Passed on"), (40, "reporter", False, "First")]:
        dbsession.add(TipMessage(tip_id=tip.id, author=author, internal=internal, body=body,
                                 officer=officer if author == "officer" else None,
                                 created_at=now - timedelta(minutes=minutes)))
    dbsession.flush()
    tips.reply(dummy_request, tip, "With a photo", checked(("p.jpg", jpeg_bytes())))
    thread = tips.public_thread(dbsession, tip)
    assert [(m.body, len(files)) for m, files in thread] == [
        ("First", 0), ("Question", 0), ("Passed on", 0), ("With a photo", 1)]


@pytest.mark.parametrize("state, coarse, replies", [
    ("received", "received", True), ("triaged", "handling", True), ("assigned", "handling", True),
    ("in_progress", "handling", True), ("closed", "closed", False)])
def test_the_reporter_sees_three_states(state, coarse, replies):
    tip = Tip(state=state)
    assert tips.coarse_state(tip) == coarse and tips.accepts_replies(tip) is replies


def test_only_approved_and_paid_rewards_are_shown(dbsession, units):
    tip = make_tip(dbsession, units["city_a"])
    officer = make_officer(dbsession, units["city_a"], roles=["handler"])
    for state in ("proposed", "refused", "approved", "paid"):
        dbsession.add(TipReward(tip_id=tip.id, state=state, amount=100, reason="r", proposed_by=officer))
    dbsession.flush()
    assert [r.state for r in tips.visible_rewards(dbsession, tip)] == ["approved", "paid"]


def test_for_receipt(dbsession, units):
    tip = make_tip(dbsession, units["city_a"])
    assert tips.for_receipt(dbsession, tip.id) is tip and tips.for_receipt(dbsession, tip.id + 1000) is None
    assert count(dbsession, TipAttachment) == 0
