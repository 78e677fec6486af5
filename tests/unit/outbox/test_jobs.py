"""Retention of the outbox (outbox/jobs.py): sent messages, and those given up after their last
attempt, are deleted N days on; unsent and recent ones stay."""
from datetime import timedelta

from sqlalchemy import select

from portal.core.meta import utcnow
from portal.outbox import jobs as outbox_jobs
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from tests.retention import assert_one_event, purge_events


def test_sent_messages_past_the_period_are_deleted(dummy_request, dbsession):
    now = utcnow()

    def message(body, **kw):
        row = outbox.enqueue(dummy_request, "sms", "13912345678", body)
        for name, value in kw.items():
            setattr(row, name, value)
        return row

    old = message("Your trip to Xinhua Road is overdue", sent_at=now - timedelta(days=31), attempts=1)
    given_up = message("Given up", attempts=8, send_after=now - timedelta(days=40))
    young = message("Sent yesterday", sent_at=now - timedelta(days=1), attempts=1)
    waiting = message("Still trying", attempts=3, send_after=now - timedelta(days=40))
    dbsession.flush()
    ids = {row.id for row in (old, given_up, young, waiting)}

    assert outbox_jobs.purge_sent(dummy_request) == 2

    dbsession.expire_all()
    left = set(dbsession.execute(select(OutboxMessage.id).where(OutboxMessage.id.in_(ids))).scalars())
    assert left == {young.id, waiting.id}
    assert_one_event(dbsession, "outbox_message", "2 outbox_message(s) past retention: 2 deleted",
                     "Xinhua", "13912345678")
    assert outbox_jobs.purge_sent(dummy_request) == 0
    assert len(purge_events(dbsession, "outbox_message")) == 1
