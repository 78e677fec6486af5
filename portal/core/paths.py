"""Where the files that are not Python code are, however the portal is installed.

In a source checkout (``make``: an editable install) templates/ and migrations/ sit beside the package; a
wheel (``pip install .``, the Docker image) carries them inside it, as portal/templates and
portal/migrations (setup.py's build_py copies them there). The copy inside wins when both exist."""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _inside_or_beside(name: str) -> Path:
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


TEMPLATES_DIR = _inside_or_beside("templates")
MIGRATIONS_DIR = _inside_or_beside("migrations")
LOCALE_DIR = PACKAGE_DIR / "locale"
STATIC_DIR = PACKAGE_DIR / "static"
