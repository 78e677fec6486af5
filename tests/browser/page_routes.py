"""Which pages the axe tests must visit, read from the route table itself, and the objects to visit them
with. A route that answers GET is a page unless a test's own list says, with a reason, that it is not one
(JSON, media, downloads): a new page nobody added to the axe tests fails them instead of going unchecked."""
import portal
from portal.scripts.common import db_session

# One browser context per language and width (tests/browser/test_staff_axe.py, test_design.py).
LANGUAGES = ("zh_CN", "en", "ug")
WIDTHS = {"phone": {"width": 390, "height": 844}, "desk": {"width": 1366, "height": 768}}


def get_routes(settings) -> dict[str, str]:
    """Every named route that has a view answering GET: name -> pattern."""
    app = portal.main({}, **settings)
    introspector = app.registry.introspector
    patterns = {r["introspectable"]["name"]: r["introspectable"]["pattern"]
                for r in introspector.get_category("routes")}
    answering = set()
    for entry in introspector.get_category("views"):
        view = entry["introspectable"]
        methods = view["request_methods"]
        if view["route_name"] and (methods is None or "GET" in methods):
            answering.add(view["route_name"])
    return {name: patterns[name] for name in answering}


def unvisited(routes: dict[str, str], pages: dict, not_pages: dict) -> dict[str, str]:
    """The GET routes neither visited nor declared not to be pages; and the declared ones that are gone."""
    missing = {name: pattern for name, pattern in routes.items() if name not in pages and name not in not_pages}
    stale = {name: "(no such GET route)" for name in [*pages, *not_pages] if name not in routes}
    return missing | stale


def axe_world(settings):
    """Objects the demo does not hold (alarms, calls, recordings, invitations, trips, officers with and
    without a second factor, a draft notice with a photo), made in the browser tests' database: name -> id
    or token, for the page tables' {placeholders}."""
    from datetime import timedelta

    from sqlalchemy import select

    from portal.accounts.models import Officer
    from portal.alarms.models import AlarmMessage
    from portal.calls.models import Call, CallRecording
    from portal.core.meta import utcnow
    from portal.media.storage import LocalMediaStore
    from portal.privacy.crypto import FieldCipher
    from portal.tips.models import TipAttachment
    from portal.units.models import Unit
    from tests.factories import (
        make_alarm,
        make_invitation,
        make_missing_request,
        make_notice,
        make_officer,
        make_photo,
        make_sighting,
        make_tip,
        make_trip,
    )

    cipher = FieldCipher.from_setting(settings["portal.field_keys"], settings["portal.field_key_id"])
    store = LocalMediaStore(settings["portal.media_dir"])
    with db_session(settings) as dbsession:
        units = {u.code: u for u in dbsession.scalars(select(Unit))}
        province, city, county = units["139900"], units["139910"], units["139911"]
        officers = {o.username: o for o in dbsession.scalars(select(Officer))}
        make_officer(dbsession, province, ["admin"], username="axe.admin", totp_secret=AXE_TOTP, cipher=cipher)
        make_officer(dbsession, province, ["admin"], username="axe.totp", totp_secret=AXE_TOTP, cipher=cipher)
        make_officer(dbsession, province, ["admin"], username="axe.enrol")
        notice = make_notice(dbsession, city, state="draft", title="Axe draft")
        # Verified as every published appeal is, and a year old: the demo's appeals stay first in the list,
        # where the public page tests take "the newest appeal" (with its photo) from.
        published = make_notice(dbsession, city, kind="missing_person", title="Axe appeal", minutes_ago=525_600,
                                verified_by_unit_id=city.id, verified_at=utcnow() - timedelta(days=365))
        missing = make_missing_request(dbsession, cipher, county, city)
        alarm, alarm_token = make_alarm(dbsession, city)
        photo = make_photo(dbsession, store)
        dbsession.add(AlarmMessage(alarm_id=alarm.id, sender="public", media_id=photo.id))
        call = Call(alarm_id=alarm.id, kind="video", state="ended")
        dbsession.add(call)
        dbsession.flush()
        recording = CallRecording(alarm_id=alarm.id, call_id=call.id, mime="video/webm")
        dbsession.add(recording)
        # A link works in the one browser that opens it first: one for each language's and width's context.
        invitation_tokens = {f"{lang} {width}": make_invitation(dbsession, officers["dispatcher"], mode="video")[1]
                             for lang in LANGUAGES for width in WIDTHS}
        _trip, trip_token, guardian_tokens = make_trip(dbsession)
        tip = make_tip(dbsession, city)
        tip_photo = make_photo(dbsession, store)
        dbsession.add(TipAttachment(tip_id=tip.id, media_id=tip_photo.id))
        dbsession.flush()
        return {
            "city": city.id, "officer": officers["moderator"].id, "notice": notice.id,
            "notice_photo": make_photo(dbsession, store, notice=notice).id, "published": published.id,
            "missing": missing.id, "missing_photo": make_photo(dbsession, store, notice=missing.notice).id,
            "sighting": make_sighting(dbsession, published).id, "alarm": alarm.id, "alarm_token": alarm_token,
            "alarm_photo": photo.id, "call": call.id, "recording": recording.id, "tip": tip.id,
            "tip_photo": tip_photo.id, "category": tip.category_id, "invitation_tokens": invitation_tokens,
            "trip_token": trip_token, "guardian_token": guardian_tokens[0],
        }


AXE_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the second factor of the axe tests' own admins
