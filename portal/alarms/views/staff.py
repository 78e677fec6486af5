"""The dispatcher console: the live list of alarms and its JSON feed, one alarm with its map, thread
and steps, the sender's contact on request, and the photos sent with it (staff copies only)."""
import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from portal.alarms import dispatch, feed
from portal.alarms.forms import message_schema, step_schema
from portal.alarms.models import CALL_KINDS
from portal.alarms.views.detail import (
    RETURN_TO_CONSOLE,
    console_values,
    detail_values,
    in_panel,
    selected_context,
)
from portal.core.forms import MultiFormView, PageForm, field_messages, posted_text, typed_values
from portal.core.headers import allow_camera
from portal.core.i18n import _
from portal.core.ids import MAX_ID, record_id
from portal.core.permissions import Permission
from portal.media.openings import record_opening
from portal.media.responses import copy_response
from portal.privacy.forms import reveal_schema

STEP_DONE = {
    "acknowledge": _("Acknowledged: the sender now sees that the dispatcher received the alarm."),
    "dispatch": _("Dispatched: the sender now sees that help is on the way."),
    "close": _("Closed: the sender sees that the alarm was closed."),
}


def _json_error(request, status: int, message):
    request.override_renderer = "json"  # also from a page view answering its script
    request.response.status_int = status
    request.response.cache_control = "no-store"
    return {"error": request.localizer.translate(message)}


@view_config(route_name="staff_alarms", renderer="staff/alarms.html", permission=Permission.DISPATCH)
def console(request):
    """The lists; with ?selected=ID, that alarm's detail in the panel beside them (the page without
    JavaScript, a reload, a link kept): scoped as the alarm's own page."""
    values = console_values(request)
    selected = request.GET.get("selected")
    if selected is not None:
        values.update(in_panel(detail_values(request, selected_context(request, selected))))
    return values


@view_config(route_name="staff_alarms_feed", renderer="json", permission=Permission.DISPATCH)
def console_feed(request):
    """What changed since ?cursor= (from the console page or the previous answer); without a
    cursor, every row of the console now."""
    cursor = request.GET.get("cursor", "")
    try:
        answer = feed.feed(request, request.identity, cursor)
    except feed.BadFeedCursor:
        return _json_error(request, 400, _("This cursor is not valid. Reload the console."))
    request.response.cache_control = "no-store"
    return answer


def _ended(request, alarm):
    return request.localizer.translate(_("This is not possible any more: the alarm is now ${state}.",
                                         mapping={"state": dispatch.STATE_LABELS[alarm.state]}))


def _guardian_schema():
    schema = reveal_schema()
    schema.add(colander.SchemaNode(colander.String(), name="person", missing=""))
    return schema


def _hand_written(form):
    return form


