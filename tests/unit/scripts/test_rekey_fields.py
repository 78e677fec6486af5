import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.core.db import get_engine
from portal.privacy.crypto import FieldCipher
from portal.scripts import rekey_fields
from portal.scripts.common import db_session
from portal.tips.models import Tip
from tests.conftest import TEST_AUDIT_KEY, migrate
from tests.factories import make_tip, make_units

KEYS = "t1:dGVzdC1maWVsZC1rZXktMzItYnl0ZXMtMDAwMDAwMDA t0:b2xkLXRlc3Qta2V5LTMyLWJ5dGVzLTAwMDAwMDAwMDA"


def write_ini(tmp_path, url, current):
    path = tmp_path / f"{current}.ini"
    path.write_text(f"[app:main]\nuse = egg:safety-portal\nsqlalchemy.url = {url}\nportal.audit_key = {TEST_AUDIT_KEY}\n"
                    f"portal.field_keys = {KEYS}\nportal.field_key_id = {current}\n")
    return str(path)


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path}/rekey.sqlite"
    migrate(get_engine({"sqlalchemy.url": url}))
    settings = {"sqlalchemy.url": url, "portal.audit_key": TEST_AUDIT_KEY}
    with db_session(settings) as dbsession:
        units = make_units(dbsession)
        for i in range(5):
            make_tip(dbsession, units["county_a"], cipher=FieldCipher.from_setting(KEYS, "t0"),
                     contact=f'{{"phone": "1380000000{i}"}}')
    return url, settings


def test_reseals_under_the_new_key_reports_it_and_audits_the_run(database, tmp_path, capsys):
    url, settings = database
    assert rekey_fields.main([write_ini(tmp_path, url, "t1"), "--report"]) == 0
    assert "tips.contact: t0: 5" in capsys.readouterr().out

    assert rekey_fields.main([write_ini(tmp_path, url, "t1"), "--batch", "2"]) == 0
    assert "tips.contact: 5 sealed again under t1" in capsys.readouterr().out
    assert rekey_fields.main([write_ini(tmp_path, url, "t1"), "--report"]) == 0
    report = capsys.readouterr().out
    assert "tips.contact: t1: 5" in report and "t0" not in report

    with db_session(settings) as dbsession:
        new = FieldCipher.from_setting(KEYS.split()[0], "t1")  # the old key gone: everything still opens
        contacts = sorted(new.decrypt(c, "tip.contact") for c in dbsession.execute(select(Tip.contact)).scalars())
        assert contacts == [f'{{"phone": "1380000000{i}"}}' for i in range(5)]
        event = dbsession.execute(select(AuditEvent).where(AuditEvent.action == "fields.resealed")).scalar_one()
        assert (event.actor, event.object_id) == ("system", "t1") and event.reason.startswith("5 values")


def test_a_value_no_key_opens_fails_the_run_naming_the_row_not_the_value(database, tmp_path, capsys):
    url, settings = database
    with db_session(settings) as dbsession:
        tip = dbsession.execute(select(Tip).order_by(Tip.id)).scalars().first()
        tip.contact = "gone$" + tip.contact.partition("$")[2]
        bad_id = tip.id
    assert rekey_fields.main([write_ini(tmp_path, url, "t1")]) == 1
    out, err = capsys.readouterr()
    assert "tips.contact: 4 sealed again" in out and f"rows [{bad_id}]" in err and "13800000" not in out + err
