"""The production stack on the loopback, as deployed with several app servers: Varnish with
deploy/varnish/safety-portal.vcl in front of TWO app servers (waitress, each `portal.main` in a process
of its own, so one can be killed), one PostgreSQL database, a shared redis-server (rate limits), the
media in a private bucket of a real SeaweedFS, and the worker's job loop (in a thread) purging the proxy.
What tests/functional/test_many_servers.py and bench/many_servers.py drive over HTTP.

An app server is `python -m tests.stack SETTINGS.json PORT` (its settings in a file readable by the
test's user only). Needs PostgreSQL, redis-server, varnish with xkey and the `weed` binary; each
missing one skips (or fails under its PORTAL_REQUIRE_ variable)."""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from portal.scripts.common import db_session
from tests.conftest import ROOT, migrate, settings_for
from tests.coturn import reserve_ports
from tests.proxy_stack import Stack, form_fields
from tests.varnish import running_varnish

LOGIN_RATE_PER_MINUTE = 6


def skip_or_fail_without_redis() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("PORTAL_REQUIRE_REDIS") == "1":
            pytest.fail(message + " (PORTAL_REQUIRE_REDIS=1)", pytrace=False)
        pytest.skip(message)
    return binary


@contextlib.contextmanager
def running_redis(directory: Path):
    """A redis-server without persistence on a port of PORTAL_TEST_PORTS; yields its URL."""
    import redis

    binary = skip_or_fail_without_redis()
    ports = reserve_ports(1)
    process = subprocess.Popen([binary, "--port", str(ports.first), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(directory)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{ports.first}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError):
                client.ping()
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"redis-server did not start on port {ports.first}")
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)
        ports.release()


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def start_app_server(settings_file: Path, port: int, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "tests.stack", str(settings_file), str(port)],
                                   cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while not _healthy(f"http://127.0.0.1:{port}"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"app server on {port} did not start: {log.read_text()[-3000:]}")
        time.sleep(0.2)
    return process


class Worker:
    """portal-worker's job loop (scripts/worker.py's run_jobs) in a thread, a round every `interval` s."""

    def __init__(self, settings: dict, interval: float = 0.5):
        import transaction
        from pyramid.scripting import prepare

        import portal

        self.env = prepare(registry=portal.main({}, **settings).registry)
        self.env["request"].tm = transaction.TransactionManager(explicit=True)
        self.interval, self.rounds, self.stop = interval, 0, threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="portal-worker")

    def _loop(self):
        from portal.scripts.worker import run_jobs

        while not self.stop.is_set():  # every job, as deployed: /readyz checks each one's last run
            run_jobs(self.env["request"], "stack-worker", min_gap=timedelta(0))
            self.rounds += 1
            self.stop.wait(self.interval)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=60)
        self.env["closer"]()


