"""portal-audit-verify against a real (committed) SQLite database, with the checkpoints the worker
wrote: clear output, exit 1 on any finding (issue 10, finding 7)."""
import pytest
from sqlalchemy import text

from portal.audit import chain as audit
from portal.core.db import get_engine
from portal.scripts import audit_verify, worker
from portal.scripts.common import db_session
from tests.conftest import migrate


@pytest.fixture
def ini(tmp_path, app_settings):
    url = f"sqlite:///{tmp_path}/audit.sqlite"
    migrate(get_engine({"sqlalchemy.url": url}))
    checkpoint_file = tmp_path / "audit-checkpoints.jsonl"
    settings = dict(app_settings, **{"sqlalchemy.url": url, "portal.media_dir": str(tmp_path / "media"),
                                     "portal.audit.checkpoint_file": str(checkpoint_file)})
    path = tmp_path / "test.ini"
    path.write_text("[app:main]\nuse = egg:safety-portal\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
    with db_session(settings) as dbsession:
        for i in range(5):
            audit.append(dbsession, f"x.{i}", actor="system")
    return str(path), url, checkpoint_file


def sql(url, statement):
    engine = get_engine({"sqlalchemy.url": url})
    with engine.begin() as connection:
        connection.execute(text(statement))
    engine.dispose()


def test_the_worker_checkpoints_and_verify_passes_an_untouched_log(ini, capsys):
    path, _, checkpoint_file = ini
    assert worker.main([path, "--once"]) == 0
    assert len(checkpoint_file.read_text().splitlines()) == 1
    assert audit_verify.main([path]) == 0
    out = capsys.readouterr().out
    assert "OK: 5 audit events" in out and "1 signed in" in out


def test_rows_cut_from_the_end_after_a_checkpoint_are_found(ini, capsys):
    path, url, _ = ini
    assert worker.main([path, "--once"]) == 0
    sql(url, "DELETE FROM audit_events WHERE id > 3")
    assert audit_verify.main([path]) == 1
    out = capsys.readouterr().out
    assert "FOUND 1 problem(s)" in out
    assert "TRUNCATED      the checkpoint of" in out and "counted 5 events up to event 5; the log now ends at event 3" in out


def test_an_edited_row_is_named_with_its_id(ini, capsys):
    path, url, _ = ini
    sql(url, "UPDATE audit_events SET reason = 'forged' WHERE id = 2")
    assert audit_verify.main([path, "--checkpoints", "/nonexistent/cp.jsonl"]) == 1
    out = capsys.readouterr().out
    assert "EDITED         event 2: content does not match its seal" in out
    assert "NO-CHECKPOINT  checkpoint file /nonexistent/cp.jsonl does not exist" in out


def test_without_a_key_it_says_it_cannot_check(ini, tmp_path, capsys):
    path, url, _ = ini
    bare = tmp_path / "bare.ini"
    bare.write_text(f"[app:main]\nuse = egg:safety-portal\nsqlalchemy.url = {url}\n")
    assert audit_verify.main([str(bare)]) == 2
    assert "CANNOT CHECK: portal.audit_key" in capsys.readouterr().out
