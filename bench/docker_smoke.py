"""The deployment kit's images (deploy/docker/) built and run for real: the app image against this host's
PostgreSQL, a throwaway redis-server and a SeaweedFS bucket (the compose file's settings: S3 media, Redis
rate limits), with compose.yaml's confinement (read-only root, no capabilities, no new privileges), and the
proxy image with a throwaway certificate. Not part of CI: a cold build takes minutes and needs a daemon.

Checks, each a line, and the run fails at the first that does not hold:
  migrate and create-unit (the entrypoint's commands) finish, and the unit is in the database;
  `web` answers /healthz 200 (the seconds from `docker run` are the start-up time), /readyz/web 200,
  /readyz 503 until a worker ran, the public home page 200; docker's HEALTHCHECK turns healthy;
  `worker` and `copies` (its own image, with ffmpeg) record their heartbeats and /readyz turns 200; only
  the copies' container has ffmpeg and ffprobe;
  every process runs as uid 10014 (the image's user `portal`), never root;
  no secret of the run is in `docker history`, the image's environment or its labels;
  the proxy image: `nginx -t`, plain HTTP redirects to HTTPS, a static file with its cache header and
  HSTS, and with no Varnish behind it the static error page with the call links (502).
Prints the image sizes and the timings. Ports from PORTAL_TEST_PORTS; the database is
`<PORTAL_TEST_DATABASE_URL's>_docker`, made empty and dropped afterwards.

    .venv/bin/python bench/docker_smoke.py                       # builds both images first (cached layers)
    .venv/bin/python bench/docker_smoke.py --python-image local/python:3.11-slim --nginx-image local/nginx
    .venv/bin/python bench/docker_smoke.py --no-build --image safety-portal --copies-image safety-portal-copies \
        --proxy-image safety-portal-proxy

The bases without a registry: deploy/docker/base/ (make-debian.sh, then its two Dockerfiles)."""
import argparse
import json
import os
import platform
import secrets
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from tests.conftest import own_postgres_database  # noqa: E402
from tests.coturn import reserve_ports  # noqa: E402
from tests.seaweed import running_seaweed  # noqa: E402
from tests.stack import running_redis  # noqa: E402

ROOT = Path(HERE).parent
UID = 10014
# What compose.yaml gives every portal container (x-app).
CONFINED = ["--read-only", "--tmpfs", "/tmp",  # noqa: S108 - the container's own /tmp
            "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true"]
PREFIX = f"portal-smoke-{secrets.token_hex(3)}"


def docker(*args, check=True, timeout=1800) -> subprocess.CompletedProcess:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise SystemExit(f"docker {' '.join(args[:3])} ... failed ({done.returncode}):\n{done.stderr[-3000:]}"
                         f"\n{done.stdout[-3000:]}")
    return done


def ok(message: str) -> None:
    print(f"ok   {message}", flush=True)


def fail(message: str) -> None:
    raise SystemExit(f"FAIL {message}")


