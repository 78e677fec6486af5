"""A sighting on /status (its coarse state and the thread with the police) and /status/sighting-reply,
where the sender answers (portal/status/replies.py keeps the rules every kind shares). An answer is
stored whole (message, audit event) or not at all."""
from pyramid.view import view_config

from portal.core.i18n import _
from portal.outbox import updates
from portal.sightings import thread
from portal.sightings.forms import reply_schema
from portal.status.renderers import messages_stopper, status_renderer
from portal.status.replies import AnswerForm, SubmissionReply

# Coarse and plain: never the moderators' reasons, to whom it went, or what came of it.
STATE_LABELS = {
    "received": _("Received: waiting to be read by the police"),
    "checking": _("Being checked by the police"),
    "passed_on": _("Passed on to the investigators"),
    "closed": _("Closed: the police have finished with your information"),
}
ANSWER_FORM = AnswerForm("sighting-reply", "status_sighting_reply", reply_schema)


def sighting_view(request, sighting, *, reply_form_html=None, notice=None, error=None) -> dict:
    """What templates/sightings/status.html shows of a sighting to whoever holds its code."""
    open_ = thread.accepts_messages(sighting)
    if open_ and reply_form_html is None:
        reply_form_html = ANSWER_FORM.fresh(request)
    state = thread.coarse_state(sighting)
    return {"template": "sightings/status.html", "sighting": sighting, "state": state,
            "state_label": STATE_LABELS[state], "thread": thread.messages(request.dbsession, sighting),
            "reply_form": reply_form_html if open_ else None, "notice": notice, "error": error}


@status_renderer(thread.SUBJECT_TYPE)
def sighting_status(request, subject_id):
    sighting = thread.for_receipt(request.dbsession, subject_id)
    return sighting_view(request, sighting) if sighting is not None else None


@messages_stopper(thread.SUBJECT_TYPE)
def stop_sighting_messages(request, subject_id) -> bool:
    sighting = thread.for_receipt(request.dbsession, subject_id)
    return sighting is not None and updates.stop_asked(request, sighting, (thread.SUBJECT_TYPE, sighting.id))


@view_config(route_name="status_sighting_reply", request_method="POST", require_csrf=False)
class SightingReply(SubmissionReply):
    """The sender's answer to the police about a sighting."""

    subject_type = thread.SUBJECT_TYPE
    answer_form = ANSWER_FORM
    closed = _("This sighting is closed, so no more answers can be added. If you have something new, send it "
               "again from the notice or call the police.")
    expired = _("This form has expired or did not come from this site. Nothing was sent. What you typed is kept "
                "below: send it again.")
    too_many = _("Many answers have been sent for this sighting or from this address. Nothing was sent. Please "
                 "wait ${minutes} minutes and send it again, or call the police.")

    def load(self, subject_id):
        return thread.for_receipt(self.request.dbsession, subject_id)

    def accepts(self, sighting) -> bool:
        return thread.accepts_messages(sighting)

    def count(self, receipt) -> None:
        thread.count_reply(self.request, receipt)

    def view(self, sighting, **values) -> dict:
        return sighting_view(self.request, sighting, **values)

    def save(self, data) -> None:
        thread.reply(self.request, self.subject, data["message"], nonce=data["nonce"] or None)
