"""What the workers share through the database: a lease per job, so that several `portal-worker`
processes (on one host or many) never run the same job at the same time and share its schedule
instead of multiplying it, and a heartbeat per worker, so `/readyz` can say when none has finished a
round for too long (trip escalation, expiry, retention and outgoing messages all wait on it).

A lease is taken by one compare-and-set UPDATE in a transaction of its own, committed before the job
starts: of two workers asking at once, the database lets one row version win (PostgreSQL re-reads
the row after the first commits; SQLite writes one at a time). The job's own transaction then
releases it, so its work and "finished" commit together; a worker that dies mid-job holds the lease
until it runs out (`portal.worker.lease_seconds`) and another takes the job up."""
import os
import secrets
import socket
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.meta import Base, UTCDateTime, utcnow

LEASE_SETTING = "portal.worker.lease_seconds"
SILENCE_SETTING = "portal.worker.silence_limit_seconds"
FORGET_AFTER = timedelta(days=7)  # heartbeats of workers gone this long are removed


class WorkerJob(Base):
    """One row per job name: who runs it now (until when), and how its last run went."""

    __tablename__ = "worker_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    lease_owner: Mapped[str | None] = mapped_column(String(96))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_outcome: Mapped[str | None] = mapped_column(String(8))  # ok, failed
    last_count: Mapped[int | None] = mapped_column(Integer)


class WorkerHeartbeat(Base):
    """One row per worker process: when it started and when it last finished a round."""

    __tablename__ = "worker_heartbeats"

    worker: Mapped[str] = mapped_column(String(96), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rounds: Mapped[int] = mapped_column(Integer, default=0)


def worker_name() -> str:
    """Names this process in leases and heartbeats: host, process id and a random part (a restarted
    container may get the same pid)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def ensure_jobs(dbsession, names) -> None:
    """A row for every job name (new jobs appear with new code), none for a job the code no longer has.
    Another worker adding the same rows at the same instant is fine: its insert wins and ours is rolled
    back to the savepoint."""
    names = list(names)
    known = set(dbsession.execute(select(WorkerJob.name)).scalars())
    gone = known - set(names)
    if gone:  # jobs the code no longer has: /readyz must not wait for them
        dbsession.execute(delete(WorkerJob).where(WorkerJob.name.in_(gone)).execution_options(synchronize_session=False))
    for name in names:
        if name in known:
            continue
        try:
            with dbsession.begin_nested():
                dbsession.add(WorkerJob(name=name))
        except IntegrityError:
            pass


def claim(dbsession, name: str, owner: str, lease: timedelta, min_gap: timedelta = timedelta(0),
          now: datetime | None = None) -> bool:
    """Take the lease of job `name` for `owner`; False when another worker holds it, or when the job
    started less than `min_gap` ago (another worker ran it this round)."""
    now = now or utcnow()
    free = or_(WorkerJob.lease_until.is_(None), WorkerJob.lease_until < now)
    due = or_(WorkerJob.last_started_at.is_(None), WorkerJob.last_started_at <= now - min_gap)
    result = dbsession.execute(
        update(WorkerJob).where(WorkerJob.name == name, free, due)
        .values(lease_owner=owner, lease_until=now + lease, last_started_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def release(dbsession, name: str, owner: str, outcome: str, count: int | None) -> None:
    """Give the lease back with how the run went (in the job's own transaction when it succeeded)."""
    dbsession.execute(
        update(WorkerJob).where(WorkerJob.name == name, WorkerJob.lease_owner == owner)
        .values(lease_owner=None, lease_until=None, last_finished_at=utcnow(), last_outcome=outcome,
                last_count=count)
        .execution_options(synchronize_session=False))


def beat(dbsession, worker: str) -> None:
    """Record that `worker` finished a round; forget workers silent for a week."""
    now = utcnow()
    updated = dbsession.execute(
        update(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker)
        .values(beat_at=now, rounds=WorkerHeartbeat.rounds + 1)
        .execution_options(synchronize_session=False))
    if updated.rowcount == 0:
        dbsession.add(WorkerHeartbeat(worker=worker, started_at=now, beat_at=now, rounds=1))
    dbsession.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - FORGET_AFTER)
                      .execution_options(synchronize_session=False))


def _aware(value, now: datetime):
    if isinstance(value, str):  # SQLite through a plain connection: no type processing
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=now.tzinfo) if value is not None and value.tzinfo is None else value


def silent_jobs(connection, limit: timedelta, now: datetime | None = None) -> list[str]:
    """Jobs no worker has finished within `limit` and none runs now (its lease is over): with one worker
    for the staff copies and another for the rest, one heartbeat must not hide the other's death."""
    now = now or utcnow()
    rows = connection.execute(select(WorkerJob.name, WorkerJob.last_finished_at, WorkerJob.lease_until)).all()
    silent = []
    for name, finished, lease_until in rows:
        finished, lease_until = _aware(finished, now), _aware(lease_until, now)
        if lease_until is not None and lease_until > now:
            continue  # running (a video's copy may take minutes)
        if finished is None or now - finished > limit:
            silent.append(name)
    return sorted(silent)


def silence(connection, now: datetime | None = None) -> timedelta | None:
    """How long since any worker last finished a round; None when none ever has."""
    now = now or utcnow()
    last = _aware(connection.execute(select(func.max(WorkerHeartbeat.beat_at))).scalar(), now)
    return None if last is None else now - last
