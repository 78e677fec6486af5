"""Every staff route x every kind of visitor: the answer each one gets.

Anonymous visitors are sent to sign in; officers get 200 only where their role and unit scope
allow it, 403 everywhere else. An admin of an unrelated unit (city B) is refused objects of city A."""
import re

import pytest

from portal.alarms.models import AlarmMessage
from portal.calls.invitations.models import CallInvitation
from portal.calls.models import Call, CallRecording
from portal.notices.models import Notice
from portal.tips.models import TipAttachment
from tests.factories import (
    make_alarm,
    make_missing_request,
    make_notice,
    make_officer,
    make_photo,
    make_sighting,
    make_tip,
    make_units,
)
from tests.functional.helpers import login

ADMIN_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CITY_B_ADMIN_SECRET = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"

ACTORS = ["anonymous", "moderator", "handler", "dispatcher", "admin", "unrelated_admin", "unrelated_moderator"]

# route -> expected status per actor (303 = sent to the sign-in page)
EVERY_OFFICER = {"anonymous": 303, "moderator": 200, "handler": 200, "dispatcher": 200, "admin": 200,
                 "unrelated_admin": 200, "unrelated_moderator": 200}
ADMINS_ONLY = {"anonymous": 303, "moderator": 403, "handler": 403, "dispatcher": 403, "admin": 200,
               "unrelated_admin": 200, "unrelated_moderator": 403}
ADMINS_OF_CITY_A = dict(ADMINS_ONLY, unrelated_admin=403)
NOBODY = {actor: 403 for actor in ACTORS} | {"anonymous": 303}
MODERATORS = dict(NOBODY, moderator=200, unrelated_moderator=200)  # lists are scoped in the query
MODERATORS_OF_CITY_A = dict(NOBODY, moderator=200)
DISPATCHERS = dict(NOBODY, dispatcher=200)
TIP_WORKERS = dict(NOBODY, moderator=200, handler=200, unrelated_moderator=200)  # the queue is scoped in the query
TIP_WORKERS_OF_CITY_A = dict(NOBODY, moderator=200, handler=200)
STATS_READERS = dict(EVERY_OFFICER, dispatcher=403)  # each sees their own unit's figures
ROOT_ADMINS = dict(ADMINS_ONLY, unrelated_admin=403)
POST_ONLY = {actor: 405 for actor in ACTORS}  # a GET is told which method the address takes  # the province's: categories are the same province-wide

