"""Retention of sightings (sightings/jobs.py): N days after a moderator's step, or after the notice
closed, what the person wrote, where, their contact and photo go; new ones on running notices stay."""
from datetime import timedelta

from portal.core.meta import utcnow
from portal.sightings import jobs as sighting_jobs
from tests.factories import make_notice, make_sighting
from tests.retention import assert_one_event, own_photo, purge_events

WORDS = "I saw her near the bus station with a man in a red coat"


def sighting(dbsession, registry, notice, *, state="received", days_ago=0):
    media = own_photo(dbsession, registry["media_store"])
    made = make_sighting(dbsession, notice, cipher=registry["field_cipher"], contact='{"phone": "13912345678"}',
                         text=WORDS, lat=38.2, lon=115.3, state=state, media=media, reason="Forwarded to patrol 3")
    made.updated_at = utcnow() - timedelta(days=days_ago)
    dbsession.flush()
    return made, media.original_key


def test_sightings_reviewed_long_ago_or_on_a_closed_notice_are_purged(dummy_request, dbsession, registry, units):
    store = registry["media_store"]
    running = make_notice(dbsession, units["city_a"])
    closed = make_notice(dbsession, units["city_a"], state="resolved")
    closed.updated_at = utcnow() - timedelta(days=91)
    reviewed_old, key1 = sighting(dbsession, registry, running, state="reviewed", days_ago=91)
    on_closed, key2 = sighting(dbsession, registry, closed, days_ago=100)  # never reviewed, notice closed
    reviewed_young, key3 = sighting(dbsession, registry, running, state="forwarded", days_ago=89)
    unreviewed, key4 = sighting(dbsession, registry, running, days_ago=200)  # still waiting for a moderator

    assert sighting_jobs.purge_old(dummy_request) == 2

    for row, key in ((reviewed_old, key1), (on_closed, key2)):
        dbsession.refresh(row)
        assert row.purged_at is not None and not store.exists(key)
        assert (row.text, row.place, row.reason, row.contact, row.lat, row.lon, row.media_id) == (
            "", "", "", None, None, None, None)
        assert row.notice_id in (running.id, closed.id) and row.state in ("reviewed", "received")
    for row, key in ((reviewed_young, key3), (unreviewed, key4)):
        dbsession.refresh(row)
        assert row.purged_at is None and row.text == WORDS and row.contact and store.exists(key)
    assert_one_event(dbsession, "sighting", "2 sighting(s) past retention: 2 photos, 2 contacts", WORDS,
                     "13912345678", "patrol")
    assert sighting_jobs.purge_old(dummy_request) == 0
    assert len(purge_events(dbsession, "sighting")) == 1
