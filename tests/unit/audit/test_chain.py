from sqlalchemy import select, update

from portal.audit import chain as audit
from portal.audit.models import AuditEvent


def test_events_chain_each_to_the_previous_one(dbsession):
    first = audit.append(dbsession, "a.one", actor="system", reason="first")
    second = audit.append(dbsession, "a.two", actor="system", object_type="unit", object_id=7)
    assert first.prev_hash == audit.GENESIS
    assert second.prev_hash == first.hash
    assert second.object_id == "7"
    assert audit.verify_chain(dbsession) == (2, None)


def test_an_altered_row_is_found(dbsession):
    audit.append(dbsession, "a.one", actor="system")
    victim = audit.append(dbsession, "a.two", actor="system", reason="original")
    audit.append(dbsession, "a.three", actor="system")
    dbsession.execute(update(AuditEvent).where(AuditEvent.id == victim.id).values(reason="rewritten"))
    dbsession.expire_all()
    checked, broken = audit.verify_chain(dbsession)
    assert checked == 1 and broken.event_id == victim.id and "altered" in broken.problem


def test_a_removed_row_is_found(dbsession):
    audit.append(dbsession, "a.one", actor="system")
    removed = audit.append(dbsession, "a.two", actor="system")
    after = audit.append(dbsession, "a.three", actor="system")
    dbsession.delete(removed)
    dbsession.flush()
    checked, broken = audit.verify_chain(dbsession)
    assert broken.event_id == after.id and "removed" in broken.problem


def test_record_takes_officer_and_address_from_the_request(dummy_request, dbsession):
    event = audit.record(dummy_request, "thing.done", officer=None, reason="why")
    assert event.ip == "203.0.113.7" and event.actor == "public"
    assert dbsession.execute(select(AuditEvent.action)).scalar_one() == "thing.done"


def test_verify_walks_more_rows_than_one_batch(dbsession):
    for i in range(7):
        audit.append(dbsession, f"a.{i}", actor="system")
    assert audit.verify_chain(dbsession, batch=3) == (7, None)
