"""Write the public notice pages as an app server renders them, to compare two trees' HTML byte for byte.

    python bench/page_snapshots.py DB_FILE OUT_DIR      # DB_FILE: an SQLite file, seeded (demo) if absent
    python bench/page_snapshots.py DB_FILE OUT_DIR 3    # lists of 3 notices a page, every next page followed

Renders, in zh_CN, en and ug: every published notice's page and poster (and a closed appeal's), the list (plain,
filtered by each kind, sex, words, age, date and region, last seen first, a bad cursor; with a page size, every
"Older notices" page after those), the API detail of each notice, and the home page; then the other pages of the public
layout (forms, sign-in, an unknown page), a page asked for with ?lang=, and some under a mount point
(SCRIPT_NAME=/portal). Run it from the tree before a change and from the tree after, on the same DB_FILE,
then `diff -r` the two OUT_DIRs: any output change of a render optimisation shows up. What differs on
every request (a form's CSRF token, nonces, proof-of-work challenge) is written as `MASKED`."""
import html
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import webtest  # noqa: E402
from render_cpu import seed_demo, settings_for  # noqa: E402
from sqlalchemy import select  # noqa: E402

import portal  # noqa: E402
from portal.core.db import get_engine  # noqa: E402

LANGUAGES = ("zh_CN", "en", "ug")
# The public layout's other pages: forms (with per-request tokens), sign-in, an unknown page (404).
OTHER_PAGES = ["/tips/new", "/status", "/missing/new", "/trips/new", "/login", "/no-such-page"]
MOUNT = "/portal"
PER_REQUEST = re.compile(rb'(name="(?:csrf_token|pow_challenge|[a-z_]*nonce)"[^>]*?value="|data-pow=")[^"]*')


def paths(engine) -> list[str]:
    from portal.notices.models import Notice
    from portal.units.models import Unit

    with engine.connect() as connection:
        rows = connection.execute(select(Notice.id, Notice.state, Notice.kind).order_by(Notice.id)).all()
        regions = connection.execute(select(Unit.code).order_by(Unit.code).limit(4)).scalars().all()
    shown = [row.id for row in rows if row.state in ("published", "resolved")]
    kinds = sorted({row.kind for row in rows})
    return (["/", "/notices", "/notices?sort=last_seen", "/notices?kind=missing_person", "/notices?page=x"]
            + [f"/notices?kind={kind}" for kind in kinds]
            + ["/notices?sex=female", "/notices?q=%E5%8C%97", "/notices?age_min=10", "/notices?since=2020-01-01",
               "/notices?sort=last_seen&sex=female"] + [f"/notices?region={code}" for code in regions]
            + [f"/notices/{i}" for i in shown] + [f"/notices/{i}/poster" for i in shown]
            + [f"/api/v1/notices/{i}" for i in shown])


def pages(testapp, path: str):
    """The path, then each "Older notices" page after it (a list's rel="next" link)."""
    while path:
        yield path
        found = re.search(r'rel="next" href="([^"]+)"', testapp.get(path, expect_errors=True).text)
        path = html.unescape(found.group(1)) if found else None


def main(argv=None) -> int:
    db_file, out_dir, *page_size = (argv or sys.argv[1:])[:3]
    url = f"sqlite:///{os.path.abspath(db_file)}"
    settings = settings_for(url, tempfile.mkdtemp(prefix="portal-snapshots-"))
    if page_size:
        settings["portal.page_size"] = page_size[0]
    if not os.path.exists(db_file):
        from fill import migrate
        engine = get_engine({"sqlalchemy.url": url})
        migrate(engine)
        engine.dispose()
        seed_demo(settings)
    app = portal.main({}, **settings)
    engine = get_engine({"sqlalchemy.url": url})
    targets = paths(engine)
    engine.dispose()
    os.makedirs(out_dir, exist_ok=True)
    for lang in LANGUAGES:
        testapp = webtest.TestApp(app, extra_environ={"HTTP_HOST": "portal.test", "REMOTE_ADDR": "192.0.2.10",
                                                      "HTTP_ACCEPT_LANGUAGE": lang})
        for path in targets:
            for page, at in enumerate(pages(testapp, path) if page_size else [path]):
                write(out_dir, f"{lang}{path}{f'_page{page}' if page else ''}", testapp.get(at, expect_errors=True))
        for path in OTHER_PAGES:
            write(out_dir, f"{lang}{path}", testapp.get(path, expect_errors=True))
        for path in ["/", "/notices", targets[-1].replace("/api/v1", ""), "/no-such-page"]:
            write(out_dir, f"{lang}~mounted{path}", testapp.get(path, expect_errors=True,
                                                             extra_environ={"SCRIPT_NAME": MOUNT}))
        for other in LANGUAGES:  # the choice by ?lang= (which sets the cookie, so forgotten after)
            write(out_dir, f"{lang}~chosen{other}/notices", testapp.get(f"/notices?lang={other}"))
            testapp.reset()
    written = len(os.listdir(out_dir))
    print(f"{written} answers written to {out_dir}")
    return 0


def write(out_dir: str, name: str, response) -> None:
    name = f"{name.replace('/', '_').replace('?', '~')}.txt"
    with open(os.path.join(out_dir, name), "wb") as out:
        out.write(f"{response.status}\n".encode() + PER_REQUEST.sub(rb"\1MASKED", response.body))


if __name__ == "__main__":
    sys.exit(main())
