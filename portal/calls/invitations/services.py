"""A dispatcher's invitation to share (instant on scene), both sides.

The dispatcher: `invite` stores the invitation for the dispatcher's command center, queues the SMS
with the one-time link (the outbox sends it after commit) and audits it without the number. The
invited person, holding the link: `open_link` marks it opened and binds it to their browser;
`consent` raises the alarm for the inviting center (not routed by position), tied to the invitation,
and returns the alarm's secret link. The link's token is never stored, and neither is the alarm's:
the alarm is raised with a nonce derived from the invitation, so its link follows from the
invitation's link and the server key (alarms/idempotency.py) and a second consent finds it again."""
import hashlib
import secrets
from datetime import timedelta

from pyramid.i18n import make_localizer
from pyramid.interfaces import ITranslationDirectories
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.alarms import idempotency
from portal.alarms import raising as alarms
from portal.alarms.models import AlarmMessage
from portal.alarms.thread import as_params
from portal.audit import chain as audit
from portal.calls.invitations.forms import mobile_number
from portal.calls.invitations.models import PHONE_LABEL, CallInvitation
from portal.calls.invitations.workflow import INVITATION_WORKFLOW, INVITEE, WAITING
from portal.core.i18n import _
from portal.core.links import public_url
from portal.core.meta import utcnow
from portal.core.refused import Refused
from portal.outbox import services as outbox
from portal.privacy import protected, retention
from portal.privacy.links import new_token
from portal.units.models import Unit
from portal.units.scope import in_scope_clause
from portal.workflow import LinkHolder

RECENT = timedelta(hours=12)  # invitations the console lists
RECENT_LIMIT = 20
DEVICE_COOKIE = "portal_invite_device"
ALARM_KIND = {"location": "silent", "video": "video", "upload": "silent"}
# What the person is asked to share, in the SMS, on the page and in the alarm's thread.
SHARES = {
    "location": _("your location"),
    "video": _("your location and live video from your camera"),
    "upload": _("your location and photos you take"),
}
SMS = outbox.template("call.invitation", _("Police ${center}: a dispatcher asks you to share ${what}. Open within "
                                           "${minutes} minutes: ${url}"), ("center", "what", "minutes", "url"))
LINE = _("Raised at the invitation of dispatcher ${name}: the sender agreed to share ${what}.")


def lifetime(settings) -> timedelta:
    return timedelta(minutes=int(settings["portal.call.invitation_minutes"]))


def inviting_unit(officer) -> Unit:
    """The center the invitation (and its alarm) belongs to: the inviting dispatcher's own unit, their
    command center. Not the nearest center above it: the console lists the alarms of the officer's
    unit and the units below it, so an alarm sent higher up would never reach the dispatcher who
    invited it (the centers above see it all the same)."""
    return officer.unit


def _sms_values(request, locale: str, unit: Unit, mode: str, minutes: int, url: str) -> dict:
    """The SMS's values in the language the dispatcher chose: the center's name, what is asked, the
    link. Nothing personal: not the person's name, not the number, not the place."""
    dirs = request.registry.queryUtility(ITranslationDirectories, default=[])
    what = make_localizer(locale, dirs).translate(SHARES[mode])
    return {"center": unit.name(locale), "what": what, "minutes": minutes, "url": url}


def _sent_last_hour(dbsession, officer) -> int:
    return dbsession.execute(select(func.count(CallInvitation.id)).where(
        CallInvitation.officer_id == officer.id, CallInvitation.created_at >= utcnow() - timedelta(hours=1))
    ).scalar_one()


