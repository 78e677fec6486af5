import io
import json

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.db import get_engine
from portal.core.generation import PublicGeneration
from portal.scripts import create_officer, create_unit
from portal.scripts.common import db_session
from portal.units.models import Unit
from tests.conftest import TEST_AUDIT_KEY, migrate

SQUARE = {"type": "Polygon", "coordinates": [[[116.0, 39.0], [117.0, 39.0], [117.0, 40.0], [116.0, 40.0], [116.0, 39.0]]]}


@pytest.fixture
def ini(tmp_path):
    url = f"sqlite:///{tmp_path}/units.sqlite"
    migrate(get_engine({"sqlalchemy.url": url}))
    path = tmp_path / "test.ini"
    path.write_text(f"[app:main]\nuse = egg:safety-portal\nsqlalchemy.url = {url}\nportal.audit_key = {TEST_AUDIT_KEY}\n")
    return str(path), url


def generation(dbsession):
    return dbsession.execute(select(PublicGeneration.generation)).scalar_one_or_none() or 0


def test_creates_the_top_unit_audited_then_an_officer_can_join_it(ini, tmp_path, capsys):
    path, url = ini
    with db_session({"sqlalchemy.url": url}) as dbsession:
        before = generation(dbsession)
    area = tmp_path / "province.geojson"
    area.write_text(json.dumps(SQUARE))
    assert create_unit.main([path, "--code", "990000", "--name-zh", "示范省公安厅", "--name-en", "Demo Province",
                             "--jurisdiction", str(area), "--command-center"]) == 0
    assert "Created unit 990000" in capsys.readouterr().out
    with db_session({"sqlalchemy.url": url}) as dbsession:
        unit = dbsession.execute(select(Unit)).scalar_one()
        assert (unit.path, unit.parent_id, unit.level, unit.is_command_center) == ("/990000/", None, "province", True)
        assert json.loads(unit.jurisdiction)["type"] == "Polygon" and unit.name_en == "Demo Province"
        event = dbsession.execute(select(AuditEvent)).scalar_one()
        assert (event.action, event.actor, event.object_type) == ("unit.created", "system", "unit")
        assert generation(dbsession) == before + 1  # every server's routing index rebuilds
    assert create_officer.main([path, "--username", "chief", "--unit", "990000", "--role", "admin"],
                               stdin=io.StringIO("a long enough password\n")) == 0


@pytest.mark.parametrize("args,message", [
    (["--code", "12ab", "--name-zh", "省"], "The code must be 6 to 12 digits."),
    (["--code", "990000", "--name-zh", "  "], "The Chinese name is required."),
    (["--code", "990000", "--name-zh", "省", "--jurisdiction", "BAD"], "jurisdiction"),
])
def test_refuses_bad_input_and_writes_nothing(ini, tmp_path, capsys, args, message):
    path, url = ini
    if "BAD" in args:
        bad = tmp_path / "bad.geojson"
        bad.write_text('{"type": "Point", "coordinates": [116, 39]}')
        args = [str(bad) if a == "BAD" else a for a in args]
    assert create_unit.main([path, *args]) == 2
    assert message in capsys.readouterr().err
    with db_session({"sqlalchemy.url": url}) as dbsession:
        assert dbsession.execute(select(Unit)).first() is None
        assert dbsession.execute(select(AuditEvent)).first() is None


def test_a_taken_code_is_refused(ini, capsys):
    path, url = ini
    assert create_unit.main([path, "--code", "990000", "--name-zh", "省"]) == 0
    assert create_unit.main([path, "--code", "990000", "--name-zh", "另一个"]) == 2
    assert "exists already" in capsys.readouterr().err
    with db_session({"sqlalchemy.url": url}) as dbsession:
        assert dbsession.execute(select(Unit.name_zh)).scalars().all() == ["省"]