@dataclass
class ManyServers(Stack):
    app_urls: list = field(default_factory=list)
    processes: list = field(default_factory=list)
    redis_url: str = ""
    moderators: tuple = ()
    worker: Worker | None = None
    settings_file: Path | None = None

    def kill(self, index: int) -> None:
        """SIGKILL app server `index`: no goodbye to the proxy, connections just end."""
        self.processes[index].send_signal(signal.SIGKILL)
        self.processes[index].wait(10)

    def restart(self, index: int) -> None:
        port = int(self.app_urls[index].rsplit(":", 1)[1])
        log = self.settings_file.with_name(f"app-{port}.log")
        self.processes[index] = start_app_server(self.settings_file, port, log)

    def verifying_appeal(self) -> tuple[int, int, str, str]:
        """A family's request being verified, its checklist complete, with a photo in the bucket:
        (request id, notice id, the person's name, the notice's title); the dispatcher's next step is to publish it."""
        from portal.accounts.models import Officer
        from portal.core.meta import utcnow
        from portal.media.backends import make_media_store
        from portal.privacy.crypto import FieldCipher
        from portal.units.models import Unit
        from tests.factories import make_missing_request, make_photo

        with db_session(self.settings) as dbsession:
            cipher = FieldCipher.from_setting(self.settings["portal.field_keys"], self.settings["portal.field_key_id"])
            county, city = dbsession.get(Unit, self.units["county_a"]), dbsession.get(Unit, self.units["city_a"])
            officer = dbsession.execute(select(Officer).where(Officer.username == self.dispatcher)).scalar_one()
            appeal = make_missing_request(dbsession, cipher, county, command_unit=city, state="verifying",
                                          family_confirmed=True, unit_confirmed=True, verification_how="By phone.",
                                          verified_by_id=officer.id, verified_at=utcnow())
            make_photo(dbsession, make_media_store(self.settings), appeal.notice)
            return appeal.id, appeal.notice.id, appeal.notice.missing_person.full_name, appeal.notice.title

    def forget_rate_limits(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        client.flushdb()
        client.close()

    def count(self, model) -> int:
        with db_session(self.settings) as dbsession:
            return dbsession.execute(select(func.count()).select_from(model)).scalar_one()

    def published_at(self, notice_id: int) -> float:
        from portal.notices.models import Notice

        with db_session(self.settings) as dbsession:
            return dbsession.get(Notice, notice_id).published_at.astimezone(UTC).timestamp()


def stack_settings(base: Path, db_url: str, seaweed, redis_url: str, proxy_port: int) -> dict:
    settings = settings_for(db_url, base / "media")
    settings.update(seaweed.portal_settings(seaweed.new_bucket("many")))
    settings.update({"portal.ratelimit.backend": "redis", "portal.ratelimit.redis_url": redis_url,
                     "portal.login.rate_per_minute": str(LOGIN_RATE_PER_MINUTE),
                     "portal.worker.silence_limit_seconds": "30",  # /readyz reads the worker's heartbeat
                     "portal.proxy.purge_repeat_seconds": "1",  # the worker's second round comes soon
                     "portal.proxy.purger": "varnish", "portal.proxy.purge_urls": f"http://127.0.0.1:{proxy_port}/"})
    return settings


def _people(settings) -> tuple[dict, str, tuple[str, str]]:
    from tests.factories import make_officer, make_units

    with db_session(settings) as dbsession:
        units = make_units(dbsession)
        dispatcher = make_officer(dbsession, units["city_a"], ["dispatcher"], username="many_dispatcher")
        authors = [make_officer(dbsession, units["city_a"], ["moderator"], username=f"many_moderator{i}")
                   for i in (1, 2)]
        return ({n: u.id for n, u in units.items()}, dispatcher.username, tuple(a.username for a in authors))


@contextlib.contextmanager
def many_servers(base: Path, db_url: str, seaweed):
    """Everything above, on a migrated (empty) PostgreSQL database `db_url`; yields a ManyServers."""
    from portal.core.db import get_engine

    base.mkdir(parents=True, exist_ok=True)
    ports = reserve_ports(3)
    app_ports, proxy_port = [ports.first, ports.first + 1], ports.first + 2
    engine = get_engine({"sqlalchemy.url": db_url})
    migrate(engine)
    engine.dispose()
    processes = []
    try:
        with running_redis(base) as redis_url:
            settings = stack_settings(base, db_url, seaweed, redis_url, proxy_port)
            units, dispatcher, moderators = _people(settings)
            settings_file = base / "settings.json"
            settings_file.touch(0o600)
            settings_file.write_text(json.dumps(settings))
            for port in app_ports:
                processes.append(start_app_server(settings_file, port, base / f"app-{port}.log"))
            with running_varnish(app_ports, port=proxy_port) as url, Worker(settings) as worker:
                yield ManyServers(url, f"http://127.0.0.1:{app_ports[0]}", settings, dispatcher, units,
                                  app_urls=[f"http://127.0.0.1:{p}" for p in app_ports], processes=processes,
                                  redis_url=redis_url, moderators=moderators, worker=worker,
                                  settings_file=settings_file)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(20)
        ports.release()


def publish_appeal(stack, officer: requests.Session, request_id: int) -> None:
    """The dispatcher publishes the verified appeal on its staff page (the real form, through the proxy)."""
    page = officer.get(f"{stack.url}/staff/missing/{request_id}", timeout=10)
    action, fields = form_fields(page.text, "step-publish")
    answer = officer.post(f"{stack.url}{action}", data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text[:500]


def _text(url: str) -> str:
    return requests.get(url, headers={"Accept-Language": "en"}, timeout=10).text


def appeal_shown(stack, notice_id: int, name: str, title: str) -> bool:
    """Through the proxy: the page shows the person, the list links the notice, the feed has its entry."""
    return (name in _text(f"{stack.url}/notices/{notice_id}")
            and f'href="/notices/{notice_id}"' in _text(f"{stack.url}/notices")
            and f"<title>{title}</title>" in _text(f"{stack.url}/feeds/notices.atom"))


def appeal_gone(stack, notice_id: int, photo_id: int, name: str, title: str) -> bool:
    """Through the proxy: the page no longer shows the person, the photo is 404, the feed lost the entry."""
    return (name not in _text(f"{stack.url}/notices/{notice_id}")
            and requests.get(f"{stack.url}/media/{photo_id}/public", timeout=10).status_code == 404
            and f"<title>{title}</title>" not in _text(f"{stack.url}/feeds/notices.atom"))


def main_photo(stack, notice_id: int) -> int:
    photo = requests.get(f"{stack.url}/api/v1/notices/{notice_id}", timeout=10).json()["photos"][0]
    return int(photo["url"].rsplit("/media/", 1)[1].split("/")[0])


def cached(url: str) -> None:
    """Put `url` into the proxy: the second GET must be a hit."""
    requests.get(url, headers={"Accept-Language": "en"}, timeout=10)
    second = requests.get(url, headers={"Accept-Language": "en"}, timeout=10)
    assert second.headers.get("X-Cache") == "hit", (url, second.status_code)


class OverHTTP:
    """A WSGI app that sends each request to a real server (`base`) over HTTP and hands back its answer,
    so that a webtest.TestApp walks the real servers' forms; `.base` may change between requests (the
    client's cookies stay with the TestApp)."""

    HOP = {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length"}

    def __init__(self, base: str):
        self.base = base

    def __call__(self, environ, start_response):
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        query = f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else ""
        answer = requests.request(environ["REQUEST_METHOD"], f"{self.base}{environ['PATH_INFO']}{query}",
                                  headers=headers, data=body, allow_redirects=False, timeout=30)
        raw = answer.raw.headers
        start_response(f"{answer.status_code} {answer.reason}",
                       [(key, value) for key in dict.fromkeys(raw.keys()) if key.lower() not in self.HOP
                        for value in raw.getlist(key)])
        return [answer.content]


def client(base: str):
    """A browser (webtest.TestApp) on the real server at `base`; `use(client, base)` moves it."""
    import webtest

    return webtest.TestApp(OverHTTP(base), extra_environ={"HTTP_HOST": "localhost",
                                                          "HTTP_ACCEPT_LANGUAGE": "en"}, lint=False)


def use(browser, base: str) -> None:
    browser.app.base = base


def serve(settings_file: str, port: int) -> None:
    import waitress

    import portal

    settings = json.loads(Path(settings_file).read_text())
    waitress.serve(portal.main({}, **settings), host="127.0.0.1", port=port, threads=4, _quiet=True)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