def get(url: str, timeout: float = 3.0, context=None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers={"Accept-Language": "zh-CN"})
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wait_for(check, limit: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            if check():
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    fail(f"{what} within {limit:.0f} s")


def build(args) -> dict:
    times = {}
    for target, tag in (("app", args.image), ("copies", args.copies_image), ("proxy", args.proxy_image)):
        command = ["build", "-f", "deploy/docker/Dockerfile", "--target", target, "-t", tag]
        command += ["--build-arg", f"PYTHON_IMAGE={args.python_image}"] if args.python_image else []
        if target == "proxy" and args.nginx_image:
            command += ["--build-arg", f"NGINX_IMAGE={args.nginx_image}"]
        # Cold: the first build only; the others reuse its layers, as on a host that builds all three.
        command += ["--no-cache"] if args.no_cache and target == "app" else []
        started = time.monotonic()
        subprocess.run(["docker", *command, str(ROOT)], check=True, stdout=subprocess.DEVNULL)
        times[target] = time.monotonic() - started
        ok(f"built {tag} (--target {target}) in {times[target]:.0f} s")
    return times


def secrets_env(database_url: str, redis_url: str, seaweed, bucket: str, purge_port: int) -> dict:
    key = lambda: secrets.token_urlsafe(32)  # noqa: E731 - 32 random bytes, URL-safe base64
    return {
        "PORTAL_PUBLIC_URL": "https://portal.example.cn",
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_SESSION_SECRET": secrets.token_urlsafe(48),
        "PORTAL_FIELD_KEYS": f"k1:{key()}", "PORTAL_FIELD_KEY_ID": "k1",
        "PORTAL_RECEIPT_PEPPER": secrets.token_urlsafe(48),
        "PORTAL_AUDIT_KEY": f"a1:{secrets.token_urlsafe(48)}",
        "PORTAL_EVIDENCE_KEY": f"e1:{key()}",
        "PORTAL_TURN_SECRET": secrets.token_urlsafe(48),
        "PORTAL_S3_ENDPOINT": seaweed.endpoint, "PORTAL_S3_BUCKET": bucket,
        "PORTAL_S3_ACCESS_KEY": seaweed.access_key, "PORTAL_S3_SECRET_KEY": seaweed.secret_key,
        "PORTAL_REDIS_URL": redis_url,
        "PORTAL_PURGE_URLS": f"http://127.0.0.1:{purge_port}/",  # no Varnish here: purges find nobody
    }


def run_app(args, env_file: Path, command: list[str], *, detach: bool, name: str = "", extra=(), image=""):
    """The app image as compose runs it, on the host's network (PostgreSQL, Redis, S3 on the loopback)."""
    run = ["run", "--network", "host", "--env-file", str(env_file), *CONFINED, *extra]
    run += ["-d", "--name", name] if detach else ["--rm"]
    return docker(*run, image or args.image, *command, check=not detach, timeout=600)


def app_checks(args, env: dict, env_file: Path, web_port: int, database_url: str) -> dict:
    from sqlalchemy import create_engine, text

    figures = {}
    started = time.monotonic()
    run_app(args, env_file, ["migrate"], detach=False)
    figures["migrate_s"] = time.monotonic() - started
    ok(f"migrate (portal-initialize-db) in {figures['migrate_s']:.1f} s")
    code = "139900"
    run_app(args, env_file, ["create-unit", "--code", code, "--name-zh", "烟雾测试省", "--command-center"],
            detach=False)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        units = connection.execute(text("SELECT count(*) FROM units WHERE code = :code"), {"code": code}).scalar()
    if units != 1:
        fail(f"create-unit: {units} units with code {code}")
    ok("create-unit: the unit is in the database")

    base = f"http://127.0.0.1:{web_port}"
    web = f"{PREFIX}-web"
    started = time.monotonic()
    run_app(args, env_file, ["web"], detach=True, name=web,
            extra=["-e", f"PORTAL_HTTP_PORT={web_port}", "-v", "/var/lib/safety-portal/media"])
    wait_for(lambda: get(f"{base}/healthz", 1)[0] == 200, 60, "/healthz 200")
    figures["web_start_s"] = time.monotonic() - started
    ok(f"web: /healthz 200 {figures['web_start_s']:.1f} s after docker run")
    status, _, body = get(f"{base}/readyz/web")
    if status != 200:
        fail(f"/readyz/web {status}: {body[:300]}")
    ok("web: /readyz/web 200 (the database answers)")
    status, _, body = get(f"{base}/readyz")
    if status != 503 or "worker" not in body:
        fail(f"/readyz before any worker: {status} {body[:300]}")
    ok(f"web: /readyz 503 before a worker ran ({json.loads(body)['worker']})")
    status, _, body = get(f"{base}/")
    if status != 200 or "<html" not in body.lower():
        fail(f"the home page: {status} {body[:300]}")
    ok(f"web: the home page 200 ({len(body)} bytes)")

    workers = [f"{PREFIX}-worker", f"{PREFIX}-copies"]
    for name, command, image in zip(workers, ("worker", "copies"), (args.image, args.copies_image), strict=True):
        run_app(args, env_file, [command], detach=True, name=name, image=image,
                extra=["-v", "/var/lib/safety-portal/media", "-v", "/var/lib/safety-portal-audit"])
    started = time.monotonic()

    def heartbeats():
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM worker_heartbeats WHERE rounds > 0")).scalar()

    figures["worker_beat_s"] = wait_for(lambda: heartbeats() >= 2, 120, "both workers' heartbeats")
    ok(f"worker and copies: {heartbeats()} heartbeats, the first rounds within {figures['worker_beat_s']:.1f} s")
    wait_for(lambda: get(f"{base}/readyz")[0] == 200, 60, "/readyz 200 once the workers ran")
    ok("web: /readyz 200 (the database answers and every job has run)")
    engine.dispose()

    for name in (web, *workers):
        uid = docker("exec", name, "id", "-u").stdout.strip()
        pid1 = docker("exec", name, "sh", "-c", "grep '^Uid:' /proc/1/status").stdout.split()[1:]
        if uid != str(UID) or set(pid1) != {str(UID)}:
            fail(f"{name} runs as uid {uid} (process 1: {pid1}), not {UID}")
    ok(f"web, worker, copies: every process runs as uid {UID}")
    wait_for(lambda: docker("inspect", "-f", "{{.State.Health.Status}}", web).stdout.strip() == "healthy",
             60, "docker's HEALTHCHECK healthy")
    ok("web: docker's HEALTHCHECK (/readyz/web) says healthy")
    for name in (web, *workers):
        if docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip() != "true":
            fail(f"{name} stopped:\n{docker('logs', name, check=False).stderr[-2000:]}")
    has_ffmpeg = {name: docker("exec", name, "sh", "-c", "command -v ffmpeg && command -v ffprobe",
                               check=False).returncode == 0 for name in (web, *workers)}
    if has_ffmpeg != {web: False, workers[0]: False, workers[1]: True}:
        fail(f"ffmpeg and ffprobe in the copies' container only: {has_ffmpeg}")
    ok("ffmpeg and ffprobe in the copies' container, not in the web's or the worker's")
    return figures


def no_secret_in_image(args, env: dict) -> None:
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", args.image).stdout
    config = docker("image", "inspect", "-f", "{{json .Config}}", args.image).stdout
    secret_values = [v for k, v in env.items() if any(w in k for w in ("SECRET", "KEY", "PEPPER"))]
    for text_ in (history, config):
        if any(value in text_ for value in secret_values):
            fail("a secret of this run is in the image")
        for variable in env:
            if variable in text_ and variable not in ("PORTAL_MEDIA_DIR", "PORTAL_AUDIT_CHECKPOINT_FILE"):
                fail(f"{variable} is set in the image")
    user = json.loads(config)["User"]
    if user.split(":")[0] not in ("portal", str(UID)):
        fail(f"the image's user is {user!r}")
    ok(f"no secret or secret variable in `docker history` or the image's config; its user is {user}")


def proxy_checks(args, directory: Path) -> None:
    tls = directory / "tls"
    tls.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=portal.example.cn", "-keyout", tls / "privkey.pem", "-out", tls / "fullchain.pem"],
                   check=True, capture_output=True)
    for path in tls.iterdir():
        path.chmod(0o644)
    mount = ["-v", f"{tls}:/etc/ssl/safety-portal:ro", "--add-host", "varnish:127.0.0.1"]
    tested = docker("run", "--rm", *mount, args.proxy_image, "nginx", "-t", check=False)
    if tested.returncode != 0:
        fail(f"nginx -t: {tested.stderr[-2000:]}")
    ok("proxy: nginx -t accepts deploy/docker/nginx.conf")
    ports = reserve_ports(2)
    http, https = ports.first, ports.first + 1
    name = f"{PREFIX}-proxy"
    try:
        docker("run", "-d", "--name", name, *mount, "-p", f"127.0.0.1:{http}:80", "-p", f"127.0.0.1:{https}:443",
               args.proxy_image)
        insecure = ssl.create_default_context()
        insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
        wait_for(lambda: get(f"http://127.0.0.1:{http}/", 1)[0] == 301, 30, "the proxy answering")
        status, headers, _ = get(f"http://127.0.0.1:{http}/notices")
        if not headers.get("Location", "").startswith("https://"):
            fail(f"plain HTTP: {status} {headers}")
        ok(f"proxy: plain HTTP {status} to {headers['Location']}")
        status, headers, body = get(f"https://127.0.0.1:{https}/static/css/portal.css?v=smoke", context=insecure)
        if status != 200 or "immutable" not in headers.get("Cache-Control", "") \
                or "max-age" not in headers.get("Strict-Transport-Security", ""):
            fail(f"a static file: {status} {headers}")
        ok(f"proxy: /static/css/portal.css?v= 200 ({len(body)} bytes), {headers['Cache-Control']}, HSTS")
        status, _, body = get(f"https://127.0.0.1:{https}/", context=insecure)
        if status != 502 or "tel:110" not in body:
            fail(f"no Varnish: {status} {body[:300]}")
        ok("proxy: no Varnish behind it: 502 with the static error page (tel:110)")
    finally:
        docker("rm", "-f", name, check=False)
        ports.release()


