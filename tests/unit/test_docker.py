"""The container kit (deploy/docker/), checked without Docker (no image can be pulled here): the Dockerfile
installs the locked dependencies with their hashes and then only the portal's wheel, runs as a user that is
not root and bakes no secret in; compose.yaml has every component, runs the portal's services as that
user with health checks, keeps every secret out of itself (env files that are never committed, whose
examples name exactly the variables the portal reads); the containers' settings inherit production.ini;
their nginx and Varnish files are deploy/'s own with only the addresses changed (and Varnish compiles)."""
import configparser
import importlib.util
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest
import yaml

from portal.core.settings import ENVIRONMENT, REQUIRED

ROOT = pathlib.Path(__file__).parents[2]
DOCKER = ROOT / "deploy" / "docker"
APP_SERVICES = ("app1", "app2", "worker", "copies", "migrate", "warm-proxy")
SECRET_WORDS = re.compile(r"SECRET|PASSWORD|PEPPER|KEY|TOKEN|AUTH", re.IGNORECASE)


def _stages(dockerfile: pathlib.Path = DOCKER / "Dockerfile") -> dict[str, list[str]]:
    """The Dockerfile's instructions by stage name (continuation lines joined); "" holds what comes before
    the first FROM (the bases' build arguments)."""
    text = dockerfile.read_text().replace("\\\n", " ")
    stages, current = {"": []}, ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            current = line.split()[-1]
            stages[current] = []
        stages[current].append(line)
    return stages


def _compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def test_the_bases_are_build_arguments_whose_defaults_are_the_official_images():
    """A site without Docker Hub passes its own bases (deploy/docker/base/); by default nothing changes."""
    stages = _stages()
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in stages[""] and "ARG NGINX_IMAGE=nginx:1.27" in stages[""]
    assert stages["build"][0] == stages["app"][0].replace(" app", " build") == "FROM ${PYTHON_IMAGE} AS build"
    assert stages["proxy"][0] == "FROM ${NGINX_IMAGE} AS proxy"
    # A `# syntax=` line makes BuildKit pull its frontend from Docker Hub, which such a site cannot.
    assert not (DOCKER / "Dockerfile").read_text().startswith("# syntax=")


def test_the_base_dockerfiles_make_the_official_images_equivalents_from_debian():
    python = _stages(DOCKER / "base" / "Dockerfile")
    assert "ARG DEBIAN_IMAGE=debian:bookworm-slim" in python[""]
    install = " ".join(line for line in python["${DEBIAN_IMAGE}"] if line.startswith("RUN "))
    # The portal's Dockerfile runs `python -m venv`: Debian's python3 under the name `python`, with venv.
    for package in ("python3", "python3-venv", "python-is-python3", "ca-certificates"):
        assert f" {package} " in install + " ", package
    assert "sys.version_info[:2] == (3, 11)" in install and "update-ca-certificates" in install
    nginx = _stages(DOCKER / "base" / "nginx.Dockerfile")["${DEBIAN_IMAGE}"]
    assert 'CMD ["nginx", "-g", "daemon off;"]' in nginx and "STOPSIGNAL SIGQUIT" in nginx
    assert "/etc/nginx/sites-enabled/default" in " ".join(nginx)  # conf.d/ holds the only site
    # A site's own certificate authority stays out of git.
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/docker/base/ca-certificates/site.crt"], cwd=ROOT)
    assert ignored.returncode == 0
    make = (DOCKER / "base" / "make-debian.sh").read_text()
    assert "debootstrap --variant=minbase bookworm" in make and "bookworm-security" in make
    assert "docker import" in make


