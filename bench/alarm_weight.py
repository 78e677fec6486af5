"""Weight of the alarm page: its HTML, stylesheet and script together, before compression.

    python bench/alarm_weight.py [--budget 30720]

Renders /alarm and /embed/alarm in every language from a fresh SQLite database (WebTest, no server),
adds the stylesheets and scripts the page links (nothing else is needed to show it: no images, no
fonts, the icon is a data: URL), prints the bytes, and exits 1 when one is over the budget (30 KB, from
the issue). It also checks that the call and SMS links are in the HTML itself, so they show even
when no other request gets through."""
import argparse
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import webtest  # noqa: E402
from fill import migrate  # noqa: E402

import portal  # noqa: E402
from portal.core.db import get_engine  # noqa: E402

PAGES = ("/alarm", "/embed/alarm")
LANGUAGES = ("zh_CN", "en", "ug")
LINKED = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')


def app(workdir):
    url = f"sqlite:///{workdir}/weight.sqlite"
    migrate(get_engine({"sqlalchemy.url": url}))
    settings = {
        "sqlalchemy.url": url,
        "portal.session_secret": "bench-session-secret-0123456789abcdef0123",
        "portal.field_keys": "b1:YmVuY2gtd2VpZ2h0LWtleS0zMi1ieXRlcy0wMDAwMDA",
        "portal.field_key_id": "b1",
        "portal.receipt_pepper": "bench-receipt-pepper-0123456789",
        "portal.audit_key": "b1:bench-audit-key-0123456789abcdef0123456789",
        "portal.media_dir": os.path.join(workdir, "media"),
    }
    return webtest.TestApp(portal.main({}, **settings), extra_environ={"HTTP_HOST": "localhost"})


def weigh(testapp, path, lang) -> dict:
    page = testapp.get(f"{path}?lang={lang}")
    html = page.body
    for link in ('href="tel:', 'href="sms:'):
        if link.encode() not in html:
            raise SystemExit(f"{path} ({lang}): no {link} link in the HTML itself")
    parts = {"html": len(html)}
    for asset in LINKED.findall(page.text):
        parts[asset.rsplit("/", 1)[-1]] = len(testapp.get(asset).body)
    return parts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=30 * 1024, help="bytes (default 30 KB)")
    args = parser.parse_args(argv)
    over = False
    with tempfile.TemporaryDirectory() as workdir:
        testapp = app(workdir)
        for path in PAGES:
            for lang in LANGUAGES:
                parts = weigh(testapp, path, lang)
                total = sum(parts.values())
                over |= total > args.budget
                detail = ", ".join(f"{name} {size:,}" for name, size in parts.items())
                print(f"{path:13} {lang:6} {total:7,} bytes ({total / 1024:.1f} KB): {detail}"
                      f"{'  OVER BUDGET' if total > args.budget else ''}")
    print(f"budget {args.budget:,} bytes")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
