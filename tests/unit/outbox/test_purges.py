"""Purges of the caching proxies' tags (outbox/purges.py, purgers.py): queued in the changing
transaction with the tags of what changed, sent in two rounds, retried when a proxy is away, and
sent as HTTP PURGE with the xkey-purge header to every proxy."""
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from portal.core.meta import utcnow
from portal.outbox import purges
from portal.outbox.models import ProxyPurge
from portal.outbox.purgers import ProxyRefused, VarnishXkeyPurger, make_purger
from tests.factories import make_notice, make_photo


def queued(dbsession) -> set[str]:
    return {tag for tags in dbsession.execute(select(ProxyPurge.tags)).scalars() for tag in tags.split()}


class Recording:
    def __init__(self, fail=False):
        self.sent, self.fail = [], fail

    def purge(self, tags):
        if self.fail:
            raise OSError("proxy away")
        self.sent.append(list(tags))


def test_changes_to_notices_photos_and_units_queue_their_tags_in_the_same_transaction(dbsession, units, registry):
    notice = make_notice(dbsession, units["city_a"], kind="missing_person")
    photo = make_photo(dbsession, registry["media_store"], notice)
    dbsession.execute(ProxyPurge.__table__.delete())
    notice.state = "resolved"
    dbsession.flush()
    assert queued(dbsession) == {f"notice-{notice.id}", "notice-list"}
    dbsession.execute(ProxyPurge.__table__.delete())
    other = make_notice(dbsession, units["city_a"])
    dbsession.execute(ProxyPurge.__table__.delete())
    photo.notice = other  # a photo moved: both notices' answers and the photo's
    dbsession.flush()
    assert queued(dbsession) == {f"notice-{notice.id}", f"notice-{other.id}", f"media-{photo.id}", "notice-list"}
    dbsession.execute(ProxyPurge.__table__.delete())
    units["city_a"].phone_110 = "0311-110"
    dbsession.flush()
    assert queued(dbsession) == {"unit-990100", "notice-list", "unit-list"}
    dbsession.execute(ProxyPurge.__table__.delete())
    units["city_a"].name_en = units["city_a"].name_en  # nothing changed: nothing queued
    dbsession.flush()
    assert queued(dbsession) == set()


def test_the_worker_sends_each_purge_twice_and_retries_when_a_proxy_is_away(dummy_request, dbsession):
    purges.queue(dbsession, ["notice-1", "notice-list"])
    purges.queue(dbsession, ["notice-2", "notice-list"])
    now = utcnow()
    away = Recording(fail=True)
    dummy_request.registry["proxy_purger"] = away
    try:
        assert purges.send_due(dummy_request, now) == 0
        rows = dbsession.execute(select(ProxyPurge)).scalars().all()
        assert {(r.rounds_left, r.attempts) for r in rows} == {(2, 1)} and "proxy away" in rows[0].last_error
        assert all(r.send_after > now for r in rows)
        assert purges.send_due(dummy_request, now) == 0  # not due yet: nothing tried
        back = Recording()
        dummy_request.registry["proxy_purger"] = back
        later = now + timedelta(minutes=2)
        assert purges.send_due(dummy_request, later) == 2
        assert back.sent == [["notice-1", "notice-2", "notice-list"]]  # one request for the batch
        assert purges.send_due(dummy_request, later) == 0  # the second round waits its delay
        assert purges.send_due(dummy_request, later + timedelta(seconds=11)) == 2
        assert {r.rounds_left for r in dbsession.execute(select(ProxyPurge)).scalars()} == {0}
        # Done a day ago: removed.
        purges.send_due(dummy_request, later + timedelta(days=2))
        assert dbsession.execute(select(ProxyPurge)).first() is None
    finally:
        dummy_request.registry.__delitem__("proxy_purger")


class _Proxy:
    """A stand-in proxy that records PURGE requests and answers `status`."""

    def __init__(self, status=200):
        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def do_PURGE(self):  # noqa: N802
                seen.append((self.path, self.headers.get("xkey-purge")))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_varnish_purger_sends_purge_with_the_tags_to_every_proxy_and_says_when_one_refused():
    first, second, refusing = _Proxy(), _Proxy(), _Proxy(status=403)
    try:
        VarnishXkeyPurger({"portal.proxy.purge_urls": f"{first.url} {second.url}"}).purge(["notice-3", "notice-list"])
        assert first.seen == second.seen == [("/", "notice-3 notice-list")]
        with pytest.raises(ProxyRefused, match="403"):
            VarnishXkeyPurger({"portal.proxy.purge_urls": f"{refusing.url} {first.url}"}).purge(["notice-4"])
        assert first.seen[-1] == ("/", "notice-4")  # the others are purged all the same
    finally:
        for proxy in (first, second, refusing):
            proxy.close()
    with pytest.raises(ValueError):
        make_purger({"portal.proxy.purger": "varnish", "portal.proxy.purge_urls": ""})
    assert type(make_purger({})).__name__ == "LogPurger"
