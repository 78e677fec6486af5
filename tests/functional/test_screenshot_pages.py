"""docs/screenshots/make_screenshots.py cannot rot silently: every page it photographs still answers (the
notice found the way the script finds it, the console for the demo dispatcher's role), and the README
shows each committed picture, each small."""
import importlib.util
import struct
from pathlib import Path

import pytest

from portal.demo.data import OFFICERS
from tests.factories import make_notice, make_officer
from tests.functional.helpers import login

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "screenshots" / "make_screenshots.py"


@pytest.fixture(scope="module")
def screenshots():
    spec = importlib.util.spec_from_file_location("make_screenshots", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_page_the_script_photographs_answers(screenshots, testapp, dbsession, units):
    missing = make_notice(dbsession, units["city_a"], kind="missing_person", minutes_ago=5)
    make_notice(dbsession, units["city_a"], kind="wanted")  # newer, of another kind
    dbsession.flush()
    notice = screenshots.first_notice_path(testapp.get(screenshots.NOTICE_LIST).text)
    assert notice == f"/notices/{missing.id}"
    [roles] = [roles for username, _name, _unit, roles in OFFICERS if username == screenshots.DISPATCHER]
    assert "dispatcher" in roles
    anonymous = [path for _file, path, viewport in screenshots.SHOTS if viewport is not screenshots.DESK]
    assert sorted(anonymous) == sorted(["/", screenshots.NOTICE, "/alarm"])
    for path in anonymous:
        testapp.get(notice if path == screenshots.NOTICE else path, status=200)
    make_officer(dbsession, units["province"], roles, username="screenshot.dispatcher")
    login(testapp, "screenshot.dispatcher")
    for _file, path, viewport in screenshots.SHOTS:
        if viewport is screenshots.DESK:
            page = testapp.get(path, status=200)
            assert page.html.select_one("[data-alarm-console]") is not None, path


def test_the_readme_shows_every_picture_at_its_size(screenshots):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, _path, viewport in screenshots.SHOTS:
        png = SCRIPT.parent / name
        assert f"docs/screenshots/{name}" in readme, name
        data = png.read_bytes()
        assert len(data) <= screenshots.MAX_BYTES, name
        width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
        assert (width, height) == (viewport["width"], viewport["height"]), name