def test_the_lock_installs_on_debian_bookworms_python():
    """Debian bookworm's python3 is 3.11.2: every dependency a locked package declares for that Python
    is locked too (redis asks for async-timeout below 3.11.3), or the image's `pip check` fails there."""
    from importlib.metadata import distribution

    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    locked = {canonicalize_name(name) for name in re.findall(r"^([A-Za-z0-9._-]+)==", (
        ROOT / "requirements" / "main.lock").read_text(), re.MULTILINE)}
    environment = default_environment() | {"python_full_version": "3.11.2", "python_version": "3.11"}
    missing = set()
    for name in locked:
        for line in distribution(name).requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment | {"extra": ""}):
                if canonicalize_name(requirement.name) not in locked:
                    missing.add(f"{name} -> {requirement}")
    assert not missing, missing
    assert "async-timeout" in locked


def test_dockerfile_installs_the_lock_with_hashes_then_the_wheel_alone():
    stages = _stages()
    runs = " ".join(line for line in stages["build"] if line.startswith("RUN "))
    assert re.search(r"pip install --require-hashes .*-r requirements/main\.lock", runs)
    assert re.search(r"pip wheel --no-deps --no-build-isolation", runs)
    assert re.search(r"pip install --no-deps --no-index /wheels/", runs)
    assert "pip check" in runs
    # Nothing else is installed by pip anywhere (a package outside the lock would skip its hashes).
    for stage in stages.values():
        for line in stage:
            for install in re.findall(r"pip install[^&]*", line):
                assert "--require-hashes" in install or "--no-deps --no-index" in install, install


def test_only_the_copies_image_carries_ffmpeg():
    """The web and worker containers face the internet and never decode a file: no ffmpeg in theirs."""
    stages = _stages()
    installs = {name: " ".join(line for line in lines if line.startswith("RUN ")) for name, lines in stages.items()}
    assert "ffmpeg" not in installs["app"] and "ffmpeg" in installs["copies"]
    assert stages["copies"][0] == "FROM app AS copies" and 'CMD ["copies"]' in stages["copies"]
    services = _compose()["services"]
    assert services["copies"]["build"]["target"] == "copies" and services["copies"]["command"] == ["copies"]
    assert services["copies"]["image"] != services["worker"]["image"]
    # Each image by its target: without one docker builds the last stage (the proxy).
    header = (DOCKER / "Dockerfile").read_text().split("\nARG ")[0]
    for target in ("app", "copies", "proxy"):
        assert f"--target {target} " in header, target


