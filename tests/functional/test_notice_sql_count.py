"""A regression guard, not a timing: the SQL statements a public notice page sends (issue 14, the app
servers' CPU per cache miss). A relation loaded lazily in a template, or a per-request query added to
the layout, shows here as a higher count."""

from portal.core.meta import utcnow
from tests.factories import make_category, make_notice, make_photo

# The notice with its units, person and photos (the units' fingerprint, for the map of the last-seen
# point, is kept per process: units/fingerprint.py). The list: the page of notices with each one's main
# photo and the count, in one statement (notices/card_reading.list_page; the units of its filter, the
# cards' units and badges come from units/directory.py, kept per process).
# Raise them only with a reason written here.
NOTICE_PAGE_STATEMENTS = 1
LIST_PAGE_STATEMENTS = 1
# The home page: the missing persons' cards and the latest notices' cards (each with its main photos in
# its statement), and the tip categories' slugs and names (tips/categories.for_public_page).
HOME_PAGE_STATEMENTS = 3


def missing_person(dbsession, registry, units, **kw):
    notice = make_notice(dbsession, units["city_a"], kind="missing_person", title="Missing: Li Hua", **kw)
    person = notice.missing_person
    person.full_name, person.age_min, person.age_max = "Li Hua", 70, 72
    person.last_seen_lat, person.last_seen_lon, person.last_seen_precision = 38.04321, 114.51234, "exact"
    for _ in range(3):
        make_photo(dbsession, registry["media_store"], notice)
    dbsession.flush()
    notice_id = notice.id
    dbsession.expire_all()  # the page loads what it shows itself, as in production
    return notice_id


def test_a_missing_person_page_sends_a_bounded_number_of_statements(testapp, dbsession, registry, units,
                                                                     statements):
    notice_id = missing_person(dbsession, registry, units, verified_by_unit_id=units["city_a"].id,
                               verified_at=utcnow())
    path = f"/notices/{notice_id}"
    testapp.get(path)  # the first request fills the process's caches (base map)
    dbsession.expire_all()
    statements.clear()
    page = testapp.get(path)
    assert "Li Hua" in page.text and "data-point-map" in page.text and "badge-verified" in page.text
    assert page.text.count("<img") == 3
    assert len(statements) <= NOTICE_PAGE_STATEMENTS, "\n\n".join(statements)


def test_the_list_sends_as_many_statements_for_many_notices_as_for_one(testapp, dbsession, registry, units,
                                                                       statements):
    verified = {"verified_by_unit_id": units["city_a"].id, "verified_at": utcnow()}
    missing_person(dbsession, registry, units, **verified)
    testapp.get("/notices")
    statements.clear()
    testapp.get("/notices")
    one = len(statements)
    for _ in range(12):
        missing_person(dbsession, registry, units, **verified)
    statements.clear()
    page = testapp.get("/notices")
    assert page.text.count("Li Hua") >= 13 and page.text.count("badge-verified") >= 13
    assert page.text.count('/thumb"') >= 13  # each card's main photo, read in the page's statement
    assert len(statements) == one <= LIST_PAGE_STATEMENTS, "\n\n".join(statements)


def test_the_home_page_sends_a_bounded_number_of_statements(testapp, dbsession, registry, units, statements):
    """Missing persons first, the tip categories' links (slugs and names only: no questions), the latest
    notices; each list's photos in its own statement."""
    verified = {"verified_by_unit_id": units["city_a"].id, "verified_at": utcnow()}
    for _ in range(3):
        missing_person(dbsession, registry, units, **verified)
    make_notice(dbsession, units["city_a"], kind="wanted", title="Wanted: Zhao Lei")
    make_category(dbsession, slug="fraud-home", names={"zh_CN": "诈骗", "en": "Fraud"}, questions=[
        {"key": "amount", "kind": "text"}, {"key": "when", "kind": "text"}])
    dbsession.flush()
    testapp.get("/")
    dbsession.expire_all()
    statements.clear()
    page = testapp.get("/", headers={"Accept-Language": "en"})
    assert page.text.count("Li Hua") >= 3 and "Wanted: Zhao Lei" in page.text
    assert "category=fraud-home" in page.text and ">Fraud</a>" in page.text
    assert len(statements) <= HOME_PAGE_STATEMENTS, "\n\n".join(statements)
