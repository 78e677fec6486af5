"""Every route with its context factory. Paths follow DESIGN.md section 5 (a stable contract)."""
from pyramid.authorization import Allow, Authenticated
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .ids import MAX_ID, record_id  # noqa: F401  (MAX_ID: views import it from here)
from .models import (
    Alarm,
    Media,
    MissingPersonRequest,
    Notice,
    Officer,
    Sighting,
    Tip,
    TipAttachment,
    TipCategory,
    Trip,
    TripGuardian,
    Unit,
)
from .security.permissions import ROLE_PERMISSIONS, Permission, Role, scoped_acl
from .services.links import TOKEN_PATTERN, token_hash


class PublicRoot:
    __acl__ = []

    def __init__(self, request):
        self.request = request


class StaffRoot:
    """Staff pages that are not about one object: their role decides, lists are unit-scoped in
    the query."""

    # Not tip categories: those are for the root unit's administrators only (TipCategoriesRoot).
    __acl__ = [(Allow, f"role:{role}", str(p)) for role, ps in ROLE_PERMISSIONS.items() for p in ps
               if p != Permission.MANAGE_CATEGORIES]
    __acl__.append((Allow, Authenticated, "account"))

    def __init__(self, request):
        self.request = request


def id_from_matchdict(request) -> int:
    row_id = record_id(request.matchdict.get("id", ""))
    if row_id is None:  # also "٣": \d in a route pattern matches any script's digits
        raise HTTPNotFound()
    return row_id


def _load(request, model, options=()):
    row = request.dbsession.execute(
        select(model).where(model.id == id_from_matchdict(request)).options(*options)
    ).scalar_one_or_none()
    if row is None:
        raise HTTPNotFound()
    return row


class UnitContext:
    """One unit: only admins of that unit or a unit above it may change it."""

    def __init__(self, request):
        self.unit = _load(request, Unit)
        self.__acl__ = scoped_acl(self.unit.ancestor_codes, roles=[Role.ADMIN])


class OfficerContext:
    def __init__(self, request):
        self.officer = _load(request, Officer)
        self.__acl__ = scoped_acl(self.officer.unit.ancestor_codes, roles=[Role.ADMIN])


class PublicNoticeContext:
    """A notice as the public may see it: anything not published does not exist for them, except
    a closed missing-person appeal, which stays reachable as a neutral "closed" page (people
    follow old links and posters) with nothing of the person on it."""

    __acl__ = []

    def __init__(self, request):
        # One query for the notice, its unit and its person; a second for its photos.
        notice = _load(request, Notice, options=[selectinload(Notice.media), joinedload(Notice.missing_person)])
        self.closed = notice.kind == "missing_person" and notice.state == "resolved"
        if not (notice.is_public or self.closed):
            raise HTTPNotFound()
        self.notice = notice


class StaffNoticeContext:
    """A notice as staff see it: moderators of its unit or a unit above it may work on it."""

    def __init__(self, request):
        self.notice = _load(request, Notice, options=[selectinload(Notice.media)])
        self.__acl__ = scoped_acl(self.notice.unit.ancestor_codes, roles=[Role.MODERATOR])


class MissingRequestContext:
    """A family's request: dispatchers of its command center (or a center above it) verify it."""

    def __init__(self, request):
        self.missing_request = _load(request, MissingPersonRequest)
        self.__acl__ = scoped_acl(self.missing_request.command_unit.ancestor_codes, roles=[Role.DISPATCHER])


class MissingPhotoContext:
    """A photo of a family's request: its public copy is shown to the dispatchers who verify the
    request, also before publication (the original stays evidence, never served)."""

    def __init__(self, request):
        self.media = _load(request, Media)
        self.missing_request = request.dbsession.execute(
            select(MissingPersonRequest).where(MissingPersonRequest.notice_id == self.media.notice_id)
        ).scalar_one_or_none() if self.media.notice_id is not None else None
        if self.missing_request is None:
            raise HTTPNotFound()
        self.__acl__ = scoped_acl(self.missing_request.command_unit.ancestor_codes, roles=[Role.DISPATCHER])


class SightingContext:
    """A sighting: moderators of the notice's unit (or above) review and forward it."""

    def __init__(self, request):
        self.sighting = _load(request, Sighting)
        self.__acl__ = scoped_acl(self.sighting.unit.ancestor_codes, roles=[Role.MODERATOR])


def _by_token(request, model):
    """The row whose secret link this is; 404 for unknown links (no hint whether one ever existed)."""
    row = request.dbsession.execute(
        select(model).where(model.token_hash == token_hash(request.matchdict["token"]))
    ).scalar_one_or_none()
    if row is None:
        raise HTTPNotFound()
    return row


class AlarmSenderContext:
    """The sender's own alarm, opened with its secret link; no officer permission is involved."""

    __acl__ = []

    def __init__(self, request):
        self.alarm = _by_token(request, Alarm)