@pytest.mark.parametrize("stage", ["app", "copies"])
def test_the_app_image_runs_as_a_user_that_is_not_root_and_carries_no_secret(stage):
    app = _stages()["app"] + _stages()[stage][1:] if stage != "app" else _stages()["app"]
    users = [line.split()[1] for line in app if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    user_at = max(i for i, line in enumerate(app) if line.startswith("USER "))
    assert all(not line.startswith(("RUN ", "USER root")) for line in app[user_at + 1:])
    envs = " ".join(line for line in app if line.startswith(("ENV ", "ARG ")))
    for variable in ENVIRONMENT:
        if SECRET_WORDS.search(variable) or variable == "PORTAL_DATABASE_URL":
            assert variable not in envs, f"{variable} baked into the image"
    healthchecks = [line for line in app if line.startswith("HEALTHCHECK ")]
    assert healthchecks and "/readyz/web" in healthchecks[-1]
    assert "PORTAL_HTTP_PORT" in healthchecks[-1]  # the port `web` listens on (entrypoint.sh)
    entry = (DOCKER / "entrypoint.sh").read_text()
    for command in ("pserve", "portal-worker", "portal-initialize-db", "portal-warm-proxy"):
        assert command in entry
    copied = " ".join(line for stage in _stages().values() for line in stage if line.startswith("COPY "))
    assert not re.search(r"\.env\b|s3\.json\b|turnserver\.conf\b|tls/", copied.replace(".env.example", ""))


def test_compose_has_every_component_with_health_checks():
    services = _compose()["services"]
    images = {name: str(service.get("image", "")) for name, service in services.items()}
    for name in ("nginx", "varnish", "app1", "app2", "worker", "postgres", "redis", "seaweedfs", "coturn"):
        assert name in services, name
    assert images["varnish"].startswith("varnish:") and images["postgres"].startswith("postgres:")
    assert images["redis"].startswith("redis:") and "seaweedfs" in images["seaweedfs"]
    assert "coturn" in images["coturn"]
    assert "-s3" in services["seaweedfs"]["command"]
    for name, service in services.items():
        if service.get("profiles"):  # one-off commands (migrate)
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    assert "/readyz/web" in " ".join(services["app1"]["healthcheck"]["test"])
    assert "/readyz" in " ".join(services["worker"]["healthcheck"]["test"])
    assert services["migrate"]["command"] == ["migrate"]
    # The empty Varnish of a fresh `up` is filled by hand (a one-off), after Varnish and the apps answer.
    assert services["warm-proxy"]["command"][0] == "warm-proxy" and services["warm-proxy"]["profiles"] == ["tools"]
    assert {"varnish", "app1", "app2", "postgres"} <= set(services["warm-proxy"]["depends_on"])
    # audit-verify runs in the tools' container: it reads the checkpoints the worker writes.
    assert "audit:/var/lib/safety-portal-audit" in services["worker"]["volumes"]
    assert "audit:/var/lib/safety-portal-audit:ro" in services["migrate"]["volumes"]


def test_portal_services_use_the_image_as_its_own_user():
    services = _compose()["services"]
    for name in APP_SERVICES:
        service = services[name]
        target = "copies" if name == "copies" else "app"
        assert service["build"]["dockerfile"] == "deploy/docker/Dockerfile" and service["build"]["target"] == target
        assert str(service.get("user", "portal")).split(":")[0] not in ("root", "0"), name
        assert service.get("read_only") is True and "ALL" in service.get("cap_drop", []), name
    assert services["nginx"]["build"]["target"] == "proxy"


def test_no_secret_is_written_in_compose():
    services = _compose()["services"]
    for name, service in services.items():
        environment = service.get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) if "=" in item else (item, None) for item in environment)
        for variable, value in environment.items():
            assert not SECRET_WORDS.search(variable) or value in (None, ""), f"{name}: {variable} written inline"
            assert not re.search(r"://[^/\s:@]+:[^@\s]+@", str(value or "")), f"{name}: a password in {variable}"
        for argument in service.get("command", []) or []:
            assert not re.search(r"secret|password", str(argument), re.IGNORECASE), f"{name}: {argument}"
    text = (DOCKER / "compose.yaml").read_text()
    assert "token_urlsafe" not in text and not re.search(r"[A-Za-z0-9_-]{40,}", text)