def image_sizes(*images) -> dict:
    return {image: int(docker("image", "inspect", "-f", "{{.Size}}", image).stdout) / 1e6 for image in images}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", default="safety-portal:smoke")
    parser.add_argument("--copies-image", default="safety-portal-copies:smoke")
    parser.add_argument("--proxy-image", default="safety-portal-proxy:smoke")
    parser.add_argument("--python-image", help="PYTHON_IMAGE for the build (default: the Dockerfile's)")
    parser.add_argument("--nginx-image", help="NGINX_IMAGE for the build (default: the Dockerfile's)")
    parser.add_argument("--no-build", action="store_true", help="run the images already built")
    parser.add_argument("--no-cache", action="store_true", help="build the app's layers again (cold build time)")
    args = parser.parse_args()
    if docker("version", check=False).returncode != 0:
        raise SystemExit("no Docker daemon answers (docker version)")
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
          f"{docker('version', '-f', '{{.Server.Version}}').stdout.strip()} daemon")
    figures = {} if args.no_build else {f"build_{k}_s": v for k, v in build(args).items()}
    containers = []
    with tempfile.TemporaryDirectory(prefix="portal-docker-smoke-") as tmp, \
            own_postgres_database("docker") as database_url, running_redis(Path(tmp)) as redis_url, \
            running_seaweed(Path(tmp) / "seaweed") as seaweed:
        bucket = seaweed.new_bucket("smoke")
        ports = reserve_ports(2)
        env = secrets_env(database_url, redis_url, seaweed, bucket, ports.first + 1)
        env_file = Path(tmp) / "portal.env"
        env_file.touch(mode=0o600)
        env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        containers = [f"{PREFIX}-{name}" for name in ("web", "worker", "copies")]
        try:
            figures |= app_checks(args, env, env_file, ports.first, database_url)
            no_secret_in_image(args, env)
            proxy_checks(args, Path(tmp))
        except BaseException:
            for name in containers:
                logs = docker("logs", "--tail", "30", name, check=False)
                print(f"--- {name}\n{logs.stdout}{logs.stderr}", file=sys.stderr)
            raise
        finally:
            for name in containers:
                docker("rm", "-f", "-v", name, check=False)
            ports.release()
    for image, size in image_sizes(args.image, args.copies_image, args.proxy_image).items():
        print(f"size {image}: {size:.0f} MB")
    for name, value in figures.items():
        print(f"time {name}: {value:.1f}")


if __name__ == "__main__":
    main()
