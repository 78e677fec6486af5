import hashlib
import hmac

import pytest
from sqlalchemy import select

from portal.audit import chain as audit
from portal.audit import keys
from portal.audit.models import AuditEvent
from portal.audit.verify import verify
from tests.conftest import TEST_AUDIT_KEY


def test_events_chain_each_to_the_previous_one_sealed_with_the_key(dbsession):
    first = audit.append(dbsession, "a.one", actor="system", reason="first")
    second = audit.append(dbsession, "a.two", actor="system", object_type="unit", object_id=7)
    assert first.prev_hash == audit.GENESIS and (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    assert second.object_id == "7" and second.key_id == "t1"
    secret = TEST_AUDIT_KEY.partition(":")[2].encode()
    assert second.hash == hmac.new(secret, audit.sealed_message(second), hashlib.sha256).hexdigest()
    assert second.hash not in audit.plain_hashes(second)  # not something anyone could compute
    report = verify(dbsession, keys.parse(TEST_AUDIT_KEY))
    assert report.ok and report.rows == report.chain_length == 2


def test_the_seal_covers_every_field_the_position_and_the_link(dbsession):
    event = audit.append(dbsession, "a.one", actor="system", reason="why", object_type="tip", object_id=3)
    keyring = keys.parse(TEST_AUDIT_KEY)
    for name, value in [("reason", "other"), ("actor", "officer:x"), ("object_id", "4"), ("seq", 2),
                        ("prev_hash", "1" * 64), ("key_id", "t0"), ("ip", "198.51.100.1")]:
        original = getattr(event, name)
        setattr(event, name, value)
        assert audit.seal(keyring, event) != event.hash, name
        setattr(event, name, original)
    assert audit.seal(keyring, event) == event.hash


def test_record_takes_officer_and_address_from_the_request(dummy_request, dbsession):
    event = audit.record(dummy_request, "thing.done", officer=None, reason="why")
    assert event.ip == "203.0.113.7" and event.actor == "public"
    assert dbsession.execute(select(AuditEvent.action)).scalar_one() == "thing.done"


def test_a_rotated_key_seals_new_events_and_the_old_one_still_verifies(dbsession, app_settings):
    old = audit.append(dbsession, "a.old", actor="system")
    rotated = "t2:second-test-audit-key-0123456789abcdef012345 " + TEST_AUDIT_KEY
    dbsession.info["settings"] = dict(app_settings, **{"portal.audit_key": rotated})
    new = audit.append(dbsession, "a.new", actor="system")
    assert (old.key_id, new.key_id) == ("t1", "t2")
    assert verify(dbsession, keys.parse(rotated)).ok
    # Without the old key its rows cannot be checked, and verify says so.
    report = verify(dbsession, keys.parse("t2:second-test-audit-key-0123456789abcdef012345"))
    assert report.kinds() == {"unknown-key"}


def test_verify_walks_more_rows_than_one_batch(dbsession):
    for i in range(7):
        audit.append(dbsession, f"a.{i}", actor="system")
    report = verify(dbsession, keys.parse(TEST_AUDIT_KEY), batch=3)
    assert report.ok and report.rows == 7


@pytest.mark.parametrize("value", ["", "nokey", "k1:short", "k 1:" + "x" * 40, "k1:" + "x" * 40 + " k1:" + "y" * 40])
def test_a_missing_or_malformed_key_is_refused_with_how_to_make_one(value):
    with pytest.raises(keys.AuditKeyError, match="portal.audit_key"):
        keys.parse(value)


def test_appending_without_a_key_is_refused(dbsession):
    dbsession.info["settings"] = {}
    with pytest.raises(keys.AuditKeyError):
        audit.append(dbsession, "a.one", actor="system")