def test_env_files_are_never_committed_and_their_examples_name_what_the_portal_reads():
    services = _compose()["services"]
    env_files = {f for s in services.values() for f in s.get("env_file", [])}
    mounted = {v.split(":")[0].removeprefix("./") for s in services.values() for v in s.get("volumes", [])
               if v.startswith("./")}
    assert {"portal.env", "postgres.env"} <= env_files and {"s3.json", "turnserver.conf"} <= mounted
    dockerignore = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in dockerignore and ".git" in dockerignore
    tracked = subprocess.run(["git", "ls-files", "deploy/docker"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    for secret_file in env_files | (mounted - {"varnish.vcl"}):
        assert f"deploy/docker/{secret_file}" not in tracked, f"{secret_file} is committed"
        if secret_file != "tls":
            assert (DOCKER / f"{secret_file}.example").is_file(), f"{secret_file}.example is missing"
        ignored = subprocess.run(["git", "check-ignore", "-q", f"deploy/docker/{secret_file}"], cwd=ROOT)
        assert ignored.returncode == 0, f"{secret_file} is not in .gitignore"
        assert f"deploy/docker/{secret_file}" in dockerignore, f"{secret_file} would reach the build context"

    example = (DOCKER / "portal.env.example").read_text()
    named = set(re.findall(r"^#?\s*(PORTAL_[A-Z0-9_]+)=", example, re.MULTILINE))
    assert named <= set(ENVIRONMENT), f"variables the portal never reads: {named - set(ENVIRONMENT)}"
    required = {variable for variable, key in ENVIRONMENT.items() if key in REQUIRED}
    image_sets = {"PORTAL_MEDIA_DIR", "PORTAL_AUDIT_CHECKPOINT_FILE"}
    assert required - image_sets <= named
    assert {"PORTAL_S3_ACCESS_KEY", "PORTAL_S3_SECRET_KEY", "PORTAL_TURN_SECRET", "PORTAL_EVIDENCE_KEY",
            "PORTAL_PUBLIC_URL", "PORTAL_DATABASE_URL"} <= named
    for line in example.splitlines():  # placeholders only
        if line and not line.startswith("#") and SECRET_WORDS.search(line.split("=")[0]):
            assert "<" in line.split("=", 1)[1], line
    dockerfile = (DOCKER / "Dockerfile").read_text()
    for variable in image_sets:
        assert variable in dockerfile and variable in ENVIRONMENT


def test_container_settings_inherit_production_ini(tmp_path):
    from pyramid.paster import get_appsettings

    shutil.copy(ROOT / "production.ini", tmp_path)
    shutil.copy(DOCKER / "portal.ini", tmp_path)
    settings = get_appsettings(str(tmp_path / "portal.ini"))
    assert settings["portal.production"] == "true" and settings["portal.session_secure"] == "true"
    assert settings["portal.media.backend"] == "s3" and settings["portal.ratelimit.backend"] == "redis"
    assert settings["portal.proxy.purger"] == "varnish"
    assert not [key for key in settings if SECRET_WORDS.search(key.rsplit(".", 1)[-1]) and settings[key]]
    ours, theirs = configparser.RawConfigParser(), configparser.RawConfigParser()
    ours.read(DOCKER / "portal.ini")
    theirs.read(ROOT / "production.ini")
    for section in theirs.sections():
        if section.startswith(("logger", "handler", "formatter")):
            assert dict(ours[section]) == dict(theirs[section]), section
    assert ours["alembic"]["script_location"] == "portal:migrations"
    compose = _compose()
    varnish_address = compose["services"]["varnish"]["networks"]["portal"]["ipv4_address"]
    assert ours["server:main"]["trusted_proxy"] == varnish_address


def _derive():
    spec = importlib.util.spec_from_file_location("derive", DOCKER / "derive.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["nginx.conf", "varnish.vcl"])
def test_proxy_files_are_deploys_own_with_the_addresses_changed(name):
    derive = _derive()
    assert (DOCKER / name).read_text() == derive.derive(name), f"run python deploy/docker/derive.py ({name})"


def test_container_varnish_compiles_and_points_at_the_app_containers():
    text = (DOCKER / "varnish.vcl").read_text()
    services = _compose()["services"]
    for app in ("app1", "app2"):
        assert f'"{services[app]["networks"]["portal"]["ipv4_address"]}"' in text
    assert f'"{services["nginx"]["networks"]["portal"]["ipv4_address"]}"' in text
    from tests.varnish import skip_or_fail_without_varnish, varnishd

    skip_or_fail_without_varnish()
    # varnishd's compiler runs as its own user: a copy it can read (CI's checkout is private to root).
    directory = pathlib.Path(tempfile.mkdtemp(prefix="portal-docker-vcl-"))
    try:
        directory.chmod(0o755)
        vcl = directory / "varnish.vcl"
        vcl.write_text(text)
        vcl.chmod(0o644)
        done = subprocess.run([varnishd(), "-C", "-f", str(vcl), "-n", str(directory / "work")],
                              capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "vmod_xkey" in done.stdout + done.stderr
