"""portal-worker --once against a real (committed) SQLite database."""
from datetime import timedelta

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.db import get_engine
from portal.core.meta import utcnow
from portal.notices.models import Notice
from portal.scripts import worker
from portal.scripts.common import db_session
from tests.conftest import migrate
from tests.factories import make_notice, make_units


def write_ini(tmp_path, app_settings):
    url = f"sqlite:///{tmp_path}/worker.sqlite"
    migrate(get_engine({"sqlalchemy.url": url}))
    settings = dict(app_settings, **{"sqlalchemy.url": url, "portal.media_dir": str(tmp_path / "media")})
    lines = "\n".join(f"{key} = {value}" for key, value in settings.items())
    path = tmp_path / "worker.ini"
    path.write_text(f"[app:main]\nuse = egg:safety-portal\n{lines}\n")
    return str(path), url


def test_once_expires_notices_past_their_time_and_audits_it(tmp_path, app_settings):
    path, url = write_ini(tmp_path, app_settings)
    with db_session({"sqlalchemy.url": url}) as dbsession:
        units = make_units(dbsession)
        due = make_notice(dbsession, units["city_a"], kind="vehicle", title="Past due")
        due.expires_at = utcnow() - timedelta(minutes=1)
        later = make_notice(dbsession, units["city_a"], kind="vehicle", title="Still running")
        later.expires_at = utcnow() + timedelta(days=1)
        ids = due.id, later.id
    assert worker.main([path, "--once"]) == 0
    with db_session({"sqlalchemy.url": url}) as dbsession:
        states = {n.id: n.state for n in dbsession.execute(select(Notice)).scalars()}
        assert states[ids[0]] == "expired" and states[ids[1]] == "published"
        event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "notice.expire")).scalar_one()
        assert event.actor == "system" and event.object_id == str(ids[0])
    assert worker.main([path, "--once"]) == 0  # nothing more to do, nothing changes
    with db_session({"sqlalchemy.url": url}) as dbsession:
        assert len(dbsession.execute(select(AuditEvent).where(AuditEvent.action == "notice.expire")).all()) == 1


def test_a_failing_job_is_reported_and_the_others_still_run(tmp_path, app_settings, monkeypatch):
    path, _ = write_ini(tmp_path, app_settings)
    ran = []

    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(worker, "JOBS", {"broken": broken, "fine": lambda request: ran.append(1) or 1})
    assert worker.main([path, "--once"]) == 1
    assert ran == [1]


def test_once_runs_retention_for_every_kind_with_one_audit_event_each(tmp_path, app_settings):
    from portal.alarms.models import Alarm
    from tests.factories import make_alarm

    assert {"trips-purge", "alarms-purge", "recordings-purge", "tips-purge", "sightings-purge", "missing-purge",
            "outbox-purge"} <= set(worker.JOBS)
    path, url = write_ini(tmp_path, app_settings)
    with db_session({"sqlalchemy.url": url}) as dbsession:
        units = make_units(dbsession)
        for days in (100, 120, 10):
            make_alarm(dbsession, units["city_a"], state="closed", place="Behind the market",
                       ended_at=utcnow() - timedelta(days=days))
    assert worker.main([path, "--once"]) == 0
    assert worker.main([path, "--once"]) == 0  # nothing more: no second event
    with db_session({"sqlalchemy.url": url}) as dbsession:
        places = sorted(a.place for a in dbsession.execute(select(Alarm)).scalars())
        assert places == ["", "", "Behind the market"]
        (event,) = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "retention.purge")).scalars()
        assert event.object_type == "alarm" and event.reason.startswith("2 alarm(s)")
        assert "market" not in event.reason


def test_staff_copies_run_in_a_worker_of_their_own(tmp_path, app_settings):
    """`--skip media-staff-copies` leaves copies for `--only media-staff-copies`, which makes them."""
    from portal.media import copy_jobs
    from portal.media.models import Media, MediaCopy
    from portal.media.storage import LocalMediaStore
    from tests.transcode_samples import make_sample, require_ffmpeg

    require_ffmpeg()
    path, url = write_ini(tmp_path, app_settings)
    store = LocalMediaStore(str(tmp_path / "media"))
    key, sha, size = store.put_bytes(make_sample("wav", tmp_path), ".wav")
    with db_session({"sqlalchemy.url": url}) as dbsession:
        media = Media(kind="audio", sha256=sha, size=size, content_type="audio/wav", original_key=key)
        copy_jobs.request_copy(media)
        dbsession.add(media)

    def state():
        with db_session({"sqlalchemy.url": url}) as dbsession:
            return dbsession.execute(select(MediaCopy.state)).scalar_one()

    assert worker.main([path, "--once", "--skip", "media-staff-copies"]) == 0
    assert state() == "pending"
    assert worker.main([path, "--once", "--only", "media-staff-copies"]) == 0
    assert state() == "ready"
