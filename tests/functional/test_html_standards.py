"""Every public page and every staff page passes the Nu HTML Checker with no error (tests/vnu.py: one
java run for all of them), and the public pages carry what browsers, crawlers and link previews read:
a description, the icons, the web app manifest, an Open Graph image."""
import pyotp
import pytest

from tests import vnu
from tests.factories import make_alarm, make_category, make_notice, make_officer, make_tip, make_trip
from tests.functional.helpers import login

PUBLIC = ["/", "/notices", "/notices?kind=zzz&sex=x", "/alarm", "/embed/alarm", "/tips/new", "/status",
          "/missing/new", "/trips/new", "/login"]
STAFF = ["/staff", "/staff/tips", "/staff/sightings", "/staff/notices", "/staff/notices/new", "/staff/missing",
         "/staff/alarms", "/staff/invitations", "/staff/categories", "/staff/categories/new", "/staff/stats",
         "/staff/officers", "/staff/officers/new", "/staff/units", "/staff/units/new", "/staff/account/password",
         "/staff/tips?state=nonsense", "/staff/audit"]


def render(testapp, paths) -> dict[str, str]:
    pages = {}
    for path in paths:
        page = testapp.get(path, status="*")
        assert page.status_int in (200, 400), path
        pages[path] = page.text
    return pages


def test_every_page_passes_the_nu_html_checker(testapp, dbsession, registry, units, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("the same pages on either database: checked once, on SQLite")
    vnu.require()  # skip before rendering anything when the checker is missing
    notice = make_notice(dbsession, units["city_a"], kind="missing_person")
    category = make_category(dbsession)
    tip = make_tip(dbsession, units["city_a"], category=category, cipher=registry["field_cipher"])
    alarm, token = make_alarm(dbsession, units["city_a"], kind="silent", lat=38.5, lon=114.5, accuracy_m=30.0)
    _trip, trip_token, guardian_tokens = make_trip(dbsession)
    dbsession.flush()
    pages = render(testapp, PUBLIC + [f"/notices/{notice.id}", f"/notices/{notice.id}/poster",
                                      f"/notices/{notice.id}/sightings/new", f"/alarm/{token}",
                                      f"/trips/{trip_token}", f"/guard/{guardian_tokens[0]}"])
    testapp.reset()
    secret = pyotp.random_base32()
    make_officer(dbsession, units["province"], ["admin", "moderator", "handler", "dispatcher"], username="every_role",
                 totp_secret=secret, cipher=registry["field_cipher"])
    login(testapp, "every_role", totp_secret=secret)
    pages |= {f"staff {path}": html for path, html in render(
        testapp, STAFF + [f"/staff/tips/{tip.id}", f"/staff/alarms/{alarm.id}",
                          f"/staff/notices/{notice.id}"]).items()}
    errors = vnu.check(pages)
    assert not errors, "\n".join(errors)
