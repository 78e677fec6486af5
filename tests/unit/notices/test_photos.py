"""The photo set of a notice: how the edit form's order numbers, "remove" boxes and new uploads
become the set (Hypothesis over any input the form could send), how a set is applied, and the
CAP <resource> of a photo."""
import hashlib
import xml.etree.ElementTree as ET
from datetime import date

import colander
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.core.refused import Refused
from portal.media.models import Media
from portal.notices import cap, photos
from portal.notices.photo_forms import MAX_POSITION, PhotoList
from tests.factories import make_notice

NODE = colander.SchemaNode(PhotoList(), name="photos")

rows_strategy = st.lists(
    st.fixed_dictionaries({"id": st.integers(1, 10**6), "position": st.integers(1, MAX_POSITION),
                           "alt": st.text(max_size=300), "remove": st.booleans()}),
    max_size=photos.MAX_PHOTOS, unique_by=lambda row: row["id"])


@given(rows_strategy, st.lists(st.integers(10**6 + 1, 2 * 10**6), unique=True, max_size=5), st.text(max_size=300))
def test_arrange_keeps_what_is_not_removed_in_number_order_then_the_new_photos(rows, new_ids, new_alt):
    plan = photos.arrange(rows, new_ids, new_alt)
    kept = [row for row in rows if not row["remove"]]
    assert [p["id"] for p in plan] == [r["id"] for r in sorted(kept, key=lambda r: r["position"])] + new_ids
    assert all(len(p["alt"]) <= photos.MAX_ALT for p in plan)
    if kept:  # the main photo is the kept one with the lowest number (the first of equals on the form)
        lowest = min(r["position"] for r in kept)
        assert plan[0]["id"] == next(r["id"] for r in kept if r["position"] == lowest)
    # Arranging the result again (numbered 1, 2, ...) changes nothing: the form shows what was saved.
    shown = [{"id": p["id"], "position": n, "alt": p["alt"], "remove": False} for n, p in enumerate(plan, 1)]
    assert photos.arrange(shown, []) == plan


cstruct_values = st.one_of(st.none(), st.text(max_size=12), st.integers(-5, 200).map(str),
                           st.lists(st.text(max_size=3), max_size=2), st.just("٣"), st.just("²"))


@given(st.lists(st.dictionaries(st.sampled_from(["id", "position", "alt", "remove", "other"]), cstruct_values),
                max_size=12))
def test_any_photo_list_a_form_could_send_is_read_or_refused_with_a_message(cstruct):
    try:
        rows = NODE.deserialize(cstruct)
    except colander.Invalid as invalid:
        assert invalid.msg is not None  # a field message, never an exception of another kind
        return
    assert len(rows) <= photos.MAX_PHOTOS and len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert row["id"] > 0 and 1 <= row["position"] <= MAX_POSITION and isinstance(row["remove"], bool)
        assert len(row["alt"]) <= photos.MAX_ALT and "\x00" not in row["alt"]


def test_a_photo_list_round_trips_through_the_form():
    plan = [{"id": 7, "alt": "front", "taken_on": "2026-05-31"}, {"id": 3, "alt": ""}]
    rows = NODE.deserialize(NODE.serialize(plan))
    assert rows == [{"id": 7, "position": 1, "alt": "front", "taken_on": date(2026, 5, 31), "remove": False},
                    {"id": 3, "position": 2, "alt": "", "taken_on": None, "remove": False}]
    assert photos.arrange(rows, []) == plan  # the day goes back into the set as ISO text, only where known


@pytest.mark.parametrize("day", ["2026-02-30", "31.05.2026", "９９９９-01-01", "2999-01-01", "1850-01-01", "x"])
def test_a_bad_photo_day_is_a_field_message(day):
    with pytest.raises(colander.Invalid) as invalid:
        NODE.deserialize([{"id": "7", "position": "1", "taken_on": day}])
    assert "not in the future" in invalid.value.msg
    with pytest.raises(colander.Invalid):
        NODE.deserialize([{"id": "7", "position": "1"}, {"id": "7", "position": "2"}])  # the same photo twice


