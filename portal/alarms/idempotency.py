"""A resent alarm is the same alarm, and a resent line the same line.

A phone on a bad network often sends an alarm whose answer never comes back, and sends it again; a
frightened person presses twice. Each alarm form carries a nonce: one per page load, made by the page's
script (crypto.getRandomValues) or, without JavaScript, by the server when it renders the form. The
alarm's secret link token is derived from that nonce with a server key (an HMAC), so the same nonce
gives the same token and the same row (token_hash is unique), however many times and however close
together it arrives, and the answer to a retry can carry the sender's link again without the token
being stored anywhere. A nonce reused long after (a page kept open for a day) raises a new alarm with
a random token. A nonce that is not well formed is ignored: the alarm is raised with a random token."""
import base64
import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import select

from portal.alarms.models import Alarm, AlarmMessage
from portal.alarms.workflow import ALARM_WORKFLOW
from portal.core.meta import utcnow
from portal.core.nonces import new_nonce, well_formed  # noqa: F401 - the alarm views take both from here
from portal.privacy.links import new_token, token_hash

RESEND_WINDOW = timedelta(minutes=30)  # a resend later than this, or to an ended alarm, is a new alarm


def _key(request) -> bytes:
    secret = request.registry.settings["portal.session_secret"].encode("utf-8")
    return hmac.new(secret, b"portal alarm resend", hashlib.sha256).digest()


def token_for(request, nonce) -> tuple[str, str]:
    """(token, hash) for an alarm: derived from a well-formed nonce, random otherwise."""
    nonce = well_formed(nonce)
    if nonce is None:
        return new_token()
    digest = hmac.new(_key(request), nonce.encode("ascii"), hashlib.sha256).digest()
    token = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return token, token_hash(token)


def by_hash(dbsession, hashed: str) -> Alarm | None:
    """The alarm a (derived) token raised, if any."""
    return dbsession.execute(select(Alarm).where(Alarm.token_hash == hashed)).scalar_one_or_none()


def resendable(alarm: Alarm) -> bool:
    """Whether a resend returns this alarm: it is still open and recent. Otherwise (a page kept open
    for a day, an ended alarm) the resend is a new alarm."""
    return alarm.state not in ALARM_WORKFLOW.final and alarm.created_at >= utcnow() - RESEND_WINDOW


def resent_message(dbsession, alarm: Alarm, nonce) -> AlarmMessage | None:
    """The line this nonce already put in the alarm's thread, if any."""
    nonce = well_formed(nonce)
    if nonce is None:
        return None
    return dbsession.execute(select(AlarmMessage).where(
        AlarmMessage.alarm_id == alarm.id, AlarmMessage.client_nonce == nonce)).scalar_one_or_none()


def keep_new_text(dbsession, alarm: Alarm, text: str) -> None:
    """A resend whose text differs from the first (typed more before pressing again): the new
    words join the thread instead of being lost."""
    text = (text or "").strip()
    if not text:
        return
    known = dbsession.execute(select(AlarmMessage.text).where(
        AlarmMessage.alarm_id == alarm.id, AlarmMessage.sender == "public")).scalars().all()
    if text not in known:
        dbsession.add(AlarmMessage(alarm=alarm, sender="public", text=text))
        dbsession.flush()
