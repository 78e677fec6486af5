"""The messages a sighting's sender who ticked "tell me when something changes" gets (outbox/updates.py):
the police wrote to them, the sighting was passed on to the officers on the case, it was closed. Each
says only that there is news, when, and to read it on /status with the receipt code: nothing of the
sighting, the notice, the thread or the reason."""
from portal.core.i18n import _
from portal.outbox import updates
from portal.outbox.templates import template
from portal.sightings.models import CONTACT_LABEL, Sighting

SUBJECT = _("News about the sighting you reported")
POLICE_WROTE = template("sighting.police_wrote", _(
    "Police: there is a new message for you about the sighting you reported (${time}). To read it, open ${url} and "
    "enter your receipt code."), updates.VALUES, subject=SUBJECT)
PASSED_ON = template("sighting.passed_on", _(
    "Police: the sighting you reported was passed on to the officers on the case (${time}). Open ${url} and enter "
    "your receipt code to see it."), updates.VALUES, subject=SUBJECT)
CLOSED = template("sighting.closed", _(
    "Police: the sighting you reported was closed (${time}). Open ${url} and enter your receipt code to see it."),
    updates.VALUES, subject=SUBJECT)
# The message for each state the sender sees change to ("checking" is not news worth a message).
FOR_STATE = {"forwarded": PASSED_ON, "closed": CLOSED}


def tell(request, sighting: Sighting, what: str, *, subject_type: str) -> None:
    """Queue the message for `what` changed ("message", or "state": the sighting's new state) in the
    caller's transaction, if the sender asked for it."""
    declared = POLICE_WROTE if what == "message" else FOR_STATE.get(sighting.state)
    if declared is None or not sighting.notify_consent or not sighting.contact:
        return
    updates.tell(request, declared, subject=(subject_type, sighting.id), consent=True,
                 locale=sighting.locale, **updates.sealed_reach(request, sighting.contact, CONTACT_LABEL))
