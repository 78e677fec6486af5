"""Workers in production: several run at once without running a job twice at the same time or twice
in one round, each round leaves a heartbeat, and /readyz reports a silent worker (503 with a reason)
while /readyz/web, what the load balancer probes, stays up. Real threads and committed transactions
on SQLite and PostgreSQL, as tests/functional/test_races.py."""
import threading
import time
from datetime import timedelta

import pytest
import transaction
import webtest
from pyramid.scripting import prepare
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

import portal
from portal.core import worker_state
from portal.core.db import dispose_engines
from portal.core.meta import utcnow
from portal.core.worker_state import WorkerHeartbeat, WorkerJob
from portal.scripts import worker
from tests.conftest import migrated_engine, own_postgres_database, settings_for

JOB_SECONDS = 0.3  # long enough that two workers starting together really overlap


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def worker_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('workers')}/workers.sqlite"
        return
    with own_postgres_database("workers") as url:
        yield url


@pytest.fixture(scope="module")
def worker_engine(worker_url):
    with migrated_engine(worker_url) as engine:
        yield engine


@pytest.fixture(scope="module")
def worker_app(worker_url, worker_engine, tmp_path_factory):
    settings = dict(settings_for(worker_url, tmp_path_factory.mktemp("worker-media")),
                    **{"portal.worker.silence_limit_seconds": "300"})
    app = portal.main({}, **settings)
    yield app
    dispose_engines(app.registry)


@pytest.fixture
def clean_state(worker_engine):
    def wipe():
        with Session(worker_engine) as dbsession:
            dbsession.execute(delete(WorkerJob))
            dbsession.execute(delete(WorkerHeartbeat))
            dbsession.commit()

    wipe()
    yield
    wipe()


def _worker_request(app):
    env = prepare(registry=app.registry)
    env["request"].tm = transaction.TransactionManager(explicit=True)
    return env


def _run_workers(app, count: int, rounds: int, min_gap: timedelta) -> list[dict]:
    """`count` workers in threads, each running `rounds` rounds as portal-worker does."""
    barrier = threading.Barrier(count)
    results = [[] for _ in range(count)]
    errors = []

    def run(n):
        env = _worker_request(app)
        try:
            name = f"test-worker-{n}"
            barrier.wait()
            for _ in range(rounds):
                results[n].append(worker.run_jobs(env["request"], name, min_gap=min_gap))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            env["closer"]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    return results


