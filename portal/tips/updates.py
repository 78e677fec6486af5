"""The messages a reporter who ticked "tell me when something changes" gets (outbox/updates.py): the
police wrote to them, a reward was approved, the tip was closed. Each says only that there is news,
when, and to read it on /status with the receipt code: nothing of the tip, the thread or the reason."""
from portal.core.i18n import _
from portal.outbox import updates
from portal.outbox.templates import template
from portal.tips.models import Tip
from portal.tips.submission import CONTACT_LABEL, SUBJECT_TYPE

SUBJECT = _("News about your tip")
POLICE_WROTE = template("tip.police_wrote", _(
    "Police: there is a new message for you about your tip (${time}). To read it, open ${url} and enter your "
    "receipt code."), updates.VALUES, subject=SUBJECT)
REWARD_APPROVED = template("tip.reward_approved", _(
    "Police: a reward was approved for your tip (${time}). Open ${url} and enter your receipt code to see what to "
    "do next."), updates.VALUES, subject=SUBJECT)
CLOSED = template("tip.closed", _(
    "Police: your tip was closed (${time}). Open ${url} and enter your receipt code to see it."), updates.VALUES,
    subject=SUBJECT)


def tell(request, tip: Tip, declared) -> None:
    """Queue `declared` for the tip's reporter in the caller's transaction, if they asked for it."""
    if not tip.notify_consent or tip.contact is None:
        return
    updates.tell(request, declared, subject=(SUBJECT_TYPE, tip.id), consent=True,
                 locale=tip.locale, **updates.sealed_reach(request, tip.contact, CONTACT_LABEL))
