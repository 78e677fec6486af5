"""Write the public notice pages as an app server renders them, to compare two trees' HTML byte for byte.

    python bench/page_snapshots.py DB_FILE OUT_DIR      # DB_FILE: an SQLite file, seeded (demo) if absent

Renders, in zh_CN, en and ug: every published notice's page and poster (and a closed appeal's), the list (plain,
filtered, a second page), the API detail of each notice, and the home page. Run it from the tree before
a change and from the tree after, on the same DB_FILE, then `diff -r` the two OUT_DIRs: any output
change of a render optimisation shows up."""
import os
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


def paths(engine) -> list[str]:
    from portal.notices.models import Notice

    with engine.connect() as connection:
        rows = connection.execute(select(Notice.id, Notice.state, Notice.kind).order_by(Notice.id)).all()
    shown = [row.id for row in rows if row.state in ("published", "resolved")]
    kinds = sorted({row.kind for row in rows})
    return (["/", "/notices", "/notices?sort=last_seen", "/notices?kind=missing_person", "/notices?page=x"]
            + [f"/notices?kind={kind}" for kind in kinds]
            + [f"/notices/{i}" for i in shown] + [f"/notices/{i}/poster" for i in shown]
            + [f"/api/v1/notices/{i}" for i in shown])


def main(argv=None) -> int:
    db_file, out_dir = (argv or sys.argv[1:])[:2]
    url = f"sqlite:///{os.path.abspath(db_file)}"
    settings = settings_for(url, tempfile.mkdtemp(prefix="portal-snapshots-"))
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
            response = testapp.get(path, expect_errors=True)
            name = f"{lang}{path.replace('/', '_').replace('?', '~')}.txt"
            with open(os.path.join(out_dir, name), "wb") as out:
                out.write(f"{response.status}\n".encode() + response.body)
    print(f"{len(targets) * len(LANGUAGES)} answers written to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