class TripContext:
    """The traveller's own trip, opened with its secret link."""

    __acl__ = []

    def __init__(self, request):
        self.trip = _by_token(request, Trip)


class GuardianContext:
    """One guardian's view of a trip, opened with that guardian's secret link."""

    __acl__ = []

    def __init__(self, request):
        self.guardian = _by_token(request, TripGuardian)
        self.trip = self.guardian.trip


class StaffAlarmContext:
    """An alarm: dispatchers of the command center it was routed to, or of a center above it."""

    def __init__(self, request):
        self.alarm = _load(request, Alarm)
        self.__acl__ = scoped_acl(self.alarm.unit.ancestor_codes, roles=[Role.DISPATCHER])


class StaffAlarmPhotoContext:
    """A photo sent with an alarm (in its thread, or from the trip it was raised for): the
    dispatchers of that alarm see its re-encoded copy; the original stays evidence."""

    def __init__(self, request):
        from .services.alarm_dispatch import alarm_of_photo

        self.media = _load(request, Media)
        self.alarm = alarm_of_photo(request.dbsession, self.media.id)
        if self.alarm is None:
            raise HTTPNotFound()
        self.__acl__ = scoped_acl(self.alarm.unit.ancestor_codes, roles=[Role.DISPATCHER])


class TipContext:
    """A tip: moderators and handlers of its receiving unit or a unit above it. Only the assigned
    handler works it and sees the reporter's contact (services/tip_handling.py checks that)."""

    def __init__(self, request):
        self.tip = _load(request, Tip, options=[joinedload(Tip.unit), joinedload(Tip.category)])
        self.__acl__ = scoped_acl(self.tip.unit.ancestor_codes, roles=[Role.MODERATOR, Role.HANDLER])


class TipMediaContext:
    """A file sent with a tip: the officers who may open the tip see its re-encoded copy."""

    def __init__(self, request):
        self.media = _load(request, Media)
        self.attachment = request.dbsession.execute(
            select(TipAttachment).where(TipAttachment.media_id == self.media.id).options(joinedload(TipAttachment.tip))
        ).scalar_one_or_none()
        if self.attachment is None:
            raise HTTPNotFound()
        self.tip = self.attachment.tip
        self.__acl__ = scoped_acl(self.tip.unit.ancestor_codes, roles=[Role.MODERATOR, Role.HANDLER])


def root_unit_codes(dbsession) -> list[str]:
    """The codes of the units at the top of the tree (no parent): the province."""
    return list(dbsession.execute(select(Unit.code).where(Unit.parent_id.is_(None)).order_by(Unit.code)).scalars())


class TipCategoriesRoot:
    """Tip categories are the same province-wide, so only administrators of the root unit manage
    them: a city's or county's administrator would change the form of every other unit."""

    def __init__(self, request):
        self.request = request
        self.__acl__ = scoped_acl(root_unit_codes(request.dbsession), roles=[Role.ADMIN])


class TipCategoryContext(TipCategoriesRoot):
    """One tip category, for the root unit's administrators."""

    def __init__(self, request):
        super().__init__(request)
        self.category = _load(request, TipCategory, options=[selectinload(TipCategory.questions)])


def navigation_context(request, permission):
    """The context the staff navigation asks about a permission: StaffRoot (the role decides),
    except for tip categories (TipCategoriesRoot)."""
    if permission == Permission.MANAGE_CATEGORIES:
        return TipCategoriesRoot(request)
    return StaffRoot(request)


