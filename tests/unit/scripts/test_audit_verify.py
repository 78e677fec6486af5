"""portal-audit-verify against a real (committed) SQLite database."""
import pytest
from sqlalchemy import text

from portal.audit import chain as audit
from portal.core.db import get_engine
from portal.scripts import audit_verify
from portal.scripts.common import db_session
from tests.conftest import migrate


@pytest.fixture
def ini(tmp_path):
    url = f"sqlite:///{tmp_path}/audit.sqlite"
    migrate(get_engine({"sqlalchemy.url": url}))
    path = tmp_path / "test.ini"
    path.write_text(f"[app:main]\nuse = egg:safety-portal\nsqlalchemy.url = {url}\n")
    return str(path), url


def test_reports_ok_then_the_first_broken_link(ini, capsys):
    path, url = ini
    with db_session({"sqlalchemy.url": url}) as dbsession:
        for i in range(3):
            audit.append(dbsession, f"x.{i}", actor="system")
    assert audit_verify.main([path]) == 0
    assert "OK: 3 audit events" in capsys.readouterr().out
    engine = get_engine({"sqlalchemy.url": url})
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET reason = 'forged' WHERE id = 2"))
    engine.dispose()
    assert audit_verify.main([path]) == 1
    out = capsys.readouterr().out
    assert "BROKEN at audit event 2" in out and "1 events before it are intact" in out
