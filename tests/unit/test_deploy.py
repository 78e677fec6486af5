"""The deployment kit (deploy/): Varnish's configuration compiles (`varnishd -C`); nginx's configuration passes `nginx -t` and, run for real on the
loopback in front of a stand-in app server, redirects to HTTPS, sends HSTS, compresses, passes the real
client address (never one the client claims) and keeps secret links out of its access log; the systemd
units pass `systemd-analyze verify`. Needs Debian's nginx (PORTAL_REQUIRE_NGINX=1 in CI)."""
import http.client
import json
import os
import pathlib
import re
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.coturn import reserve_ports
from tests.nginx import DEPLOY, nginx_binary, running_nginx, site
from tests.nginx import get as _get

TOKEN = "A" * 20 + "b-_" + "9" * 20  # 43 characters, as a secret link's token


@pytest.fixture
def ports():
    """Two ports of PORTAL_TEST_PORTS for nginx, locked against other suites (tests/coturn.py)."""
    reservation = reserve_ports(2)
    yield list(reservation.ports)
    reservation.release()


class App:
    """A stand-in app server that answers each request with what it received, as JSON."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                body = json.dumps({"path": self.path, "headers": dict(self.headers)}).encode() * 20
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")  # so that a closed server is gone at once
                self.send_header("Strict-Transport-Security", "max-age=31536000")  # as the portal's
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_nginx_configuration_passes_nginx_t(tmp_path, ports):
    nginx = nginx_binary()
    main = site(tmp_path, *ports, 6543)
    checked = subprocess.run([nginx, "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


@pytest.fixture
def proxy(tmp_path, ports):
    app = App()
    http_port, https_port = ports
    with running_nginx(tmp_path, http_port, https_port, app.port):
        yield http_port, https_port, tmp_path, app
    app.close()


def test_nginx_in_front_of_an_app_server_does_what_the_portal_needs(proxy):
    http_port, https_port, logs, app = proxy
    redirect, _body = _get(http_port, "/notices", tls=False)
    assert redirect.status == 301 and redirect.getheader("Location") == "https://portal.example.cn/notices"

    response, body = _get(https_port, f"/alarm/{TOKEN}/updates?after=5",
                          {"X-Forwarded-For": "198.51.100.7", "Accept-Encoding": "identity"})
    assert response.status == 200
    assert response.msg.get_all("Strict-Transport-Security") == ["max-age=63072000; includeSubDomains"]
    seen = json.loads(body[:len(body) // 20])
    assert seen["path"] == f"/alarm/{TOKEN}/updates?after=5"
    # The client's own claim is dropped: rate limits see the real address.
    assert seen["headers"]["X-Forwarded-For"] == "127.0.0.1" and seen["headers"]["X-Forwarded-Proto"] == "https"

    compressed, _ = _get(https_port, "/api/v1/notices", {"Accept-Encoding": "gzip"})
    assert compressed.getheader("Content-Encoding") == "gzip"

    css, _ = _get(https_port, "/static/css/portal.css")
    assert css.status == 200 and css.getheader("Cache-Control") == "public, max-age=3600"
    versioned, _ = _get(https_port, "/static/css/portal.css?v=0123456789ab")  # core/static.py's URLs
    assert versioned.status == 200 and versioned.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert versioned.getheader("Strict-Transport-Security") == response.getheader("Strict-Transport-Security")

    app.close()  # Varnish does not answer: the static page with the call and SMS links, not nginx's own
    down, page = _get(https_port, "/notices")
    assert down.status == 503 and down.getheader("Retry-After") == "60" and down.getheader("Cache-Control") == "no-store"
    assert b'href="tel:110"' in page and b'href="tel:122"' in page and b'href="sms:12110"' in page

    access = (logs / "safety-portal.access.log").read_text()
    assert TOKEN not in access and "/alarm/redacted" in access
    assert "after=5" not in access and "/api/v1/notices" in access


def test_nginx_keeps_purges_and_refreshes_from_visitors(proxy):
    """Varnish takes PURGE and X-Portal-Refresh from its purgers' addresses, and nginx has one of them:
    nginx must refuse the method and drop the header, or any visitor could empty or churn the proxy."""
    _http_port, https_port, _logs, _app = proxy
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    for method in ("PURGE", "BAN"):
        connection = http.client.HTTPSConnection("127.0.0.1", https_port, context=context, timeout=10)
        connection.request(method, "/", headers={"Host": "portal.example.cn", "xkey-purge": "notice-list"})
        refused = connection.getresponse()
        refused.read()
        assert refused.status == 405, method
    response, body = _get(https_port, "/notices", {"X-Portal-Refresh": "1", "Accept-Encoding": "identity"})
    seen = json.loads(body[:len(body) // 20])
    assert response.status == 200 and seen["path"] == "/notices"
    assert "X-Portal-Refresh" not in seen["headers"] and "x-portal-refresh" not in seen["headers"]


@pytest.mark.parametrize("unit", ["safety-portal-web@.service", "safety-portal-worker.service",
                                  "safety-portal-copies.service", "safety-portal-warmer.service"])
def test_the_systemd_units_pass_systemd_analyze_verify(unit, tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")
    venv_bin = pathlib.Path(os.path.dirname(os.path.abspath(os.sys.executable)))
    text = (DEPLOY / "systemd" / unit).read_text()
    assert "/srv/safety-portal/.venv/bin/" in text and "ProtectSystem=strict" in text and "NoNewPrivileges=yes" in text
    (tmp_path / unit).write_text(text.replace("/srv/safety-portal/.venv/bin/", f"{venv_bin}/"))
    name = unit.replace("@.service", "@6543.service")
    checked = subprocess.run([analyze, "verify", "--man=no", name], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "Unknown" not in checked.stderr and "ignoring" not in checked.stderr, checked.stderr


def test_the_varnish_configuration_compiles_with_varnishd_c():
    from tests.varnish import compile_vcl, skip_or_fail_without_varnish

    skip_or_fail_without_varnish()
    compiled = compile_vcl()
    assert compiled.returncode == 0, compiled.stderr
    # The C it compiles to purges by tag and keeps the purge to its ACL.
    output = compiled.stdout + compiled.stderr
    assert "vmod_xkey" in output and "purgers" in output


def test_the_varnish_default_language_is_the_portals_and_the_warmers_first():
    """portal_language sends requests with no (or no known) Accept-Language to the copy of the portal's
    default language; portal-warm-proxy must fill that copy, and the portal must answer in it."""
    from portal.core.settings import DEFAULTS
    from portal.notices.warm_plan import LANGUAGES

    text = (DEPLOY / "varnish" / "safety-portal.vcl").read_text()
    body = text[text.index("sub portal_language {"):text.index("sub vcl_hash {")]
    defaults = set(re.findall(r'\{\s*set req\.http\.Accept-Language = "([^"]+)";\s*return;', body))
    assert defaults == {LANGUAGES[0]} == {DEFAULTS["portal.default_locale"].replace("_", "-")}
