"""docs/production.md names only what exists: every command is one of the project's console scripts, every
setting one the portal reads (a default in core/settings.py or a line of production.ini), every variable
one of core/settings.py's ENVIRONMENT, every repository file is there, every systemd unit is shipped."""
import pathlib
import re
import tomllib

from portal.core.settings import DEFAULTS, ENVIRONMENT, REQUIRED

ROOT = pathlib.Path(__file__).parents[2]
GUIDE = (ROOT / "docs" / "production.md").read_text()


def test_the_readme_links_the_guide():
    assert "docs/production.md" in (ROOT / "README.md").read_text()


def test_commands_are_the_projects_console_scripts():
    scripts = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"])
    named = set(re.findall(r"(?<![\w/-])(portal-[a-z0-9-]+[a-z0-9])", GUIDE)) - {"portal-s3", "portal-evidence-keys"}
    assert named and named <= scripts, named - scripts


def test_settings_are_read_by_the_portal():
    production = (ROOT / "production.ini").read_text()
    known = set(DEFAULTS) | set(REQUIRED) | set(ENVIRONMENT.values())
    known |= set(re.findall(r"^#?\s*(portal\.[a-z0-9_.]+)\s*=", production, re.MULTILINE))
    named = {name.rstrip(".") for name in re.findall(r"`(portal\.[a-z0-9_.]+)", GUIDE)}
    named -= {"portal.ini"}  # the file, not a setting
    assert named and named <= known, named - known


def test_environment_variables_are_read_by_the_portal():
    named = {name for name in re.findall(r"\b(PORTAL_[A-Z0-9_]+)", GUIDE) if not name.endswith("_")}  # not PORTAL_S3_*
    assert named <= set(ENVIRONMENT), named - set(ENVIRONMENT)
    required = {variable for variable, key in ENVIRONMENT.items() if key in REQUIRED}
    assert required <= named, required - named


def test_files_and_units_exist():
    for path in set(re.findall(r"(?<![\w/.-])((?:deploy|portal|requirements)/[A-Za-z0-9_./-]+[A-Za-z0-9_])", GUIDE)):
        if "*" not in path:
            assert (ROOT / path).exists(), path
    units = {p.name.split("@")[0].removesuffix(".service") for p in (ROOT / "deploy" / "systemd").iterdir()}
    for unit in set(re.findall(r"\b(safety-portal-[a-z]+)@?", GUIDE)) - {"safety-portal-media", "safety-portal-audit"}:
        assert unit in units, unit
