"""portal-rekey-fields' core: every sealed column is found from the models and sealed again under the
current key, old values only, without touching updated_at, and a value no key opens is left and named."""
import re
from pathlib import Path

from sqlalchemy import select

import portal
from portal.core.meta import Base
from portal.privacy import rekey
from portal.privacy.crypto import FieldCipher
from portal.sightings.models import Sighting
from tests.factories import make_missing_request, make_notice, make_officer, make_sighting, make_tip

PORTAL = Path(portal.__file__).parent


def old_cipher(settings) -> FieldCipher:
    return FieldCipher.from_setting(settings["portal.field_keys"], "t0")  # the tests' older key


def reseal_everything(dbsession, cipher, batch=2):
    return {s.name: rekey.reseal_column(dbsession, cipher, s, batch=batch) for s in rekey.sealed_columns(Base.metadata)}


def test_every_label_the_code_seals_with_is_declared_on_its_column():
    """A protected field the models do not declare would keep its old key for ever: the labels the code
    seals under (the *_LABEL constants and the officer's TOTP secret) are exactly those declared."""
    declared = {s.label for s in rekey.sealed_columns(Base.metadata)}
    in_code = {"officer.totp"}
    for path in PORTAL.rglob("*.py"):
        in_code |= set(re.findall(r'^\w*_LABEL = "([a-z_]+\.[a-z_]+)"', path.read_text(), re.MULTILINE))
    assert declared == in_code
    assert len(rekey.sealed_columns(Base.metadata)) >= 15


def test_old_values_are_sealed_again_and_still_open(dbsession, registry, app_settings, units):
    new, old = registry["field_cipher"], old_cipher(app_settings)
    tips = [make_tip(dbsession, units["county_a"], cipher=old, contact=f'{{"phone": "1380000000{i}"}}', minutes_ago=5)
            for i in range(3)]
    current = make_tip(dbsession, units["county_a"], cipher=new, contact='{"phone": "13900000000"}')
    officer = make_officer(dbsession, units["province"], totp_secret="JBSWY3DPEHPK3PXP", cipher=old)
    request = make_missing_request(dbsession, old, units["county_a"])
    stamps = {tip.id: tip.updated_at for tip in tips}
    untouched = current.contact

    outcomes = reseal_everything(dbsession, new)
    dbsession.expire_all()

    assert outcomes["tips.contact"].resealed == 3 and outcomes["officers.totp_secret"].resealed == 1
    for i, tip in enumerate(tips):
        assert tip.contact.startswith("t1$") and new.decrypt(tip.contact, "tip.contact") == f'{{"phone": "1380000000{i}"}}'
        assert tip.updated_at == stamps[tip.id]  # sealing again is not an edit
    assert current.contact == untouched  # already under the current key: not rewritten
    assert new.decrypt(officer.totp_secret, "officer.totp") == "JBSWY3DPEHPK3PXP"
    assert request.family_contact.startswith("t1$")
    # Nothing under the old key is left: a cipher without it opens everything.
    only_new = FieldCipher.from_setting(
        " ".join(k for k in app_settings["portal.field_keys"].split() if k.startswith("t1:")), "t1")
    for tip in tips:
        only_new.decrypt(tip.contact, "tip.contact")
    only_new.decrypt(request.family_contact, "missing.family_contact")
    assert all(outcome.resealed == 0 for outcome in reseal_everything(dbsession, new).values())  # idempotent
    counts = rekey.key_ids(dbsession, next(s for s in rekey.sealed_columns(Base.metadata) if s.name == "tips.contact"))
    assert counts == {"t1": 4}


def test_a_value_no_key_opens_is_named_and_left_alone(dbsession, registry, app_settings, units):
    new, old = registry["field_cipher"], old_cipher(app_settings)
    notice = make_notice(dbsession, units["county_a"], kind="missing_person")
    good = make_sighting(dbsession, notice, cipher=old, contact='{"name": "Wang"}')
    bad = make_sighting(dbsession, notice, cipher=old, contact='{"name": "Zhao"}')
    bad.contact = "gone$" + bad.contact.partition("$")[2]  # a removed key's id
    dbsession.flush()

    outcome = reseal_everything(dbsession, new, batch=1)["sightings.contact"]
    dbsession.expire_all()

    assert outcome.resealed == 1 and outcome.unreadable == [bad.id]
    assert good.contact.startswith("t1$") and bad.contact.startswith("gone$")
    assert dbsession.execute(select(Sighting.id).where(Sighting.contact.like("t1$%"))).scalars().all() == [good.id]
