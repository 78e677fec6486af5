"""The calls' worker job: end the calls no one is on any more. A call whose caller's page has not
polled for `portal.call.gone_seconds` (the page closed, the phone lost its network) is dropped
(unanswered, or failed once answered), so the console stops ringing for it and the dispatcher sees
why; a call whose alarm ended is ended too, where the alarm's own step could not (another request
changed the call at that instant: services.on_alarm_ended)."""
from portal.calls import services
from portal.core.refused import Refused

SETTING = "portal.call.gone_seconds"


def end_gone(request, now=None) -> int:
    """One round: how many calls it ended. A call another request changed meanwhile (the caller hung
    up, a dispatcher answered) is refused by the compare-and-set before anything is written, and is
    looked at again next round."""
    dbsession = request.dbsession
    seconds = int(request.registry.settings[SETTING])
    ended = 0
    for call in services.calls_of_ended_alarms(dbsession):
        ended += _step(lambda c=call: services.end_with_alarm(request, c))
    for call in services.gone_calls(dbsession, seconds, now=now):
        ended += _step(lambda c=call: services.drop_gone(
            request, c, f"the caller's page did not poll for {seconds} s"))
    dbsession.flush()
    return ended


def _step(step) -> int:
    try:
        step()
    except Refused as refused:
        if refused.status != 409:
            raise
        return 0
    return 1
