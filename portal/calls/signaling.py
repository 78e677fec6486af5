"""The WebRTC signals of a call (offer, answer, ICE candidates, hang-up), checked before they are
stored: each side may send only its own kinds, each of a bounded size and shape, only while the call
is open. The dispatcher offers (when answering, and again to restart ICE); the caller answers."""
from sqlalchemy import func, select

from portal.calls.models import Call, CallSignal
from portal.calls.workflow import CALL_WORKFLOW
from portal.core.db import insert_once
from portal.core.i18n import _
from portal.core.refused import Refused

MAX_SDP = 32 * 1024  # a video call's SDP is a few KB; more is not an SDP
MAX_CANDIDATE = 1024
MAX_SIGNALS = 500  # per call and side: candidates of several ICE restarts, no more
SENDS = {"caller": ("answer", "candidate", "bye"), "dispatcher": ("offer", "candidate", "bye")}
OTHER = {"caller": "dispatcher", "dispatcher": "caller"}

BAD = _("This is not a signal of a call.")


def _text(value, limit, *, required=True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise Refused(BAD, 400)
    return value


def checked_body(kind: str, body) -> dict | None:
    """The body as it will be stored and handed on: only the fields RTCPeerConnection takes."""
    if kind == "bye":
        return None
    if not isinstance(body, dict):
        raise Refused(BAD, 400)
    if kind in ("offer", "answer"):
        sdp = _text(body.get("sdp"), MAX_SDP)
        if body.get("type") != kind or not sdp.startswith("v=0"):
            raise Refused(BAD, 400)
        return {"type": kind, "sdp": sdp}
    index = body.get("sdpMLineIndex")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 64):
        raise Refused(BAD, 400)
    return {
        # "" is the end of the candidates (a valid signal); None fields are left out by the browser.
        "candidate": _text(body.get("candidate"), MAX_CANDIDATE),
        "sdpMid": _text(body.get("sdpMid"), 64, required=False),
        "sdpMLineIndex": index,
        "usernameFragment": _text(body.get("usernameFragment"), 256, required=False),
    }


def post(dbsession, call: Call, side: str, kind, body) -> CallSignal:
    """Store one signal from `side`; Refused 400 (not its kind, malformed), 409 (the call ended),
    429 (too many for one call)."""
    if not isinstance(kind, str) or kind not in SENDS[side]:
        raise Refused(BAD, 400)
    stored_body = checked_body(kind, body)
    if call.state in CALL_WORKFLOW.final:
        raise Refused(CALL_WORKFLOW.final_message, 409)
    # One post into a call at a time, so its signals become visible in id order: on PostgreSQL an id is
    # taken at insert and the row shows at commit, and a poll whose cursor passed a later id would never
    # read an earlier one committed after it. (SQLite has one writer at a time and ignores this.)
    dbsession.execute(select(Call.id).where(Call.id == call.id).with_for_update())
    sent = dbsession.execute(select(func.count(CallSignal.id)).where(
        CallSignal.call_id == call.id, CallSignal.side == side)).scalar_one()
    if sent >= MAX_SIGNALS:
        raise Refused(_("Too many signals for one call."), 429)
    signal = CallSignal(call_id=call.id, side=side, kind=kind, body=stored_body)
    if not insert_once(dbsession, signal):
        raise RuntimeError("the signal could not be stored")
    return signal


def for_side(dbsession, call_id: int, reader: str, after_id: int = 0) -> list[CallSignal]:
    """The other side's signals after `after_id`, oldest first (ids only grow within a call's rows
    read by one poller; a candidate that arrives late is still after the id the reader has)."""
    return dbsession.execute(
        select(CallSignal).where(CallSignal.call_id == call_id, CallSignal.side == OTHER[reader],
                                 CallSignal.id > after_id).order_by(CallSignal.id)
    ).scalars().all()


def signal_json(signal: CallSignal) -> dict:
    return {"id": signal.id, "kind": signal.kind, "body": signal.body}
