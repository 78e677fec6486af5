"""portal-worker INI: the background jobs that come with time rather than with a request.

Each job runs in its own transaction, as the "system" actor; a job that fails is logged and the
others still run. `--once` runs every job once and exits (for cron or a test); otherwise it repeats
every `--interval` seconds until stopped (Ctrl-C or SIGTERM).

Several workers may run at once (for availability): each job is leased to one worker at a time, and a
job another worker started less than half an interval ago is left to it (core/worker_state.py). Each
round ends with the worker's heartbeat, which `/readyz` reads.

`--only NAME` / `--skip NAME` (repeatable) choose jobs: staff copies of videos take minutes, so a
deployment gives them a worker of their own (README, "Staff copies")."""
import argparse
import logging
import signal
import sys
import threading
import time
from datetime import timedelta

import transaction
from pyramid.paster import bootstrap

from portal.alarms import jobs as alarm_jobs
from portal.audit import jobs as audit_jobs
from portal.calls import jobs as call_jobs
from portal.calls import recording_jobs
from portal.calls.invitations import services as call_invitations
from portal.core import worker_state
from portal.media import copy_jobs
from portal.media import jobs as media_jobs
from portal.missing import jobs as missing_jobs
from portal.notices import jobs as notice_jobs
from portal.outbox import jobs as outbox_jobs
from portal.outbox import purges as proxy_purges
from portal.outbox import services as outbox
from portal.phones import services as phones
from portal.scripts.common import load_settings
from portal.sightings import jobs as sighting_jobs
from portal.tips import jobs as tip_jobs
from portal.trips import jobs as trips_jobs

log = logging.getLogger("portal.worker")

# name -> job(request) returning how many items it handled.
JOBS = {
    "expire-notices": notice_jobs.expire_due,
    # Upload parts a killed server left (reporters' media, unencrypted) and any past their time.
    "sweep-partial-uploads": media_jobs.sweep_partial_uploads,
    # Resumable uploads unfinished or never sent with their form (media/resumable).
    "resumable-expire": media_jobs.expire_resumable_uploads,
    # Trips: missed arrivals, unanswered ones, abandoned ones, then retention (trips/jobs.py).
    "trips-overdue": trips_jobs.mark_overdue,
    "trips-escalate": trips_jobs.escalate_unanswered,
    "trips-expire": trips_jobs.expire_abandoned,
    "trips-purge": trips_jobs.purge_ended,
    # Calls whose caller's page went silent, or whose alarm ended (calls/jobs.py).
    "calls-end-gone": call_jobs.end_gone,
    # Dispatchers' invitations nobody consented to within their lifetime (calls/invitations/services.py).
    "invitations-expire": call_invitations.expire_due,
    # Retention of every other kind: one batch each per round, one audit event each with counts
    # (README, "Retention"; each domain's jobs.py).
    "alarms-purge": alarm_jobs.purge_ended,
    # The caller's recordings: final once their page went silent; purged with their alarm's retention
    # (calls/recording_jobs.py).
    "recordings-finalize": recording_jobs.finalize_silent,
    "recordings-purge": recording_jobs.purge_recordings,
    "tips-purge": tip_jobs.purge_closed,
    "sightings-purge": sighting_jobs.purge_old,
    "missing-purge": missing_jobs.purge_ended,
    "outbox-purge": outbox_jobs.purge_sent,
    "invitations-purge": call_invitations.purge_ended,
    # Phone codes (hashes only) a day after they were asked for (phones/services.py).
    "phones-purge": phones.purge,
    # Playable staff copies of video and sound recordings (media/copy_jobs.py): after the urgent jobs, within
    # a time budget; a deployment runs them in a worker of their own.
    "media-staff-copies": copy_jobs.prepare_staff_copies,
    # A signed checkpoint of the audit chain outside the database, every portal.audit.checkpoint_seconds
    # (audit/jobs.py): after the jobs above have written their events.
    "audit-checkpoint": audit_jobs.write_checkpoint,
    # The caching proxies' purges the web processes could not send at once, and every purge's second
    # round (outbox/purges.py).
    "proxy-purges": proxy_purges.send_due,
    # Last, so notices queued by the jobs above (and a checkpoint for a remote collector) leave in the same round.
    "send-outbox": outbox.send_due,
}


def run_jobs(request, worker: str | None = None, min_gap: timedelta = timedelta(0), names=None) -> dict[str, int]:
    """Run every job (or those named) once, each in its own transaction, under its lease; end with a
    heartbeat. A job another worker holds (or ran within `min_gap`) is skipped and left out of the result."""
    worker = worker or worker_state.worker_name()
    lease = timedelta(seconds=float(request.registry.settings[worker_state.LEASE_SETTING]))
    tm = request.tm
    _in_transaction(request, lambda: worker_state.ensure_jobs(request.dbsession, JOBS))
    done = {}
    for name, job in JOBS.items():
        if names is not None and name not in names:
            continue
        if not _in_transaction(request, lambda name=name: worker_state.claim(request.dbsession, name, worker, lease,
                                                                              min_gap)):
            continue
        tm.begin()
        try:
            done[name] = job(request)
            worker_state.release(request.dbsession, name, worker, "ok", done[name])
            tm.commit()
        except Exception:
            tm.abort()
            log.exception("job %s failed", name)
            done[name] = -1
            _in_transaction(request, lambda name=name: worker_state.release(request.dbsession, name, worker,
                                                                            "failed", None))
        finally:
            request.__dict__.pop("dbsession", None)  # a fresh session for the next transaction
        if done[name]:
            log.info("job %s handled %s", name, done[name])
    _in_transaction(request, lambda: worker_state.beat(request.dbsession, worker))
    return done


def _in_transaction(request, work):
    """Run `work` in a short transaction of its own and commit it (a lease must be visible to the other
    workers before the job starts); a database error is logged and counts as "not done"."""
    tm = request.tm
    tm.begin()
    try:
        result = work()
        tm.commit()
        return result
    except Exception:
        tm.abort()
        log.exception("the worker's bookkeeping failed")
        return None
    finally:
        request.__dict__.pop("dbsession", None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config_uri", help="the .ini file, e.g. development.ini")
    parser.add_argument("--once", action="store_true", help="run every job once and exit")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between rounds (default 30)")
    parser.add_argument("--only", action="append", choices=list(JOBS), metavar="JOB",
                        help="run only this job (repeatable)")
    parser.add_argument("--skip", action="append", choices=list(JOBS), metavar="JOB",
                        help="run every job but this one (repeatable)")
    args = parser.parse_args(argv)
    names = [n for n in (args.only or JOBS) if n not in (args.skip or ())]
    load_settings(args.config_uri)  # logging
    with bootstrap(args.config_uri) as env:
        request = env["request"]
        request.tm = transaction.TransactionManager(explicit=True)
        if args.once:
            return 1 if -1 in run_jobs(request, names=names).values() else 0
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        worker = worker_state.worker_name()
        log.info("worker %s started: %s every %.0f s", worker, ", ".join(names), args.interval)
        try:
            while not stop.is_set():
                started = time.monotonic()
                # Several workers share the schedule: a job another started within half a round is theirs.
                run_jobs(request, worker, min_gap=timedelta(seconds=args.interval / 2), names=names)
                # Rounds start --interval apart, however long the jobs took (the audit checkpoint keeps time).
                stop.wait(max(args.interval - (time.monotonic() - started), 0))
        except KeyboardInterrupt:
            pass
        log.info("worker stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