class Probe:
    """A job that notes how many copies of itself run at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running = self.most = self.runs = 0

    def __call__(self, request):
        with self.lock:
            self.running += 1
            self.runs += 1
            self.most = max(self.most, self.running)
        time.sleep(JOB_SECONDS)
        with self.lock:
            self.running -= 1
        return 1


def test_two_workers_never_run_one_job_at_the_same_time(worker_app, clean_state, monkeypatch):
    probe = Probe()
    monkeypatch.setattr(worker, "JOBS", {"probe": probe})
    results = _run_workers(worker_app, count=2, rounds=3, min_gap=timedelta(0))
    assert probe.most == 1
    # At least two runs: whoever runs first, the other's later rounds find the lease free again.
    assert probe.runs == sum(len(done) for rounds in results for done in rounds) >= 2


def test_workers_share_one_schedule_instead_of_multiplying_it(worker_app, clean_state, monkeypatch):
    probe = Probe()
    monkeypatch.setattr(worker, "JOBS", {"probe": probe})
    results = _run_workers(worker_app, count=3, rounds=2, min_gap=timedelta(seconds=60))
    assert probe.runs == 1  # one run for the three workers' rounds: the others found it done
    assert sorted(len(done) for rounds in results for done in rounds) == [0, 0, 0, 0, 0, 1]


def test_a_lease_left_by_a_dead_worker_runs_out_and_the_job_is_taken_up(worker_app, worker_engine, clean_state,
                                                                         monkeypatch):
    probe = Probe()
    monkeypatch.setattr(worker, "JOBS", {"probe": probe})
    with Session(worker_engine) as dbsession:
        dbsession.add(WorkerJob(name="probe", lease_owner="dead-host:1:0", lease_until=utcnow() + timedelta(minutes=5)))
        dbsession.commit()
    assert _run_workers(worker_app, count=1, rounds=1, min_gap=timedelta(0)) == [[{}]]
    with Session(worker_engine) as dbsession:
        dbsession.execute(update(WorkerJob).values(lease_until=utcnow() - timedelta(seconds=1)))
        dbsession.commit()
    assert _run_workers(worker_app, count=1, rounds=1, min_gap=timedelta(0)) == [[{"probe": 1}]]
    with Session(worker_engine) as dbsession:
        job = dbsession.get(WorkerJob, "probe")
        assert (job.lease_owner, job.lease_until, job.last_outcome, job.last_count) == (None, None, "ok", 1)


def test_a_failed_job_gives_its_lease_back_and_says_so(worker_app, worker_engine, clean_state, monkeypatch):
    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(worker, "JOBS", {"broken": broken})
    assert _run_workers(worker_app, count=1, rounds=2, min_gap=timedelta(0)) == [[{"broken": -1}, {"broken": -1}]]
    with Session(worker_engine) as dbsession:
        job = dbsession.get(WorkerJob, "broken")
        assert (job.lease_owner, job.last_outcome) == (None, "failed")


def test_readyz_says_when_no_worker_runs(worker_app, worker_engine, clean_state, monkeypatch):
    monkeypatch.setattr(worker, "JOBS", {"probe": lambda request: 0})
    browser = webtest.TestApp(worker_app, extra_environ={"HTTP_HOST": "localhost"})
    never = browser.get("/readyz", status=503).json
    assert never == {"status": "unavailable", "worker": "no worker has finished a round yet"}
    assert browser.get("/readyz/web").json == {"status": "ok"}  # the load balancer keeps the server

    _run_workers(worker_app, count=1, rounds=2, min_gap=timedelta(0))
    assert browser.get("/readyz").json == {"status": "ok"}
    with Session(worker_engine) as dbsession:
        beat = dbsession.execute(select(WorkerHeartbeat)).scalar_one()
        assert (beat.worker, beat.rounds) == ("test-worker-0", 2)
        dbsession.execute(update(WorkerHeartbeat).values(beat_at=utcnow() - timedelta(minutes=6)))
        dbsession.commit()
    silent = browser.get("/readyz", status=503).json
    assert silent["status"] == "unavailable" and 360 <= int(silent["worker"].split()[-2]) < 400
    assert browser.get("/readyz/web").json == {"status": "ok"}


def test_heartbeats_of_workers_gone_a_week_are_forgotten(worker_engine, clean_state):
    with Session(worker_engine) as dbsession:
        old = utcnow() - worker_state.FORGET_AFTER - timedelta(hours=1)
        dbsession.add(WorkerHeartbeat(worker="gone:1:0", started_at=old, beat_at=old, rounds=5))
        dbsession.commit()
        worker_state.beat(dbsession, "alive:2:0")
        dbsession.commit()
        assert list(dbsession.execute(select(WorkerHeartbeat.worker)).scalars()) == ["alive:2:0"]


def test_readyz_names_the_jobs_nobody_runs_even_while_another_worker_beats(worker_app, worker_engine, clean_state,
                                                                           monkeypatch):
    """A worker started with --only media-staff-copies must not hide that the one for the rest died."""
    monkeypatch.setattr(worker, "JOBS", {"trips-escalate": lambda request: 0, "media-staff-copies": lambda r: 0})
    browser = webtest.TestApp(worker_app, extra_environ={"HTTP_HOST": "localhost"})
    _run_workers(worker_app, count=1, rounds=1, min_gap=timedelta(0))
    assert browser.get("/readyz").json == {"status": "ok"}
    with Session(worker_engine) as dbsession:  # the main worker died ten minutes ago...
        dbsession.execute(update(WorkerJob).where(WorkerJob.name == "trips-escalate")
                          .values(last_finished_at=utcnow() - timedelta(minutes=10)))
        # ...while the copies' worker is in the middle of a long video (its lease runs on).
        dbsession.execute(update(WorkerJob).where(WorkerJob.name == "media-staff-copies")
                          .values(last_finished_at=utcnow() - timedelta(minutes=30),
                                  lease_until=utcnow() + timedelta(minutes=5)))
        dbsession.commit()
    silent = browser.get("/readyz", status=503).json
    assert silent == {"status": "unavailable", "worker": "no worker has run these jobs for over 300 s: trips-escalate"}


def test_a_job_the_code_no_longer_has_is_forgotten(worker_app, worker_engine, clean_state, monkeypatch):
    with Session(worker_engine) as dbsession:
        dbsession.add(WorkerJob(name="render-notice-pages", last_finished_at=utcnow() - timedelta(days=3)))
        dbsession.commit()
    monkeypatch.setattr(worker, "JOBS", {"probe": lambda request: 0})
    _run_workers(worker_app, count=1, rounds=1, min_gap=timedelta(0))
    with Session(worker_engine) as dbsession:
        assert list(dbsession.execute(select(WorkerJob.name)).scalars()) == ["probe"]
    browser = webtest.TestApp(worker_app, extra_environ={"HTTP_HOST": "localhost"})
    assert browser.get("/readyz").json == {"status": "ok"}
