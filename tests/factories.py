"""Factories for test data: small, explicit, one call per row."""
import io
import itertools
from datetime import timedelta

import pyotp

from portal.accounts.models import Officer
from portal.accounts.passwords import hash_password
from portal.alarms.models import Alarm
from portal.core.meta import utcnow
from portal.media.models import Media
from portal.missing.models import MissingPersonRequest
from portal.notices.models import MissingPersonDetails, Notice
from portal.sightings.models import Sighting
from portal.tips.models import Tip, TipCategory, TipQuestion
from portal.trips.models import Trip, TripGuardian
from portal.units.models import Unit

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)
_HASH = None


def _password_hash():
    # argon2 is slow on purpose; one hash of the shared test password serves every factory call.
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def make_unit(dbsession, code, parent=None, name=None, **kw) -> Unit:
    level = "province" if parent is None else ("city" if parent.parent_id is None else "county")
    unit = Unit(code=code, parent=parent, path=Unit.make_path(parent, code), level=level,
                name_zh=name or f"单位{code}", name_en=name or f"Unit {code}", name_ug="",
                phone_110="110", sms_suffix=code[-2:], is_command_center=parent is None or level == "city", **kw)
    dbsession.add(unit)
    dbsession.flush()
    return unit


def make_units(dbsession) -> dict[str, Unit]:
    """A province with two cities, each with one county."""
    province = make_unit(dbsession, "990000", name="Test Province")
    city_a = make_unit(dbsession, "990100", province, name="City A")
    city_b = make_unit(dbsession, "990200", province, name="City B")
    county_a = make_unit(dbsession, "990101", city_a, name="County A1")
    county_b = make_unit(dbsession, "990201", city_b, name="County B1")
    return {"province": province, "city_a": city_a, "city_b": city_b,
            "county_a": county_a, "county_b": county_b}


def make_officer(dbsession, unit, roles=(), username=None, totp_secret=None, cipher=None, **kw) -> Officer:
    kw.setdefault("display_name", "Test Officer")
    officer = Officer(username=username or f"officer{next(_counter)}",
                      password_hash=_password_hash(), unit=unit, active=True, **kw)
    officer.set_roles(roles)
    if totp_secret is not None:
        officer.totp_secret = cipher.encrypt(totp_secret, "officer.totp")
        officer.totp_enabled = True
    dbsession.add(officer)
    dbsession.flush()
    return officer


def make_notice(dbsession, unit, kind="wanted", state="published", title=None, minutes_ago=0, **kw) -> Notice:
    n = next(_counter)
    published = utcnow() - timedelta(minutes=minutes_ago) if state == "published" else None
    kw.setdefault("body", "Body text.")
    kw.setdefault("updated_at", published or utcnow())
    notice = Notice(kind=kind, state=state, unit=unit, title=title or f"Notice {n}", slug=f"notice-{n}",
                    published_at=published, **kw)
    if kind == "missing_person":
        notice.missing_person = MissingPersonDetails(full_name=f"Person {n}", sex="female", age=30)
    dbsession.add(notice)
    dbsession.flush()
    return notice


def make_missing_request(dbsession, cipher, accepting_unit, command_unit=None, state="submitted",
                         contact='{"name": "Li Hua", "phone": "13800000000", "relationship": "mother"}',
                         **kw) -> MissingPersonRequest:
    """A family's request with its draft notice (the notice is published only with the request)."""
    notice = make_notice(dbsession, accepting_unit, kind="missing_person",
                         state="published" if state in ("published",) else "draft")
    request = MissingPersonRequest(
        state=state, notice=notice, accepting_unit=accepting_unit, command_unit=command_unit or accepting_unit,
        accepting_unit_phone="0311-1234567", acceptance_receipt_no=f"JJ-{next(_counter)}",
        family_contact=cipher.encrypt(contact, "missing.family_contact"), **kw)
    dbsession.add(request)
    dbsession.flush()
    return request


def make_sighting(dbsession, notice, cipher=None, contact=None, **kw) -> Sighting:
    kw.setdefault("text", "I saw this person at the bus station.")
    sighting = Sighting(notice=notice, unit=notice.unit, place=kw.pop("place", "Bus station"),
                        contact=cipher.encrypt(contact, "sighting.contact") if contact else None, **kw)
    dbsession.add(sighting)
    dbsession.flush()
    return sighting


