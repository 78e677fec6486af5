"""Purges of the caching proxies' tags (core/caching.py), through the outbox's pattern: `queue` writes
a row in the transaction of the change; right after that transaction commits, the process that made
it sends the purge at once (an after-commit hook, so a purge never announces a change that was rolled
back); the worker's `send_due` sends whatever that could not (a proxy away, a process killed) and
sends every purge a second time `portal.proxy.purge_repeat_seconds` later: a visitor's request that
read the old rows just before the commit may have put the old answer back into a proxy after the
first purge. A purge is idempotent, so sending one twice or to a proxy that never had the tag is fine.

Failures are tried again with a growing pause up to `portal.outbox.max_attempts`, then given up with a
warning (what the proxies still hold then leaves them within `portal.cache.s_maxage`)."""
import logging
from datetime import timedelta

from sqlalchemy import delete, insert, select, update

from portal.core.meta import utcnow
from portal.outbox.models import ProxyPurge
from portal.outbox.purgers import make_purger

log = logging.getLogger("portal.outbox.purge")

BATCH = 50
DEFAULT_REPEAT_SECONDS = 10
DEFAULT_MAX_ATTEMPTS = 8
KEEP_DONE = timedelta(days=1)
PENDING = "proxy_purges"


def purger(registry):
    if "proxy_purger" not in registry:
        registry["proxy_purger"] = make_purger(registry.settings)
    return registry["proxy_purger"]


def queue(session, tags) -> None:
    """Queue a purge of `tags` in the session's transaction; safe inside a flush (it writes through the
    session's connection). Sent at once after the commit when the session belongs to a transaction
    manager (a request, the worker), else by the worker."""
    tags = sorted({t for t in tags if t})
    if not tags:
        return
    purge_id = session.connection().execute(
        insert(ProxyPurge).values(tags=" ".join(tags), created_at=utcnow(), send_after=utcnow(), rounds_left=2,
                                  attempts=0, last_error="").returning(ProxyPurge.id)).scalar_one()
    request = session.info.get("request")
    tm = getattr(request, "tm", None)
    if request is None or tm is None:
        return
    transaction = tm.get()
    pending = session.info.get(PENDING)
    if pending is None or pending[0] is not transaction:
        pending = (transaction, [])
        session.info[PENDING] = pending
        transaction.addAfterCommitHook(_send_now, args=(request.registry, session.get_bind(), pending[1]))
    pending[1].append(purge_id)


def _send_now(committed: bool, registry, engine, purge_ids) -> None:
    """After the commit: the first round of these purges, at once. Never raises (the change is
    committed; the worker sends what failed here)."""
    if not committed or not purge_ids:
        return
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(ProxyPurge.tags).where(ProxyPurge.id.in_(purge_ids))).scalars().all()
        purger(registry).purge(_union(rows))
        with engine.begin() as connection:
            connection.execute(update(ProxyPurge).where(ProxyPurge.id.in_(purge_ids), ProxyPurge.rounds_left == 2)
                               .values(rounds_left=1, send_after=utcnow() + _repeat(registry.settings)))
    except Exception:  # a proxy away, the database busy: the worker's round sends it
        log.warning("purge of %s queued purge(s) left to the worker", len(purge_ids), exc_info=True)


def _union(rows) -> list[str]:
    return sorted({tag for tags in rows for tag in tags.split()})


def _repeat(settings) -> timedelta:
    return timedelta(seconds=float(settings.get("portal.proxy.purge_repeat_seconds") or DEFAULT_REPEAT_SECONDS))


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=30) * 2 ** max(attempts - 1, 0), timedelta(hours=1))


def send_due(request, now=None) -> int:
    """The worker's round: every due purge in one request per proxy; then remove those done a day ago.
    Returns how many purges were sent."""
    now = now or utcnow()
    settings = request.registry.settings
    max_attempts = int(settings.get("portal.outbox.max_attempts") or DEFAULT_MAX_ATTEMPTS)
    dbsession = request.dbsession
    query = (select(ProxyPurge).where(ProxyPurge.rounds_left > 0, ProxyPurge.send_after <= now)
             .order_by(ProxyPurge.id).limit(BATCH))
    if dbsession.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two workers never send the same round
    due = dbsession.execute(query).scalars().all()
    if due:
        try:
            purger(request.registry).purge(_union(p.tags for p in due))
        except Exception as exc:
            for purge in due:
                purge.attempts += 1
                purge.last_error = f"{type(exc).__name__}: {exc}"[:255]
                purge.send_after = now + _backoff(purge.attempts)
                if purge.attempts >= max_attempts:
                    purge.rounds_left = 0
                    log.warning("purge %s given up after %s attempt(s)", purge.id, purge.attempts)
            log.warning("purge of %s tag set(s) failed: %s", len(due), type(exc).__name__)
            due = []
        for purge in due:
            purge.rounds_left -= 1
            purge.send_after = now + _repeat(settings)
            purge.last_error = ""
    dbsession.execute(delete(ProxyPurge).where(ProxyPurge.rounds_left == 0, ProxyPurge.created_at < now - KEEP_DONE)
                      .execution_options(synchronize_session=False))
    dbsession.flush()
    return len(due)
