"""The portal served by waitress on the loopback with a real Varnish (deploy/varnish) in front, on a
SQLite file: what tests/functional/test_caching_proxy.py and bench/proxy_purge.py drive over HTTP."""
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import requests
from bs4 import BeautifulSoup

import portal
from portal.core.db import get_engine
from portal.media.backends import make_media_store
from portal.privacy.crypto import FieldCipher
from portal.scripts.common import db_session
from tests.conftest import migrate, settings_for
from tests.coturn import reserve_ports
from tests.factories import PASSWORD, make_missing_request, make_officer, make_photo, make_units
from tests.varnish import running_varnish


@dataclass
class Stack:
    url: str  # Varnish's
    app_url: str
    settings: dict
    dispatcher: str  # a dispatcher's user name (password tests.factories.PASSWORD)
    units: dict  # name -> id
    # proxy_stack's: its app server ends (refuses connections, its open ones closed); None elsewhere
    stop_app: Callable[[], None] | None = None

    def appeals(self, count: int) -> list[tuple[int, int, int, str, str]]:
        """`count` published missing-person appeals with a photo each: (request id, notice id, photo id,
        the person's name, the notice's title)."""
        made = []
        with db_session(self.settings) as dbsession:
            from portal.units.models import Unit

            cipher = FieldCipher.from_setting(self.settings["portal.field_keys"], self.settings["portal.field_key_id"])
            store = make_media_store(self.settings)  # local here, a bucket in tests/stack.py
            county, city = dbsession.get(Unit, self.units["county_a"]), dbsession.get(Unit, self.units["city_a"])
            for _ in range(count):
                appeal = make_missing_request(dbsession, cipher, county, command_unit=city, state="published")
                photo = make_photo(dbsession, store, appeal.notice)
                made.append((appeal.id, appeal.notice.id, photo.id, appeal.notice.missing_person.full_name,
                             appeal.notice.title))
        return made

    def resolved_at(self, notice_id: int) -> float:
        """When the closure was stamped in its transaction (just before its commit), as a Unix time."""
        from portal.notices.models import Notice

        with db_session(self.settings) as dbsession:
            return dbsession.get(Notice, notice_id).resolved_at.astimezone(UTC).timestamp()


def form_fields(html: str, form_id: str | None = None) -> tuple[str, dict]:
    page = BeautifulSoup(html, "html.parser")
    form = page.find("form", id=form_id) if form_id else page.find("form")
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    return form.get("action") or "", fields


def signed_in(stack: Stack) -> requests.Session:
    """A dispatcher's browser session, through the proxy like every request."""
    client = requests.Session()
    page = client.get(f"{stack.url}/login", timeout=10)
    action, fields = form_fields(page.text)
    fields.update(username=stack.dispatcher, password=PASSWORD, submit="submit")
    answer = client.post(f"{stack.url}{action or '/login'}", data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text[:500]
    return client


def close_appeal(stack: Stack, client: requests.Session, request_id: int) -> None:
    """The dispatcher marks the appeal resolved on its staff page (the real form, through the proxy)."""
    page = client.get(f"{stack.url}/staff/missing/{request_id}", timeout=10)
    action, fields = form_fields(page.text, "step-resolve")
    fields["reason"] = "Found safe at her aunt's home."
    answer = client.post(f"{stack.url}{action}", data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text[:500]


def wait_until(check, limit: float = 5.0, step: float = 0.02) -> float:
    """Seconds until `check()` is true (polling); raises after `limit`."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > limit:
            raise AssertionError(f"not within {limit} s")
        time.sleep(step)
    return time.monotonic() - started


@contextlib.contextmanager
def proxy_stack(base: Path, wrap=None, **overrides):
    """waitress (4 threads) with the portal on a fresh SQLite file, and varnishd in front of it; `wrap`,
    if given, wraps the portal's WSGI app (a test watching what reaches the app server)."""
    import waitress

    ports = reserve_ports(2)
    app_port, proxy_port = ports.first, ports.first + 1
    settings = settings_for(f"sqlite:///{base}/proxy.sqlite", base / "media")
    settings.update({"portal.proxy.purger": "varnish", "portal.proxy.purge_urls": f"http://127.0.0.1:{proxy_port}/",
                     **overrides})
    engine = get_engine({"sqlalchemy.url": settings["sqlalchemy.url"]})
    migrate(engine)
    engine.dispose()
    with db_session(settings) as dbsession:
        units = make_units(dbsession)
        dispatcher = make_officer(dbsession, units["city_a"], ["dispatcher"], username="proxy_dispatcher")
        names = {name: unit.id for name, unit in units.items()}
        username = dispatcher.username
    app = portal.main({}, **settings)
    server = waitress.create_server(wrap(app) if wrap else app, host="127.0.0.1", port=app_port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    stopped = []

    def stop_app():
        if not stopped:
            from waitress import wasyncore

            server.close()
            wasyncore.close_all(server._map)  # Varnish's idle keep-alive connections too
            server.task_dispatcher.shutdown()
            thread.join(timeout=10)
            stopped.append(True)

    try:
        with running_varnish([app_port], port=proxy_port) as url:
            yield Stack(url, f"http://127.0.0.1:{app_port}", settings, username, names, stop_app)
    finally:
        stop_app()
        ports.release()
