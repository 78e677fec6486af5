import io

import pytest
from sqlalchemy import select

from portal.accounts.models import Officer
from portal.audit.models import AuditEvent
from portal.core.db import get_engine
from portal.scripts import create_officer
from portal.scripts.common import db_session
from portal.units.models import Unit
from tests.conftest import TEST_AUDIT_KEY, migrate


@pytest.fixture
def ini(tmp_path):
    url = f"sqlite:///{tmp_path}/officers.sqlite"
    migrate(get_engine({"sqlalchemy.url": url}))
    with db_session({"sqlalchemy.url": url}) as dbsession:
        dbsession.add(Unit(code="990000", path="/990000/", level="province", name_zh="省"))
    path = tmp_path / "test.ini"
    path.write_text(f"[app:main]\nuse = egg:safety-portal\nsqlalchemy.url = {url}\nportal.audit_key = {TEST_AUDIT_KEY}\n")
    return str(path), url


def run(ini_path, *args, password="a long enough password\n"):
    return create_officer.main([ini_path, *args], stdin=io.StringIO(password))


def test_creates_an_officer_with_roles_and_an_audit_event(ini, capsys):
    path, url = ini
    assert run(path, "--username", "chief", "--unit", "990000", "--role", "admin", "--role", "dispatcher") == 0
    assert "Created officer chief" in capsys.readouterr().out
    with db_session({"sqlalchemy.url": url}) as dbsession:
        officer = dbsession.execute(select(Officer)).scalar_one()
        assert officer.roles == {"admin", "dispatcher"} and officer.password_hash.startswith("$argon2id$")
        assert dbsession.execute(select(AuditEvent.action)).scalar_one() == "officer.created"


@pytest.mark.parametrize("args,password,message", [
    (["--unit", "123456"], "a long enough password\n", "No unit with code 123456"),
    (["--unit", "990000"], "short\n", "Password refused: The password needs at least 12 characters."),
])
def test_refuses_bad_input_and_writes_nothing(ini, capsys, args, password, message):
    path, url = ini
    assert run(path, "--username", "chief", *args, password=password) == 2
    assert message in capsys.readouterr().err
    with db_session({"sqlalchemy.url": url}) as dbsession:
        assert dbsession.execute(select(Officer)).first() is None


def test_duplicate_username_is_refused(ini, capsys):
    path, _ = ini
    assert run(path, "--username", "chief", "--unit", "990000") == 0
    assert run(path, "--username", "CHIEF", "--unit", "990000") == 2
    assert "taken" in capsys.readouterr().err
