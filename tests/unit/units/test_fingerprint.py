"""The units' fingerprint kept per process (issue 14): public pages do not read it every time, yet
every change made in this process, or by another server through units/services.py, moves it."""
from sqlalchemy import update

from portal.core.generation import PublicGeneration
from portal.units import directory as units_directory
from portal.units import fingerprint
from portal.units import services as unit_service


def test_current_reads_once_within_its_age(dbsession, units, statements):
    fingerprint.forget()
    first = fingerprint.current(dbsession)
    statements.clear()
    assert fingerprint.current(dbsession) == first
    assert statements == []


def test_an_old_copy_is_read_again(dbsession, units, statements, monkeypatch):
    fingerprint.forget()
    fingerprint.current(dbsession)
    monkeypatch.setattr(fingerprint, "MAX_AGE", 0)
    statements.clear()
    fingerprint.current(dbsession)
    assert len(statements) == 1


def test_a_flush_touching_a_unit_moves_it_at_once(dbsession, units):
    before = fingerprint.current(dbsession)
    units["city_a"].name_en = "Renamed"  # no aggregate sees a rename
    dbsession.flush()
    assert fingerprint.current(dbsession) != before


def test_another_servers_change_is_seen_after_max_age(dbsession, units, monkeypatch):
    before = fingerprint.current(dbsession)
    # As another process's units/services.py would: only the shared generation moves here.
    dbsession.execute(update(PublicGeneration).values(generation=PublicGeneration.generation + 1))
    assert fingerprint.current(dbsession) == before  # within MAX_AGE: the copy
    monkeypatch.setattr(fingerprint, "MAX_AGE", 0)
    assert fingerprint.current(dbsession) != before


def test_the_directory_follows_a_change_through_the_service(dummy_request, dbsession, units):
    names = units_directory.directory(dbsession)
    assert names.by_id[units["city_b"].id].name("en") == "City B"
    assert [u.code for u in names.in_tree_order] == sorted(u.code for u in units.values())
    unit_service.update(dummy_request, units["city_b"], name_en="City Bee")
    assert units_directory.directory(dbsession).by_id[units["city_b"].id].name("en") == "City Bee"
    assert units_directory.directory(dbsession).by_id[units["city_b"].id].ancestor_codes == ["990000", "990200"]