def invite(request, phone: str, mode: str, language: str) -> CallInvitation:
    """Store an invitation of the signed-in dispatcher's command center and queue its SMS. Refused
    (429) past `portal.call.invitations_per_hour` for one dispatcher (an SMS costs, and reaches a
    stranger's phone)."""
    officer, dbsession, settings = request.identity, request.dbsession, request.registry.settings
    number = mobile_number(phone)
    if number is None:
        raise Refused(_("Give a mainland China mobile number."), 400, "phone")
    per_hour = int(settings["portal.call.invitations_per_hour"])
    if _sent_last_hour(dbsession, officer) >= per_hour:
        raise Refused(_("You sent ${n} invitations within the last hour: that is the limit. Ask a colleague, "
                        "or wait.", mapping={"n": per_hour}), 429)
    unit = inviting_unit(officer)
    token, hashed = new_token()
    now = utcnow()
    invitation = CallInvitation(token_hash=hashed, unit=unit, officer=officer, mode=mode,
                                phone=protected.seal(request, number, PHONE_LABEL), state=INVITATION_WORKFLOW.initial,
                                created_at=now, expires_at=now + lifetime(settings))
    dbsession.add(invitation)
    dbsession.flush()
    url = public_url(request, "call_invitation", token=token, _query={"lang": language})
    minutes = int(settings["portal.call.invitation_minutes"])
    values = _sms_values(request, language, unit, mode, minutes, url)
    message = outbox.send_template(request, "sms", number, SMS, values, language, ("call_invitation", invitation.id))
    # No number, no link: what was asked, by which center, and which outbox row carries it.
    audit.record(request, "call_invitation.sent", object_type="call_invitation", object_id=invitation.id,
                 to_state=invitation.state, reason=f"mode {mode}; unit {unit.code}; outbox {message.id}")
    return invitation


def recent(dbsession, officer, *, now=None) -> list[CallInvitation]:
    """The invitations of the centers in the officer's scope from the last RECENT, newest first."""
    since = (now or utcnow()) - RECENT
    return dbsession.execute(
        select(CallInvitation).join(Unit, Unit.id == CallInvitation.unit_id)
        .where(in_scope_clause(officer), CallInvitation.created_at >= since)
        .options(selectinload(CallInvitation.officer), selectinload(CallInvitation.unit))
        .order_by(CallInvitation.created_at.desc(), CallInvitation.id.desc()).limit(RECENT_LIMIT)
    ).scalars().all()


def shown_state(invitation: CallInvitation, now=None) -> str:
    """The state as people should read it: one still waiting past its expiry is expired, whether or
    not the worker has marked it yet."""
    if invitation.state in WAITING and invitation.expires_at <= (now or utcnow()):
        return "expired"
    return invitation.state


def revoke(request, invitation: CallInvitation, version) -> None:
    INVITATION_WORKFLOW.apply(request, invitation, "revoke", version=version,
                              audit_reason=f"unit {invitation.unit.code}")


def expire(request, invitation: CallInvitation) -> None:
    INVITATION_WORKFLOW.apply(request, invitation, "expire", actor="system",
                              reason="not used within its lifetime")


def expire_due(request, now=None) -> int:
    """The worker: invitations still waiting past their expiry become expired."""
    rows = request.dbsession.execute(
        select(CallInvitation).where(CallInvitation.state.in_(WAITING), CallInvitation.expires_at <= (now or utcnow()))
        .order_by(CallInvitation.id).limit(200)
    ).scalars().all()
    for invitation in rows:
        expire(request, invitation)
    return len(rows)


def purge_ended(request, now=None) -> int:
    """Retention: an invitation that ended (used, expired, withdrawn) longer ago than its SMS is kept
    (`portal.retention.outbox_days`) loses its sealed number and its device binding; the row stays
    (unit, dispatcher, mode, state, times) for the record. A used invitation's number lives on sealed
    with its alarm, and goes with the alarm's own retention."""
    run = retention.start(request, "call_invitation", "portal.retention.outbox_days", now)
    due = run.due(select(CallInvitation).where(
        CallInvitation.state.in_(INVITATION_WORKFLOW.final), CallInvitation.created_at <= run.before,
        CallInvitation.phone.is_not(None) | CallInvitation.device_hash.is_not(None)).order_by(CallInvitation.id))
    for invitation in due:
        invitation.phone, invitation.device_hash = None, None
    run.rows = len(due)
    run.add("numbers removed", len(due))
    return run.report()


