"""The messages a family who ticked "tell me when something changes" gets (outbox/updates.py): the
appeal was published, the request was not published, the appeal was closed. Each says only that there
is news, when, and to read it on /status with the receipt code: the reason for a refusal is shown
there (as before), never in the message. Family requests have no thread with the police, so there is
no "the police wrote" message here (the command center calls the family)."""
from portal.core.i18n import _
from portal.missing.models import MissingPersonRequest
from portal.outbox import updates
from portal.outbox.templates import template

SUBJECT_TYPE = "missing_request"  # as services.SUBJECT_TYPE (the receipt's subject)
CONTACT_LABEL = "missing.family_contact"  # as services.CONTACT_LABEL
SUBJECT = _("News about your missing-person request")
PUBLISHED = template("missing.published", _(
    "Police: the missing-person appeal you asked for was published (${time}). Open ${url} and enter your receipt "
    "code to see it."), updates.VALUES, subject=SUBJECT)
REJECTED = template("missing.rejected", _(
    "Police: your missing-person request was not published (${time}). Open ${url} and enter your receipt code to "
    "see why."), updates.VALUES, subject=SUBJECT)
CLOSED = template("missing.closed", _(
    "Police: the missing-person appeal you asked for was closed (${time}). Open ${url} and enter your receipt code "
    "to see it."), updates.VALUES, subject=SUBJECT)
# The message for each step that changes what the family sees on /status.
FOR_STEP = {"publish": PUBLISHED, "reject": REJECTED, "resolve": CLOSED, "withdraw": CLOSED}


def tell(request, missing_request: MissingPersonRequest, step: str) -> None:
    """Queue the step's message for the family in the caller's transaction, if they asked for it."""
    declared = FOR_STEP.get(step)
    if declared is None or not missing_request.notify_consent or not missing_request.family_contact:
        return
    updates.tell(request, declared, subject=(SUBJECT_TYPE, missing_request.id), consent=True,
                 locale=missing_request.locale,
                 **updates.sealed_reach(request, missing_request.family_contact, CONTACT_LABEL))