MATRIX = {
    "/staff": EVERY_OFFICER,
    "/staff/account/totp": EVERY_OFFICER,
    "/staff/account/password": EVERY_OFFICER,
    "/staff/units": ADMINS_ONLY,
    "/staff/units/new": ADMINS_ONLY,
    "/staff/units/{city_a}": ADMINS_OF_CITY_A,
    "/staff/units/{county_a}": ADMINS_OF_CITY_A,
    "/staff/officers": ADMINS_ONLY,
    "/staff/officers/new": ADMINS_ONLY,
    "/staff/officers/{moderator}": ADMINS_OF_CITY_A,
    "/staff/audit": ADMINS_ONLY,
    "/staff/notices": MODERATORS,
    "/staff/notices/new": MODERATORS,
    "/staff/notices/{notice_a}": MODERATORS_OF_CITY_A,
    "/staff/notices/{notice_a}/photos/{notice_a_photo}": MODERATORS_OF_CITY_A,
    "/staff/missing": DISPATCHERS,
    "/staff/missing/{missing_a}": DISPATCHERS,  # the province's dispatcher is above city A's center
    "/staff/missing/photos/{missing_photo}": DISPATCHERS,
    "/staff/sightings": MODERATORS,
    "/staff/sightings/{sighting_a}": MODERATORS_OF_CITY_A,
    "/staff/alarms": DISPATCHERS,
    "/staff/alarms/feed": DISPATCHERS,
    "/staff/alarms/{alarm_a}": DISPATCHERS,  # routed to city A's center; the province's dispatcher is above
    "/staff/alarms/{alarm_a}/updates": DISPATCHERS,
    "/staff/alarms/{alarm_a}/panel": DISPATCHERS,  # the console's panel: the alarm's detail, scoped as its page
    "/staff/alarms/photos/{alarm_photo}": DISPATCHERS,  # a photo sent in alarm_a's thread
    "/staff/calls": DISPATCHERS,  # the calls are scoped in the query
    "/staff/calls/{call_a}/poll": DISPATCHERS,  # a call of alarm_a
    **{f"/staff/calls/{{call_a}}/{action}": POST_ONLY
       for action in ("answer", "signals", "hold", "resume", "end", "snapshot")},
    "/staff/recordings/{recording_a}": DISPATCHERS,  # the caller's recording of alarm_a
    "/staff/recordings/{recording_a}/media": dict(DISPATCHERS, dispatcher=403),  # only after stating a reason
    **{f"/staff/recordings/{{recording_a}}/{action}": POST_ONLY for action in ("view", "verify")},
    "/staff/invitations": DISPATCHERS,  # the recent invitations are scoped in the query
    "/staff/invitations/{invitation_a}/revoke": POST_ONLY,
    "/staff/sightings/{sighting_a}/photo": MODERATORS_OF_CITY_A,
    "/staff/tips": TIP_WORKERS,
    "/staff/tips/{tip_a}": TIP_WORKERS_OF_CITY_A,
    "/staff/tips/media/{tip_photo}": TIP_WORKERS_OF_CITY_A,
    "/staff/categories": ROOT_ADMINS,
    "/staff/categories/new": ROOT_ADMINS,
    "/staff/categories/{category}": ROOT_ADMINS,
    "/staff/stats": STATS_READERS,
    "/staff/stats.csv": STATS_READERS,
    "/staff/stats/queues": EVERY_OFFICER,  # each sees their own unit's figures (tests/functional/test_queue_stats.py)
    "/staff/stats/queues/{queue}.csv": EVERY_OFFICER,
    # Evidence packages: the tip's assigned handler (tip_a has none), the subject's working role, the admins
    # in scope (the province's admin is above city A; city B's is not).
    "/staff/tips/{tip_a}/evidence": dict(NOBODY, admin=200),
    "/staff/sightings/{sighting_a}/evidence": dict(NOBODY, moderator=200, admin=200),
    "/staff/alarms/{alarm_a}/evidence": dict(DISPATCHERS, admin=200),
    "/staff/missing/{missing_a}/evidence": dict(DISPATCHERS, admin=200),
}


@pytest.fixture
def world(dbsession, registry):
    units = make_units(dbsession)
    cipher = registry["field_cipher"]
    officers = {
        "moderator": make_officer(dbsession, units["city_a"], ["moderator"], username="mod_a"),
        "handler": make_officer(dbsession, units["city_a"], ["handler"], username="handler_a"),
        "dispatcher": make_officer(dbsession, units["province"], ["dispatcher"], username="dispatch_p"),
        "admin": make_officer(dbsession, units["province"], ["admin"], username="admin_p",
                              totp_secret=ADMIN_SECRET, cipher=cipher),
        "unrelated_admin": make_officer(dbsession, units["city_b"], ["admin"], username="admin_b",
                                        totp_secret=CITY_B_ADMIN_SECRET, cipher=cipher),
        "unrelated_moderator": make_officer(dbsession, units["county_b"], ["moderator"], username="mod_b"),
    }
    published = make_notice(dbsession, units["city_a"], kind="missing_person")
    missing_a = make_missing_request(dbsession, cipher, units["county_a"], units["city_a"])
    ids = {"city_a": units["city_a"].id, "county_a": units["county_a"].id,
           "moderator": officers["moderator"].id,
           "notice_a": make_notice(dbsession, units["city_a"], state="draft").id,
           "missing_a": missing_a.id,
           "missing_photo": make_photo(dbsession, registry["media_store"], notice=missing_a.notice).id,
           "alarm_a": make_alarm(dbsession, units["city_a"])[0].id,
           "sighting_a": make_sighting(dbsession, published,
                                       media=make_photo(dbsession, registry["media_store"])).id}
    ids["queue"] = "alarms"
    ids["alarm_photo"] = make_photo(dbsession, registry["media_store"]).id
    ids["notice_a_photo"] = make_photo(dbsession, registry["media_store"],
                                       notice=dbsession.get(Notice, ids["notice_a"])).id
    call = Call(alarm_id=ids["alarm_a"], kind="video", state="ringing")
    dbsession.add(call)
    dbsession.flush()
    ids["call_a"] = call.id
    recording = CallRecording(alarm_id=ids["alarm_a"], call_id=call.id, mime="video/webm")
    dbsession.add(recording)
    dbsession.flush()
    ids["recording_a"] = recording.id
    invitation = CallInvitation(token_hash="0" * 64, unit=units["city_a"], officer=officers["dispatcher"],
                                mode="video", expires_at=call.created_at)
    dbsession.add(invitation)
    dbsession.flush()
    ids["invitation_a"] = invitation.id
    tip_a = make_tip(dbsession, units["city_a"])
    ids["tip_a"], ids["category"] = tip_a.id, tip_a.category_id
    ids["tip_photo"] = make_photo(dbsession, registry["media_store"]).id
    dbsession.add(TipAttachment(tip_id=tip_a.id, media_id=ids["tip_photo"]))
    dbsession.add(AlarmMessage(alarm_id=ids["alarm_a"], sender="public", media_id=ids["alarm_photo"]))
    dbsession.flush()
    return officers, ids


