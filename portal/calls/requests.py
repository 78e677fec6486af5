"""Reading the call endpoints' requests: a JSON body, the call it names, the poll's cursor and wait.
Anything malformed is Refused (400), answered as JSON by the one exception view."""
from sqlalchemy import select

from portal.calls.models import Call
from portal.core.i18n import _
from portal.core.ids import record_id
from portal.core.refused import Refused

NOT_JSON = _("Send a JSON object.")


def json_body(request) -> dict:
    try:
        body = request.json_body
    except (ValueError, UnicodeDecodeError):
        raise Refused(NOT_JSON, 400) from None
    if not isinstance(body, dict):
        raise Refused(NOT_JSON, 400)
    return body


def call_of_alarm(request, alarm, value) -> Call:
    """The call named by `value` (an id), which must be one of this alarm's: 404 otherwise."""
    call_id = record_id(value)
    call = call_id and request.dbsession.execute(
        select(Call).where(Call.id == call_id, Call.alarm_id == alarm.id)).scalar_one_or_none()
    if not call:
        raise Refused(_("There is no such call on this alarm."), 404)
    return call


def cursor(request) -> tuple[int, int, float]:
    """(after signal id, call version seen, seconds to wait) from the poll's query string."""
    after, version = request.GET.get("after", "0") or "0", request.GET.get("version", "0") or "0"
    after = 0 if after == "0" else record_id(after)
    version = 0 if version == "0" else record_id(version)
    wait = request.GET.get("wait", "0") or "0"
    longest = float(request.registry.settings["portal.call.long_poll_seconds"])
    if after is None or version is None or not (wait.isascii() and wait.isdigit() and len(wait) <= 3):
        raise Refused(_("after, version and wait are whole numbers."), 400)
    return after, version, min(float(wait), longest)