def jpeg_bytes(size=(40, 30), colour=(200, 30, 30), exif: bytes | None = None) -> bytes:
    """A small real JPEG, optionally carrying EXIF (e.g. GPS) as a phone photo would."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", **({"exif": exif} if exif else {}))
    return out.getvalue()


def make_photo(dbsession, store, notice=None) -> Media:
    """A stored photo with its public copies, as services/uploads.py leaves it."""
    from portal.media.images import derive_public_copies

    key, sha, size = store.put_bytes(jpeg_bytes(), ".jpg")
    media = Media(notice=notice, kind="image", sha256=sha, size=size, content_type="image/jpeg",
                  original_key=key, **derive_public_copies(store, key))
    dbsession.add(media)
    dbsession.flush()
    return media


def make_alarm(dbsession, unit, **kw) -> tuple[Alarm, str]:
    """An alarm routed to `unit`, and the token of the sender's link."""
    from portal.privacy.links import new_token

    token, hashed = new_token()
    kw.setdefault("kind", "silent")
    kw.setdefault("lat", 38.2)
    kw.setdefault("lon", 115.3)
    kw.setdefault("accuracy_m", 25.0)
    kw.setdefault("located_at", utcnow())
    alarm = Alarm(token_hash=hashed, unit=unit, **kw)
    dbsession.add(alarm)
    dbsession.flush()
    return alarm, token


def make_trip(dbsession, guardians=("Mum",), **kw) -> tuple[Trip, str, list[str]]:
    """An active trip, the traveller's token and one token per guardian."""
    from portal.privacy.links import new_token

    token, hashed = new_token()
    kw.setdefault("destination", "Railway station")
    kw.setdefault("expected_arrival_at", utcnow() + timedelta(hours=1))
    trip = Trip(token_hash=hashed, **kw)
    guardian_tokens = []
    for label in guardians:
        guardian_token, guardian_hash = new_token()
        trip.guardians.append(TripGuardian(token_hash=guardian_hash, label=label))
        guardian_tokens.append(guardian_token)
    dbsession.add(trip)
    dbsession.flush()
    return trip, token, guardian_tokens


def totp_now(secret: str) -> str:
    return pyotp.TOTP(secret).now()


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self):
        return self.now


def make_category(dbsession, slug=None, questions=(), danger=False, **kw) -> TipCategory:
    """A tip category; questions are dicts of TipQuestion fields (key, kind, required, labels, choices...)."""
    slug = slug or f"cat-{next(_counter)}"
    names = kw.pop("names", {"zh_CN": f"类别{slug}", "en": f"Category {slug}", "ug": f"Category {slug}"})
    category = TipCategory(slug=slug, names=names, descriptions=kw.pop("descriptions", {}), danger=danger, **kw)
    for position, fields in enumerate(questions):
        fields = dict(fields)
        fields.setdefault("labels", {"zh_CN": fields["key"], "en": fields["key"]})
        category.questions.append(TipQuestion(position=position, **fields))
    dbsession.add(category)
    dbsession.flush()
    return category


def make_tip(dbsession, unit, category=None, cipher=None, contact=None, minutes_ago=0, **kw) -> Tip:
    """A tip as the public form leaves it (state received unless given); contact is sealed like the service does."""
    category = category or make_category(dbsession)
    created = utcnow() - timedelta(minutes=minutes_ago)
    kw.setdefault("description", "Someone sells fake medicine behind the market every evening.")
    tip = Tip(category=category, unit=unit, created_at=created, updated_at=created,
              contact=cipher.encrypt(contact, "tip.contact") if contact else None, **kw)
    dbsession.add(tip)
    dbsession.flush()
    return tip


def solve_pow(challenge_value: str) -> str:
    """The nonce for a proof-of-work challenge, as static/js/pow.js finds it. In a WebTest form:
    ``form["pow_nonce"] = solve_pow(form["pow_challenge"].value)`` (tests use 4 bits: instant)."""
    from portal.abuse.pow import solve

    return solve(challenge_value)


def sign_in(request, officer, context_factory=None, row=None):
    """The request with `officer` signed in (as the session would carry them) and, given a context
    factory and a row, the context its route would build: what the workflow engine checks roles
    against."""
    from portal.accounts.policy import SESSION_KEY, auth_epoch

    request.session[SESSION_KEY] = officer.id
    request.session["auth_epoch"] = auth_epoch(officer)
    if hasattr(request, "identity") and "identity" in request.__dict__:
        del request.__dict__["identity"]  # reified: ask the policy again
    if context_factory is not None:
        request.matchdict = {"id": str(row.id)}
        request.context = context_factory(request)
    return request


class Granting:
    """A context that grants these permissions to anyone: for testing a workflow's declaration and the
    engine without a unit tree (the unit scope itself is tested through the resources)."""

    def __init__(self, *permissions):
        from pyramid.authorization import Allow, Everyone

        self.__acl__ = [(Allow, Everyone, str(p)) for p in permissions]


def make_invitation(dbsession, officer, mode="location", **kw):
    """A dispatcher's invitation of the officer's unit (calls/invitations/services.py), and its link's token."""
    from datetime import timedelta

    from portal.calls.invitations.models import CallInvitation
    from portal.privacy.links import new_token

    token, hashed = new_token()
    now = utcnow()
    kw.setdefault("expires_at", now + timedelta(minutes=30))
    invitation = CallInvitation(token_hash=hashed, unit=officer.unit, officer=officer, mode=mode, created_at=now, **kw)
    dbsession.add(invitation)
    dbsession.flush()
    return invitation, token