@view_config(route_name="staff_alarm", renderer="staff/alarm.html", permission=Permission.DISPATCH)
class AlarmPage(MultiFormView):
    """One alarm: a hand-written form per open step, the message to the sender (also sent by the
    page's script, answered in JSON), and the forms that show the sender's or a guardian's contact
    (a reason, audited, in that response only). The same forms in the console's panel post
    return=console: the answer is then the console with this alarm selected (a redirect after a step
    or a message; the console itself, with the panel, for a refusal or a contact shown)."""

    PREFIX = {"reveal": "reveal_", "reveal_guardian": "guardian_"}  # the template's names for their fields

    def __init__(self, context, request):
        super().__init__(context, request)
        self.alarm = context.alarm
        self.steps = dispatch.steps_for(request, self.alarm, context)
        self.to_console = posted_text(request, "return") == RETURN_TO_CONSOLE

    def posted_formid(self):
        action = posted_text(self.request, "action")
        return action if action in ("reveal", "reveal_guardian", "message") else "step"

    def forms(self):
        def one(formid, schema, handler):
            return PageForm(formid, schema, (("submit", ""),), {"submit": handler}, render=_hand_written)
        return [one("step", lambda: step_schema([t.name for t in self.steps]), self.take_step),
                one("message", message_schema, self.send_message),
                one("reveal", reveal_schema, self.reveal),
                one("reveal_guardian", _guardian_schema, self.reveal_guardian)]

    def _as_json(self):
        # The page's script sends a message without leaving the page.
        return (self.posted is not None and self.posted.formid == "message"
                and posted_text(self.request, "format") == "json")

    def page(self, forms, error=None, **values):
        request, alarm = self.request, self.alarm
        posted = self.posted.formid if self.posted is not None else None
        typed, errors = {}, {}
        if self.failed and posted is not None:
            prefix = self.PREFIX.get(posted, "")
            typed = {prefix + name: value for name, value in typed_values(forms[posted]).items()}
            errors = {prefix + name: message for name, message in field_messages(request, forms[posted]).items()}
            # Not open from this state (a step the schema no longer offers, or a 409 from the engine):
            # someone else was quicker, or the sender cancelled.
            gone = (posted == "step" and "step" in errors) or (
                posted in ("step", "message") and request.response.status_int == 409)
            if error is not None:  # a refusal about no field: on top of the form that was posted
                errors[{"step": "step", "message": "text"}.get(posted, prefix + "reason")] = \
                    request.localizer.translate(error)
            if posted == "reveal_guardian":
                typed["person"] = record_id(typed.pop("guardian_person", ""))
            if gone:
                request.response.status_int = 409
                errors = {"text" if posted == "message" else "step": _ended(request, alarm)}
        if self._as_json():
            return _json_error(request, request.response.status_int, next(iter(errors.values()), ""))
        values = {**detail_values(request, self.context, self.steps), **values, "errors": errors, "typed": typed}
        if self.to_console:
            request.override_renderer = "staff/alarms.html"
            return {**console_values(request), **in_panel(values)}
        if self.alarm.kind in CALL_KINDS:
            allow_camera(request)  # the dispatcher's microphone for the call panel (portal/calls)
        return values

    def _back(self, anchor=None):
        """Where a step or a message leads: this page, or the console with this alarm selected."""
        request, alarm = self.request, self.alarm
        if self.to_console:
            return HTTPSeeOther(request.route_path("staff_alarms", _query={"selected": alarm.id},
                                                   _anchor=anchor or "selected-alarm"))
        return HTTPSeeOther(request.route_path("staff_alarm", id=alarm.id, _anchor=anchor))

    def take_step(self, data):
        request, alarm = self.request, self.alarm
        dispatch.transition(request, alarm, data["step"], data["reason"])
        request.session.flash(request.localizer.translate(STEP_DONE[data["step"]]))
        return self._back()

    def send_message(self, data):
        request = self.request
        dispatch.send_message(request, self.alarm, data["text"])
        if self._as_json():
            request.override_renderer = "json"
            request.response.cache_control = "no-store"
            return {"sent": True}
        return self._back("thread")

    def reveal(self, data):
        contact = dispatch.reveal_contact(self.request, self.alarm, data["reason"])
        # Shown in this response only: no redirect, nothing kept in the session or the page's data.
        self.request.response.cache_control = "no-store"
        return self.show(contact=contact or {})

    def reveal_guardian(self, data):
        """A guardian of the trip that raised the alarm: their contact, for the dispatcher to call."""
        person = record_id(data["person"])
        contact = dispatch.reveal_handed_contact(self.request, self.alarm, person or 0, data["reason"])
        self.request.response.cache_control = "no-store"  # shown in this response only
        return self.show(guardian_contact={"id": person, **contact})


def _after(request, name):
    value = request.GET.get(name, "0") or "0"
    if not value.isdigit() or int(value) > MAX_ID:
        raise ValueError(name)
    return int(value)


@view_config(route_name="staff_alarm_updates", renderer="json", permission=Permission.DISPATCH)
def alarm_updates(context, request):
    """The alarm page's poll: state, thread lines after ?after=, positions after ?after_location=."""
    try:
        after_message, after_location = _after(request, "after"), _after(request, "after_location")
    except ValueError:
        return _json_error(request, 400, _("after and after_location are message and position numbers."))
    request.response.cache_control = "no-store"
    return dispatch.updates(request, context.alarm, after_message=after_message, after_location=after_location)


@view_config(route_name="staff_alarm_photo", permission=Permission.DISPATCH)
def alarm_photo(context, request):
    """The re-encoded copy (or ?size=thumb) of a photo sent with an alarm; never the original."""
    thumb = request.GET.get("size") == "thumb"
    response = copy_response(request, context.media, thumb=thumb)
    record_opening(request, context.media, subject_type="alarm", subject_id=context.alarm.id,
                   variant="thumbnail" if thumb else "staff copy")
    return response
