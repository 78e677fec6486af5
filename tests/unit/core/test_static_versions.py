"""Every static URL carries its file's content hash; a changed file changes its URL; templates never
write a static URL by hand (it would carry no version and be cached for an hour only)."""
import re
from pathlib import Path

from pyramid import testing

from portal.core.static import ContentHashCacheBuster

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
# A static URL written out in a template: "/static/..." in an attribute, outside comments.
HARD_CODED = re.compile(r"""(?:href|src|content|action|data-[\w-]+)\s*=\s*["']/static/""")


def url_of(root: Path, name: str) -> str:
    with testing.testConfig() as config:
        config.add_static_view("static", str(root))
        config.add_cache_buster(str(root), ContentHashCacheBuster(root))
        request = testing.DummyRequest()
        request.registry = config.registry
        return request.static_path(f"{root}/{name}")


def test_a_changed_file_changes_its_url_and_only_its_own(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "a.css").write_text("a { color: red }")
    (tmp_path / "b.js").write_text("var b = 1;")
    before = url_of(tmp_path, "css/a.css"), url_of(tmp_path, "b.js")
    assert re.fullmatch(r"/static/css/a\.css\?v=[0-9a-f]{12}", before[0])
    (tmp_path / "css" / "a.css").write_text("a { color: blue }")
    after = url_of(tmp_path, "css/a.css"), url_of(tmp_path, "b.js")
    assert after[0] != before[0] and after[1] == before[1]


def test_every_template_builds_static_urls_through_static_path():
    offenders = []
    for template in sorted(TEMPLATES.rglob("*")):
        if template.suffix not in (".html", ".pt", ".xml", ".txt") or not template.is_file():
            continue
        text = re.sub(r"{#.*?#}|<!--.*?-->", "", template.read_text(), flags=re.S)
        offenders += [f"{template.relative_to(TEMPLATES)}: {m.group(0)}" for m in HARD_CODED.finditer(text)]
    assert not offenders
