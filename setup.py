# A shim: the project's metadata, dependencies and entry points are in pyproject.toml ([project]). It only
# adds what a wheel needs beyond the package's own files (a source checkout reads them in place):
# templates/ and migrations/ copied inside as portal/templates and portal/migrations (portal/core/paths.py
# finds them there), and the catalogs compiled to .mo (the .po sources stay out: a read-only install has
# nothing to compile at start-up).
import shutil
from importlib.resources import files
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BESIDE = ("templates", "migrations")


class BuildWithData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # make's editable install reads the tree itself
            return
        target = Path(self.build_lib) / "portal"
        for name in BESIDE:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(HERE / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        _compile_catalogs(HERE / "portal" / "locale", target / "locale")


def _compile_catalogs(source: Path, target: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in source.glob("*/LC_MESSAGES/*.po"):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po, mo_path.open("wb") as mo:
            write_mo(mo, read_po(po))
    # Colander's Simplified Chinese messages under our zh_CN (portal/core/i18n.py says why).
    colander_zh = files("colander").joinpath("locale/zh_Hans/LC_MESSAGES/colander.mo")
    (target / "zh_CN" / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    with colander_zh.open("rb") as src, (target / "zh_CN" / "LC_MESSAGES" / "colander.mo").open("wb") as out:
        shutil.copyfileobj(src, out)


setup(cmdclass={"build_py": BuildWithData})