def _media(dbsession, notice=None, n=0):
    media = Media(kind="image", sha256=f"{n:064d}", size=1, content_type="image/jpeg", original_key=f"{n}.jpg",
                  notice=notice, position=n)
    dbsession.add(media)
    dbsession.flush()
    return media


def test_apply_attaches_in_order_and_detaches_without_deleting(dbsession, units):
    notice = make_notice(dbsession, units["city_a"])
    first, second = _media(dbsession, notice, 0), _media(dbsession, notice, 1)
    pending = _media(dbsession, None, 2)
    photos.apply(dbsession, notice, [{"id": pending.id, "alt": "new main"}, {"id": second.id, "alt": "b"}])
    dbsession.flush()
    dbsession.expire_all()
    assert [m.id for m in notice.media] == [pending.id, second.id]
    assert photos.current(notice) == [{"id": pending.id, "alt": "new main"}, {"id": second.id, "alt": "b"}]
    assert dbsession.get(Media, first.id).notice_id is None  # kept as evidence


def test_apply_refuses_a_photo_of_another_notice(dbsession, units):
    notice, other = make_notice(dbsession, units["city_a"]), make_notice(dbsession, units["city_a"])
    theirs = _media(dbsession, other)
    with pytest.raises(Refused) as refused:
        photos.apply(dbsession, notice, [{"id": theirs.id, "alt": ""}])
    assert refused.value.status == 409 and theirs.notice_id == other.id


def test_check_rows_refuses_a_set_unlike_the_one_shown():
    photos.check_rows([{"id": 2}, {"id": 1}], [{"id": 1}, {"id": 2}])
    for rows in ([{"id": 1}], [{"id": 1}, {"id": 2}, {"id": 3}], [{"id": 1}, {"id": 9}]):
        with pytest.raises(Refused):
            photos.check_rows(rows, [{"id": 1}, {"id": 2}])


def test_public_copy_facts_are_the_size_and_sha1_cap_wants(app_settings, tmp_path):
    from portal.media.storage import LocalMediaStore
    store = LocalMediaStore(str(tmp_path))
    key, _sha, size = store.put_bytes(b"a public copy", ".jpg")
    media = Media(public_key=key)
    assert photos.public_copy_facts(store, media) == (size, hashlib.sha1(b"a public copy").hexdigest())  # noqa: S324
    assert photos.public_copy_facts(store, Media(public_key=None)) is None
    assert photos.public_copy_facts(store, Media(public_key="no/such/file.jpg")) is None


def test_a_cancel_carries_no_resource_and_an_alert_carries_each_in_cap_order(dbsession, units):
    notice = make_notice(dbsession, units["city_a"])
    resources = [{"description": "Main", "mime_type": "image/jpeg", "size": 10, "uri": "https://x/m/1",
                  "digest": "ab" * 20}]
    current = cap.message(notice, notice.published_at, horizon=cap.timedelta(days=30),
                          cancel_for=cap.timedelta(days=7))
    root = ET.fromstring(cap.alert(notice, current, sender="s", web="w", unit_names={"zh-CN": "u", "en-US": "u"},
                                   resources=resources))
    ns = "{urn:oasis:names:tc:emergency:cap:1.2}"
    resource = root.find(f"{ns}info/{ns}resource")
    assert [child.tag.removeprefix(ns) for child in resource] == ["resourceDesc", "mimeType", "size", "uri", "digest"]
    cancel = cap.Message("Cancel", notice.published_at, notice.published_at)
    root = ET.fromstring(cap.alert(notice, cancel, sender="s", web="w", unit_names={"zh-CN": "u", "en-US": "u"},
                                   resources=resources))
    assert root.find(f"{ns}info/{ns}resource") is None
