"""nginx with deploy/nginx/safety-portal.conf on the loopback, as tests/unit/test_deploy.py and
tests/functional/test_proxy_outage.py run it: the shipped file with only this test's paths, ports and
certificate (a self-signed one) changed. Skips without Debian's nginx unless PORTAL_REQUIRE_NGINX=1."""
import contextlib
import datetime
import http.client
import os
import pathlib
import shutil
import socket
import ssl
import subprocess
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = pathlib.Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found is None:
        if os.environ.get("PORTAL_REQUIRE_NGINX") == "1":
            pytest.fail("nginx is missing and PORTAL_REQUIRE_NGINX=1 (apt-get install nginx-light)", pytrace=False)
        pytest.skip("nginx not installed: apt-get install nginx-light to check deploy/nginx")
    return found


def certificate(directory: pathlib.Path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal.example.cn")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def site(tmp: pathlib.Path, http_port: int, https_port: int, app_port: int) -> pathlib.Path:
    """deploy/nginx/safety-portal.conf with the paths and ports of this test, nothing else changed."""
    cert, key = certificate(tmp)
    text = (DEPLOY / "nginx" / "safety-portal.conf").read_text()
    for old, new in (("/etc/ssl/safety-portal/fullchain.pem", cert), ("/etc/ssl/safety-portal/privkey.pem", key),
                     ("/var/log/nginx/", f"{tmp}/"), ("/srv/safety-portal", str(ROOT)),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"), ("listen [::]:80;", ""),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                     ("listen [::]:443 ssl http2;", ""),
                     ("server 127.0.0.1:6081", f"server 127.0.0.1:{app_port}")):
        assert old in text, old
        text = text.replace(old, new)
    site = tmp / "site.conf"
    site.write_text(text)
    main = tmp / "nginx.conf"
    # Run as root (CI), nginx's workers would drop to an unprivileged user who cannot read a checkout in a
    # private temporary directory: they keep root's identity here, in the test's own main file only.
    user = "user root;\n" if os.geteuid() == 0 else ""
    main.write_text(f"{user}pid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\nevents {{}}\nhttp {{\n"
                    f"  include /etc/nginx/mime.types;\n  client_body_temp_path {tmp}/body;\n"
                    f"  proxy_temp_path {tmp}/proxy;\n  include {site};\n}}\n")
    return main


def get(port, path, headers=None, tls=True):
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": "portal.example.cn", **(headers or {})})
    response = connection.getresponse()
    return response, response.read()


@contextlib.contextmanager
def running_nginx(tmp: pathlib.Path, http_port: int, https_port: int, upstream_port: int):
    """nginx in front of `upstream_port` (Varnish's place) until the block ends."""
    nginx = nginx_binary()
    main = site(tmp, http_port, https_port, upstream_port)
    started = subprocess.run([nginx, "-c", str(main), "-p", str(tmp)], capture_output=True, text=True)
    assert started.returncode == 0, started.stderr
    try:
        for _ in range(50):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", https_port)) == 0:
                    break
            time.sleep(0.1)
        yield
    finally:
        subprocess.run([nginx, "-c", str(main), "-p", str(tmp), "-s", "stop"], capture_output=True)