# -- the invited person, holding the link ------------------------------------------------------

def device_hash(secret: str) -> str:
    return hashlib.sha256(("invite-device:" + secret).encode("utf-8")).hexdigest()


def new_device_secret() -> str:
    return secrets.token_urlsafe(32)


def refusal(invitation: CallInvitation | None, secret: str | None, *, now=None) -> str | None:
    """Why this browser cannot use the link now: "unknown", "expired", "revoked", "other_device",
    "used" (on this browser: it leads back to its alarm); None when it can."""
    if invitation is None:
        return "unknown"
    bound = invitation.device_hash
    if bound is not None and (secret is None or device_hash(secret) != bound):
        return "other_device"
    if invitation.state == "used":
        return "used"
    if invitation.state == "revoked":
        return "revoked"
    if shown_state(invitation, now) == "expired":
        return "expired"
    return None


def _bind(invitation: CallInvitation, secret: str) -> None:
    if invitation.device_hash is None:
        invitation.device_hash = device_hash(secret)


def open_link(request, invitation: CallInvitation, secret: str, *, bind: bool) -> None:
    """The first opening: opened (audited). `bind` binds the link to this browser now (a browser's
    own navigation); otherwise (a link preview fetched by a messaging app) the binding waits for the
    consent."""
    if bind:
        _bind(invitation, secret)
    if invitation.state == "sent":
        invitation.opened_at = utcnow()
        INVITATION_WORKFLOW.apply(request, invitation, "open", actor="public", context=LinkHolder(INVITEE))


def _nonce(invitation: CallInvitation) -> str:
    return "invite-" + invitation.token_hash[:48]


def alarm_path(request, invitation: CallInvitation) -> str | None:
    """The path of the alarm the invitation raised (its sender's page); None without one."""
    alarm = invitation.alarm
    if alarm is None:
        return None
    token, hashed = idempotency.token_for(request, _nonce(invitation))
    return request.route_path("alarm_sender", token=token) if alarm.token_hash == hashed else None


def consent(request, invitation: CallInvitation, secret: str) -> str:
    """The person agreed: the alarm of the inviting center (a video alarm when live video was asked,
    else a silent one), the number the SMS went to as its sealed contact, a system line naming the
    dispatcher who invited; the link is used. Returns the alarm's page. Refused (409) when the link
    is no longer open (the engine's compare-and-set: of two presses at once only one raises it)."""
    INVITATION_WORKFLOW.apply(request, invitation, "consent", actor="public", context=LinkHolder(INVITEE))
    _bind(invitation, secret)
    phone = request.registry["field_cipher"].decrypt(invitation.phone, PHONE_LABEL) if invitation.phone else None
    alarm, token = alarms.raise_alarm(request, kind=ALARM_KIND[invitation.mode], unit=invitation.unit,
                                      contact={"phone": phone} if phone else None, nonce=_nonce(invitation))
    mapping = {"name": invitation.officer.display_name or invitation.officer.username,
               "what": SHARES[invitation.mode]}
    request.dbsession.add(AlarmMessage(alarm=alarm, sender="system", text=str(LINE), params=as_params(mapping)))
    invitation.alarm, invitation.used_at = alarm, utcnow()
    request.dbsession.flush()
    audit.record(request, "call_invitation.alarm", officer=None, actor="public", object_type="call_invitation",
                 object_id=invitation.id, reason=f"alarm {alarm.id}; unit {invitation.unit.code}")
    return request.route_path("alarm_sender", token=token)


def of_alarm(dbsession, alarm_id: int) -> CallInvitation | None:
    """The invitation an alarm came from, if any (for the staff alarm page)."""
    return dbsession.execute(select(CallInvitation).where(CallInvitation.alarm_id == alarm_id)
                             .options(selectinload(CallInvitation.officer))).scalar_one_or_none()
