"""A wheel of the project is complete: built as `pip install .` and the Docker image build it, installed
into a fresh virtual environment (the locked dependencies borrowed from this one) and run from a directory
that is not the checkout, it migrates a database from its own migrations (portal-initialize-db, and the
alembic command with script_location = portal:migrations), renders its templates, serves a static file and
speaks Uyghur from its compiled catalogs."""
import pathlib
import shutil
import site
import subprocess
import sys
import textwrap
import venv
import zipfile

import pytest

ROOT = pathlib.Path(__file__).parents[2]

CHECK_APP = textwrap.dedent("""
    import pathlib, sys
    import portal
    from portal.core import paths
    from pyramid.paster import get_app
    from webtest import TestApp

    venv = pathlib.Path(sys.argv[2]).resolve()
    assert pathlib.Path(portal.__file__).resolve().is_relative_to(venv), portal.__file__
    assert paths.TEMPLATES_DIR.is_relative_to(venv) and paths.MIGRATIONS_DIR.is_relative_to(venv)
    app = TestApp(get_app(sys.argv[1]))
    home = app.get("/?lang=ug", headers={"Accept": "text/html"})
    assert home.status_int == 200 and 'dir="rtl"' in home.text, home.text[:500]
    arabic = sum(1 for ch in home.text if "\\u0600" <= ch <= "\\u06ff")
    assert arabic > 20, f"only {arabic} Arabic-script characters: the ug catalog is not loaded"
    css = app.get("/static/css/portal.css")
    assert css.status_int == 200 and len(css.body) > 1000
    print("app ok")
""")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    """Built from a copy of the committed files (and the working tree's edits of them): no build/ left
    from an earlier build can supply what the wheel itself would lack."""
    out, source = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("source")
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out)], cwd=source, check=True, timeout=300)
    (built,) = out.glob("safety_portal-*.whl")
    return built


def test_wheel_carries_templates_migrations_static_and_compiled_catalogs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("portal/templates/layout.html", "portal/templates/deform/pow.pt",
                     "portal/migrations/env.py", "portal/migrations/script.py.mako",
                     "portal/static/css/portal.css", "portal/static/vendor/leaflet-1.9.4/leaflet.js",
                     "portal/locale/zh_CN/LC_MESSAGES/portal.mo", "portal/locale/ug/LC_MESSAGES/portal.mo",
                     "portal/locale/en/LC_MESSAGES/portal.mo", "portal/locale/zh_CN/LC_MESSAGES/colander.mo"):
        assert required in names, required
    in_tree = {p.name for p in (ROOT / "migrations" / "versions").glob("*.py")}
    in_wheel = {pathlib.PurePath(n).name for n in names if n.startswith("portal/migrations/versions/")
                and n.endswith(".py")}
    assert in_tree and in_tree == in_wheel
    # The sources of the catalogs stay out: a read-only install has nothing to recompile at start-up.
    assert not [n for n in names if n.endswith((".po", ".pot"))]
    assert not [n for n in names if "__pycache__" in n]


def test_installed_wheel_migrates_and_serves_from_anywhere(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "-q", str(wheel)], check=True, timeout=300)
    # The locked dependencies from this environment, appended after the new one's own site-packages (a .pth
    # line adds the directory only: this environment's editable install of the checkout is not loaded).
    new_site = next((env_dir / "lib").glob("python3.*/site-packages"))
    (new_site / "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")

    work = tmp_path / "run"
    (work / "var" / "media").mkdir(parents=True)
    ini = (ROOT / "development.ini").read_text().replace("script_location = migrations",
                                                          "script_location = portal:migrations")
    assert "script_location = portal:migrations" in ini
    (work / "app.ini").write_text(ini)
    clean_env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}

    def run(*args, **env):
        done = subprocess.run([str(a) for a in args], cwd=work, env={**clean_env, **env}, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    run(python, "-m", "alembic", "-c", "app.ini", "upgrade", "head")
    assert "(head)" in run(python, "-m", "alembic", "-c", "app.ini", "current")
    # portal-initialize-db finds the installed migrations itself, whatever the .ini says.
    (work / "plain.ini").write_text((ROOT / "development.ini").read_text())
    other = f"sqlite:///{work / 'other.sqlite'}"
    run(env_dir / "bin" / "portal-initialize-db", "plain.ini", PORTAL_DATABASE_URL=other)
    assert (work / "other.sqlite").stat().st_size > 0
    assert "app ok" in run(python, "-c", CHECK_APP, "app.ini", env_dir)
    assert not (work / "migrations").exists() and not (work / "templates").exists()


def test_checkout_still_reads_its_own_tree():
    """make's editable install: templates and migrations are the checkout's, edited in place."""
    from portal.core import paths

    if not (ROOT / "portal" / "__init__.py").samefile(paths.PACKAGE_DIR / "__init__.py"):
        pytest.skip("portal is not imported from this checkout")
    assert paths.TEMPLATES_DIR == ROOT / "templates" and paths.MIGRATIONS_DIR == ROOT / "migrations"
    assert shutil.which("pserve", path=str(pathlib.Path(sys.executable).parent))
