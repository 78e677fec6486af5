"""Bounded long-polling: a poll waits for news only while a slot is free, wakes at once when this
process rings, and the others answer at once (the thread pool is never filled with waiters)."""
import threading
import time

from portal.calls.waiting import Bell


def test_a_waiting_poll_wakes_when_rung_well_before_its_timeout():
    bell, news = Bell(2), []
    threading.Timer(0.2, lambda: (news.append("offer"), bell.ring())).start()
    started = time.monotonic()
    assert bell.wait_for(lambda: list(news), 5) == ["offer"]
    assert time.monotonic() - started < 1.5


def test_without_news_it_answers_at_its_timeout():
    started = time.monotonic()
    assert Bell(1).wait_for(lambda: None, 0.6) is None
    assert 0.5 <= time.monotonic() - started < 2


def test_past_its_slots_a_poll_answers_at_once():
    bell, release = Bell(1), threading.Event()
    holder = threading.Thread(target=bell.wait_for, args=(lambda: release.is_set(), 5))
    holder.start()
    while bell.waiting == 0:
        time.sleep(0.01)
    started = time.monotonic()
    assert bell.wait_for(lambda: None, 5) is None  # no slot: no wait
    assert time.monotonic() - started < 0.3
    release.set()
    bell.ring()
    holder.join(2)
    assert not holder.is_alive() and bell.waiting == 0


def test_no_slots_configured_means_plain_polling():
    assert Bell(0).wait_for(lambda: "now", 5) == "now"
