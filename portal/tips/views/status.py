"""A tip on /status (the reporter's coarse status, the thread, the reward) and /status/reply, where
the reporter answers with text and files (portal/status/replies.py keeps the rules every kind shares).
A reply is stored whole (message, files, audit event) or not at all: files already written go with a
refused reply's doomed transaction."""
from pyramid.view import view_config

from portal.core.i18n import _
from portal.core.refused import Refused
from portal.outbox import updates
from portal.status.renderers import messages_stopper, status_renderer
from portal.status.replies import AnswerForm, SubmissionReply
from portal.tips import submission as tips
from portal.tips import upload_stream
from portal.tips.forms import reply_schema

STATE_LABELS = {
    "received": _("Received: waiting to be read by the police"),
    "handling": _("Being handled by the police"),
    "closed": _("Closed: the police have finished handling your tip"),
}
ANSWER_FORM = AnswerForm("tip-reply", "status_reply", reply_schema)


def tip_view(request, tip, *, reply_form_html=None, notice=None, error=None) -> dict:
    """What templates/tips/status.html shows of a tip to whoever holds its code."""
    open_ = tips.accepts_replies(tip)
    if open_ and reply_form_html is None:
        reply_form_html = ANSWER_FORM.fresh(request)
    state = tips.coarse_state(tip)
    return {"template": "tips/status.html", "stylesheet": "portal:static/css/tips.css", "tip": tip,
            "state": state, "state_label": STATE_LABELS[state], "thread": tips.public_thread(request.dbsession, tip),
            "first_files": tips.first_files(tip), "rewards": tips.visible_rewards(request.dbsession, tip),
            "category_name": tips.text_in(tip.category.names, request.locale_name),
            "reply_form": reply_form_html if open_ else None, "notice": notice, "error": error}


@status_renderer(tips.SUBJECT_TYPE)
def tip_status(request, subject_id):
    tip = tips.for_receipt(request.dbsession, subject_id)
    return tip_view(request, tip) if tip is not None else None


@messages_stopper(tips.SUBJECT_TYPE)
def stop_tip_messages(request, subject_id) -> bool:
    tip = tips.for_receipt(request.dbsession, subject_id)
    return tip is not None and updates.stop_asked(request, tip, (tips.SUBJECT_TYPE, tip.id))


@view_config(route_name="status_reply", request_method="POST", require_csrf=False)
class StatusReply(SubmissionReply):
    """The reporter's answer with files. A body refused unread (too many posts from the address, a
    declared size over the limit) has no code to look up: the /status page says why."""

    subject_type = tips.SUBJECT_TYPE
    answer_form = ANSWER_FORM
    closed = _("This tip is closed, so no more answers can be added. If you have something new, send a new tip "
               "or call the police.")
    expired = _("This form has expired or did not come from this site. Nothing was sent. What you typed is kept "
                "below: please choose the files again, if any, and send it again.")
    too_many = _("Many answers have been sent for this tip or from this address. Nothing was sent. Please wait "
                 "${minutes} minutes and send it again, or call the police.")

    def body_refusal(self):
        unread = upload_stream.refused_unread(self.request)
        if unread is not None:  # none of the body was read: there is no code to look up
            raise unread
        refusal = upload_stream.refusal(self.request)
        return None if refusal is None else Refused(refusal.message, tips.refusal_status(refusal))

    def load(self, subject_id):
        return tips.for_receipt(self.request.dbsession, subject_id)

    def accepts(self, tip) -> bool:
        return tips.accepts_replies(tip)

    def count(self, receipt) -> None:
        tips.count_reply(self.request, receipt)

    def view(self, tip, **values) -> dict:
        return tip_view(self.request, tip, **values)

    def save(self, data) -> None:
        tips.reply(self.request, self.subject, data["message"], data["attachments"], nonce=data["nonce"] or None)