def sign_in_as(testapp, officers, actor):
    if actor == "anonymous":
        return
    secret = {"admin": ADMIN_SECRET, "unrelated_admin": CITY_B_ADMIN_SECRET}.get(actor)
    login(testapp, officers[actor].username, totp_secret=secret)


@pytest.mark.parametrize("actor", ACTORS)
def test_every_staff_route_answers_each_actor_as_declared(testapp, world, actor):
    officers, ids = world
    sign_in_as(testapp, officers, actor)
    answers = {}
    for pattern in MATRIX:
        url = pattern.format(**ids)
        answers[pattern] = testapp.get(url, status="*").status_int
    expected = {pattern: statuses[actor] for pattern, statuses in MATRIX.items()}
    assert answers == expected


def test_anonymous_is_sent_to_sign_in_and_back(testapp, world):
    response = testapp.get("/staff/audit", status=303)
    assert "/login?next=%2Fstaff%2Faudit" in response.location


def test_matrix_covers_every_staff_route(app):
    """A new staff route must be added to the matrix above."""
    from pyramid.interfaces import IRoutesMapper

    mapper = app.registry.getUtility(IRoutesMapper)
    staff_patterns = {
        re.sub(r"\{\w+(:[^}]*)?\}", "{id}", route.pattern) for route in mapper.get_routes()
        if route.pattern.startswith("/staff")
    }
    covered = {re.sub(r"\{\w+\}", "{id}", p) for p in MATRIX}
    assert staff_patterns == covered


@pytest.mark.parametrize("url", ["/staff/units/new", "/staff/officers/new", "/logout"])
def test_post_without_csrf_token_is_refused_and_changes_nothing(testapp, world, dbsession, url):
    from sqlalchemy import func, select

    from portal.accounts.models import Officer
    from portal.audit.models import AuditEvent
    from portal.units.models import Unit

    officers, _ = world
    login(testapp, officers["admin"].username, totp_secret=ADMIN_SECRET)
    before = [dbsession.execute(select(func.count()).select_from(m)).scalar_one() for m in (Unit, Officer, AuditEvent)]
    response = testapp.post(url, {"code": "990301", "username": "newbie", "name_zh": "x"}, status=400)
    assert "This form has expired" in response.text or "表单已过期" in response.text
    assert 'href="tel:110"' in response.text
    after = [dbsession.execute(select(func.count()).select_from(m)).scalar_one() for m in (Unit, Officer, AuditEvent)]
    assert after == before
    # Still signed in: the refused POST did not sign the admin out.
    assert testapp.get("/staff/audit").status_int == 200


def test_every_staff_view_declares_a_permission(app):
    """Secure by default: a staff view without a permission would be open to anyone."""
    introspector = app.registry.introspector
    staff_routes = {r["introspectable"]["name"] for r in introspector.get_category("routes")
                    if r["introspectable"]["pattern"].startswith("/staff")}
    seen = set()
    for entry in introspector.get_category("views"):
        view = entry["introspectable"]
        if view["route_name"] not in staff_routes:
            continue
        seen.add(view["route_name"])
        permissions = [r["value"] for r in entry["related"] if r.category_name == "permissions"]
        assert permissions and all(permissions), f"{view['route_name']} has no permission"
    assert seen == staff_routes
