"""A poll reads "the other side's signals after id N", so the signals of one call must become visible in
id order. On PostgreSQL ids come from a sequence at insert and rows show at commit: two posts into one
call at once (trickled candidates sent in parallel, two tabs) could commit out of order, and a poll
that saw the later one first would move its cursor past the earlier one for good. signaling.post locks
the call's row first, so the second post waits for the first to commit. Real transactions, a database
of the module's own (SQLite has one writer at a time and cannot show it)."""
import threading

import pytest
from sqlalchemy.orm import Session

from portal.calls import signaling
from portal.calls.models import Call
from tests.conftest import migrated_engine, own_postgres_database
from tests.factories import make_alarm, make_units


def candidate(port):
    return {"candidate": f"candidate:1 1 udp 2122260223 127.0.0.1 {port} typ host", "sdpMid": "0",
            "sdpMLineIndex": 0}


@pytest.fixture(scope="module")
def engine():
    with own_postgres_database("signals") as url, migrated_engine(url) as engine:
        yield engine


def test_two_posts_into_one_call_become_visible_in_id_order(engine):
    with Session(engine) as setup:
        units = make_units(setup)
        alarm, _ = make_alarm(setup, units["county_a"], kind="video")
        call = Call(alarm_id=alarm.id, kind="video", state="connected")
        setup.add(call)
        setup.commit()
        call_id = call.id

    first = Session(engine)
    earlier = signaling.post(first, first.get(Call, call_id), "dispatcher", "candidate", candidate(50001)).id
    second_done = threading.Event()

    def second_post():
        with Session(engine) as second:
            signaling.post(second, second.get(Call, call_id), "dispatcher", "candidate", candidate(50002))
            second.commit()
        second_done.set()

    thread = threading.Thread(target=second_post)
    thread.start()
    try:
        # The second post waits while the first is uncommitted: a poll now finds nothing, not the later one.
        assert not second_done.wait(0.7)
        with Session(engine) as reader:
            assert signaling.for_side(reader, call_id, "caller", 0) == []
        first.commit()
    finally:
        first.close()
        thread.join(10)
    assert second_done.is_set()
    with Session(engine) as reader:
        ids = [s.id for s in signaling.for_side(reader, call_id, "caller", 0)]
    assert ids[0] == earlier and ids == sorted(ids) and len(ids) == 2
