"""Retention of closed tips (tips/jobs.py): the reporter's contact and every file go after the period;
the statistics (tips/stats.py) read the same numbers before and after."""
import json
from datetime import timedelta

from sqlalchemy import func, select

from portal.core.meta import utcnow
from portal.media.models import Media
from portal.tips import jobs as tip_jobs
from portal.tips import stats
from portal.tips.models import Tip, TipAttachment
from tests.factories import make_category, make_officer, make_tip
from tests.retention import assert_one_event, own_photo, purge_events

CONTACT = json.dumps({"name": "举报人王小明", "phone": "13912345678"}, ensure_ascii=False)


def tip_with_files(dbsession, registry, unit, category, *, state="closed", closed_days_ago=None):
    now = utcnow()
    tip = make_tip(dbsession, unit, category=category, cipher=registry["field_cipher"], contact=CONTACT,
                   state=state, minutes_ago=400 * 24 * 60)
    tip.triaged_at = tip.created_at + timedelta(hours=2)
    if closed_days_ago is not None:
        tip.closed_at, tip.outcome = now - timedelta(days=closed_days_ago), "actionable"
    photos = [own_photo(dbsession, registry["media_store"]) for _ in range(2)]
    dbsession.add_all([TipAttachment(tip=tip, media=m, client_lat=38.2, client_lon=115.3) for m in photos])
    dbsession.flush()
    return tip, [m.original_key for m in photos]


def test_closed_tips_past_the_period_lose_contact_and_files_and_statistics_stay(
        dummy_request, dbsession, registry, units):
    store = registry["media_store"]
    category = make_category(dbsession)
    old, old_keys = tip_with_files(dbsession, registry, units["city_a"], category, closed_days_ago=181)
    young, young_keys = tip_with_files(dbsession, registry, units["city_a"], category, closed_days_ago=179)
    open_, open_keys = tip_with_files(dbsession, registry, units["county_a"], category, state="in_progress")
    officer = make_officer(dbsession, units["province"], ["moderator"], username="stats_reader")
    before = stats.collect(dbsession, officer, stats.StatsFilter())
    assert before.total == 3 and all(store.exists(k) for k in old_keys)

    assert tip_jobs.purge_closed(dummy_request) == 1

    dbsession.refresh(old)
    assert old.purged_at is not None and old.contact is None and old.attachments == []
    assert (old.state, old.outcome, old.category_id, old.unit_id) == ("closed", "actionable", category.id,
                                                                     units["city_a"].id)
    assert not any(store.exists(k) for k in old_keys)
    assert dbsession.execute(select(func.count()).select_from(Media).where(Media.original_key.in_(old_keys))
                             ).scalar_one() == 0
    for tip, keys in ((young, young_keys), (open_, open_keys)):
        dbsession.refresh(tip)
        assert tip.purged_at is None and tip.contact is not None and len(tip.attachments) == 2
        assert all(store.exists(k) for k in keys)
    # The statistics read exactly what they read before: counts and durations.
    assert stats.collect(dbsession, officer, stats.StatsFilter()) == before
    assert_one_event(dbsession, "tip", "1 tip(s) past retention: 2 files, 1 contacts", "王小明", "13912345678",
                     old.description)
    assert tip_jobs.purge_closed(dummy_request) == 0
    assert len(purge_events(dbsession, "tip")) == 1
    assert dbsession.execute(select(func.count()).select_from(Tip).where(Tip.purged_at.is_not(None))
                             ).scalar_one() == 1
