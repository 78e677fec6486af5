"""The container kit's images built and run for real (bench/docker_smoke.py: migrate, create-unit, the web
server's health and readiness, the workers' heartbeats, the user, no secret inside, the proxy), only where
a Docker daemon answers: CI has none, so this skips with one line there. A cold build takes minutes.

Bases: the Dockerfile's defaults (Docker Hub), or PORTAL_DOCKER_PYTHON_IMAGE and PORTAL_DOCKER_NGINX_IMAGE
(e.g. local/python:3.11-slim and local/nginx, made by deploy/docker/base/ from a Debian mirror)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def _daemon_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "version"], capture_output=True, timeout=20).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@pytest.mark.postgresql
def test_the_images_build_and_run():
    if not _daemon_answers():
        pytest.skip("no Docker daemon answers (docker version): the images are not built here")
    command = [sys.executable, str(ROOT / "bench" / "docker_smoke.py")]
    for option, variable in (("--python-image", "PORTAL_DOCKER_PYTHON_IMAGE"),
                             ("--nginx-image", "PORTAL_DOCKER_NGINX_IMAGE")):
        if os.environ.get(variable):
            command += [option, os.environ[variable]]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600, cwd=ROOT)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    checks = [line for line in done.stdout.splitlines() if line.startswith("ok ")]
    assert len(checks) >= 18 and not [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
