"""Which CAP message stands for a notice at a given time, and which notices the CAP feed lists then."""
from datetime import timedelta

from portal.core.meta import utcnow
from portal.notices import cap, feeds
from tests.factories import make_notice

HORIZON, CANCEL = timedelta(days=30), timedelta(days=7)


def message(notice, now):
    return cap.message(notice, now, horizon=HORIZON, cancel_for=CANCEL)


def test_an_alert_without_an_expiry_time_is_renewed_each_period_and_stays_the_same_within_one(dbsession, units):
    notice = make_notice(dbsession, units["city_a"])
    published = notice.published_at
    first = message(notice, published + timedelta(days=29))
    assert (first.msg_type, first.sent, first.expires) == ("Alert", published, published + HORIZON)
    # Past the horizon and still public: an Update for the next period, the same one all period long.
    renewed = message(notice, published + timedelta(days=31))
    assert (renewed.msg_type, renewed.sent, renewed.expires) == ("Update", published + HORIZON, published + 2 * HORIZON)
    assert message(notice, published + timedelta(days=59)) == renewed


def test_an_alert_with_an_expiry_time_expires_then(dbsession, units):
    notice = make_notice(dbsession, units["city_a"], expires_at=utcnow() + timedelta(days=90))
    assert message(notice, utcnow()).expires == notice.expires_at


def test_a_notice_is_a_cancel_from_the_moment_it_leaves(dbsession, units):
    notice = make_notice(dbsession, units["city_a"], expires_at=utcnow() + timedelta(hours=1))
    assert message(notice, utcnow()).msg_type == "Alert"
    later = notice.expires_at + timedelta(seconds=1)
    assert message(notice, later) == cap.Message("Cancel", notice.expires_at, notice.expires_at + CANCEL)


def test_the_feed_lists_a_cancel_for_cancel_for_and_then_no_more(dbsession, units):
    public = make_notice(dbsession, units["city_a"])
    retracted = make_notice(dbsession, units["city_a"])
    retracted.state = "retracted"
    expiring = make_notice(dbsession, units["city_a"], expires_at=utcnow() + timedelta(hours=1))
    never_public = make_notice(dbsession, units["city_a"], state="in_review")
    never_public.state = "retracted"
    dbsession.flush()
    assert retracted.ended_at is not None and never_public.ended_at is None

    def listed(now):
        return {n.id for n in feeds.cap_notices(dbsession, now, CANCEL)}

    now = utcnow()
    assert listed(now) == {public.id, retracted.id, expiring.id}
    assert listed(now + timedelta(days=6)) == {public.id, retracted.id, expiring.id}  # expiring: its Cancel
    assert listed(retracted.ended_at + CANCEL + timedelta(seconds=1)) == {public.id, expiring.id}
    assert listed(expiring.expires_at + CANCEL + timedelta(seconds=1)) == {public.id}