def includeme(config):
    config.add_static_view("static", "portal:static", cache_max_age=3600)

    # Public
    config.add_route("home", "/")
    config.add_route("notices", "/notices")
    config.add_route("notice", r"/notices/{id:\d+}", factory=PublicNoticeContext)
    config.add_route("notice_poster", r"/notices/{id:\d+}/poster", factory=PublicNoticeContext)
    config.add_route("notice_cap", r"/notices/{id:\d+}.cap", factory=PublicNoticeContext)
    config.add_route("sighting_new", r"/notices/{id:\d+}/sightings/new", factory=PublicNoticeContext)
    config.add_route("sighting_thanks", r"/notices/{id:\d+}/sightings/thanks", factory=PublicNoticeContext)
    config.add_route("missing_new", "/missing/new")
    config.add_route("units_geo", "/units.geojson")
    config.add_route("status", "/status")
    config.add_route("status_reply", "/status/reply")  # a tip's reporter answers (code in the POST body)
    config.add_route("tips_new", "/tips/new")
    config.add_route("tip_route", "/tips/route")  # which unit a point goes to, for the tip form's script
    config.add_route("feed_atom", "/feeds/notices.atom")
    config.add_route("feed_cap", "/feeds/notices.cap.atom")
    config.add_route("media", r"/media/{id:\d+}/{variant:public|thumb}")
    config.add_route("api_notices", "/api/v1/notices")
    config.add_route("api_notice", r"/api/v1/notices/{id:\d+}", factory=PublicNoticeContext)
    config.add_route("api_openapi", "/api/openapi.json")
    # Alarms and trips: the secret-link pages and their small JSON endpoints (views/public/alarm*.py, trips.py).
    token = "{token:" + TOKEN_PATTERN + "}"
    config.add_route("alarm", "/alarm")
    config.add_route("embed_alarm", "/embed/alarm")
    config.add_route("alarm_route", "/alarm/route")
    config.add_route("alarm_sender", f"/alarm/{token}", factory=AlarmSenderContext)
    config.add_route("alarm_sender_action", f"/alarm/{token}/{{action:updates|messages|location|photos|cancel}}",
                     factory=AlarmSenderContext)
    config.add_route("service_worker", "/sw.js")
    config.add_route("trip_new", "/trips/new")
    config.add_route("trip", f"/trips/{token}", factory=TripContext)
    config.add_route("trip_action", f"/trips/{token}/{{action:updates|location|photos|arrived|alarm}}",
                     factory=TripContext)
    config.add_route("guard", f"/guard/{token}", factory=GuardianContext)
    config.add_route("guard_action", f"/guard/{token}/{{action:updates|answer|alarm}}", factory=GuardianContext)
    # A trip's photos, served only to holders of one of its links (views/public/trips.py).
    config.add_route("trip_photo", rf"/trips/{token}/photos/{{id:\d+}}/{{variant:public|thumb}}", factory=TripContext)
    config.add_route("guard_photo", rf"/guard/{token}/photos/{{id:\d+}}/{{variant:public|thumb}}",
                     factory=GuardianContext)
    config.add_route("healthz", "/healthz")
    config.add_route("readyz", "/readyz")

    # Staff sign-in
    config.add_route("login", "/login")
    config.add_route("login_totp", "/login/totp")
    config.add_route("login_enrol", "/login/enrol")
    config.add_route("logout", "/logout")

    # Staff
    config.add_route("staff", "/staff", factory=StaffRoot)
    config.add_route("staff_account_totp", "/staff/account/totp", factory=StaffRoot)
    config.add_route("staff_units", "/staff/units", factory=StaffRoot)
    config.add_route("staff_unit_new", "/staff/units/new", factory=StaffRoot)
    config.add_route("staff_unit", r"/staff/units/{id:\d+}", factory=UnitContext)
    config.add_route("staff_officers", "/staff/officers", factory=StaffRoot)
    config.add_route("staff_officer_new", "/staff/officers/new", factory=StaffRoot)
    config.add_route("staff_officer", r"/staff/officers/{id:\d+}", factory=OfficerContext)
    config.add_route("staff_audit", "/staff/audit", factory=StaffRoot)
    config.add_route("staff_notices", "/staff/notices", factory=StaffRoot)
    config.add_route("staff_notice_new", "/staff/notices/new", factory=StaffRoot)
    config.add_route("staff_notice", r"/staff/notices/{id:\d+}", factory=StaffNoticeContext)
    config.add_route("staff_missing", "/staff/missing", factory=StaffRoot)
    config.add_route("staff_missing_request", r"/staff/missing/{id:\d+}", factory=MissingRequestContext)
    config.add_route("staff_missing_photo", r"/staff/missing/photos/{id:\d+}", factory=MissingPhotoContext)
    config.add_route("staff_sightings", "/staff/sightings", factory=StaffRoot)
    config.add_route("staff_sighting", r"/staff/sightings/{id:\d+}", factory=SightingContext)
    config.add_route("staff_sighting_photo", r"/staff/sightings/{id:\d+}/photo", factory=SightingContext)
    config.add_route("staff_alarms", "/staff/alarms", factory=StaffRoot)
    config.add_route("staff_alarms_feed", "/staff/alarms/feed", factory=StaffRoot)
    config.add_route("staff_alarm", r"/staff/alarms/{id:\d+}", factory=StaffAlarmContext)
    config.add_route("staff_alarm_updates", r"/staff/alarms/{id:\d+}/updates", factory=StaffAlarmContext)
    config.add_route("staff_alarm_photo", r"/staff/alarms/photos/{id:\d+}", factory=StaffAlarmPhotoContext)
    config.add_route("staff_tips", "/staff/tips", factory=StaffRoot)
    config.add_route("staff_tip", r"/staff/tips/{id:\d+}", factory=TipContext)
    config.add_route("staff_tip_media", r"/staff/tips/media/{id:\d+}", factory=TipMediaContext)
    config.add_route("staff_categories", "/staff/categories", factory=TipCategoriesRoot)
    config.add_route("staff_category_new", "/staff/categories/new", factory=TipCategoriesRoot)
    config.add_route("staff_category", r"/staff/categories/{id:\d+}", factory=TipCategoryContext)
    config.add_route("staff_stats", "/staff/stats", factory=StaffRoot)
    config.add_route("staff_stats_csv", "/staff/stats.csv", factory=StaffRoot)
