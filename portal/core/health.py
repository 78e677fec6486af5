"""Health for load balancers and monitoring: `/healthz` (the process runs), `/readyz/web` (this
server can serve: its database answers) and `/readyz` (the whole portal works: the database answers
and a worker has finished a round within `portal.worker.silence_limit_seconds`). Reasons name what
is wrong, never a secret, an address or an error's text."""
from datetime import timedelta

from pyramid.view import view_config
from sqlalchemy import text

from portal.core import read_only, worker_state


@view_config(route_name="healthz", request_method="GET", renderer="json")
def healthz(request):
    """The process is up; says nothing about the database."""
    return {"status": "ok"}


def _unavailable(request, **reasons):
    request.response.status_int = 503
    return {"status": "unavailable", **reasons}


def _read_engine_fails(request) -> str | None:
    """The error's name when the public pages' read-only connections (core/read_only.py) cannot be had,
    or "writable" when the database would take writes on them (the startup option dropped on the way):
    with the usual ones working, this server fails the public pages (the proxy keeps their copies) but
    takes alarms, tips and sightings. So /readyz (monitoring) reports it and /readyz/web (the load
    balancer) does not: taking every server out of rotation for it would stop the alarms too."""
    engine = request.registry.get("db_read_engine")
    if engine is None:  # turned off (portal.db.read_only_public_pages)
        return None
    try:
        with engine.connect() as connection:
            return None if read_only.refuses_writes(connection) else "writable"
    except Exception as exc:
        return type(exc).__name__


@view_config(route_name="readyz_web", request_method="GET", renderer="json")
def readyz_web(request):
    """Ready to serve pages: the database answers. What a load balancer probes, so that a stopped
    worker does not take every server, and the alarm page with them, out of rotation."""
    try:
        with request.registry["db_engine"].connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return _unavailable(request, database=type(exc).__name__)
    return {"status": "ok"}


@view_config(route_name="readyz", request_method="GET", renderer="json")
def readyz(request):
    """Everything the portal promises works: the database answers and the worker runs (trip
    escalation, expiry, retention and outgoing messages wait on it), every job included: a worker
    that runs some jobs only (`--only`, `--skip`) does not hide that nobody runs the others. What
    monitoring alerts on."""
    limit = float(request.registry.settings[worker_state.SILENCE_SETTING])
    try:
        with request.registry["db_engine"].connect() as connection:
            connection.execute(text("SELECT 1"))
            silent = worker_state.silence(connection) if limit > 0 else None
            jobs = worker_state.silent_jobs(connection, timedelta(seconds=limit)) if limit > 0 else []
    except Exception as exc:
        return _unavailable(request, database=type(exc).__name__)
    if failed := _read_engine_fails(request):
        return _unavailable(request, read_only_database=failed)
    if limit > 0 and silent is None:
        return _unavailable(request, worker="no worker has finished a round yet")
    if limit > 0 and silent.total_seconds() > limit:
        return _unavailable(request, worker=f"no worker has finished a round for {int(silent.total_seconds())} s")
    if jobs:
        return _unavailable(request, worker=f"no worker has run these jobs for over {int(limit)} s: {', '.join(jobs)}")
    return {"status": "ok"}
