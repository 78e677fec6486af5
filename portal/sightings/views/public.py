"""The public clue form on a published notice, and its thank-you page."""
import colander
import deform
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from portal.abuse.ratelimit import RateLimited
from portal.core.forms import make_form, refilled, submitted
from portal.core.i18n import _
from portal.media.uploads import UploadRefused, chosen_files
from portal.sightings import services as sightings
from portal.sightings.forms import sighting_schema

TEMPLATE = "sightings/new.html"


def _form(request):
    # No autofocus: people first read which notice this is about (and a phone would open its picker).
    return make_form(request, sighting_schema(), buttons=(deform.Button("send", _("Send to the police")),),
                     focus="off")


def _closed(request):
    """A closed appeal takes no more clues: the neutral page, as a 404, nothing of the person."""
    response = render_to_response("notices/closed.html", {}, request=request)
    response.status_int = 404
    return response


def _refused(request, form, message):
    """Re-render a form whose fields were valid but whose photo was not: the message on the
    photo field, what was typed kept, nothing stored (the transaction is doomed, so any file
    already written is removed again)."""
    request.tm.doom()
    request.response.status_int = 400
    error = colander.Invalid(form.schema)
    error["photo"] = message
    form.widget.handle_error(form, error)
    return form.render()


def _too_many(request, form, retry_after):
    """429 with what was typed kept, so it can be sent later without typing it again."""
    request.response.status_int = 429
    request.response.headers["Retry-After"] = str(retry_after)
    return refilled(request, form), _(
        "Many reports have been sent from this address. Please wait ${minutes} minutes and send it again. "
        "If it is urgent, call ${police} now.",
        mapping={"minutes": max(1, (retry_after + 59) // 60), "police": request.registry["fallbacks"].police})


@view_config(route_name="sighting_new", renderer=TEMPLATE)
def sighting_new(context, request):
    if context.closed:
        return _closed(request)
    notice = context.notice
    form = _form(request)
    page = {"notice": notice}
    if request.method != "POST":
        return dict(page, form=form.render())
    try:
        sightings.count_attempt(request)
    except RateLimited as exc:
        rendered, error = _too_many(request, form, exc.retry_after)
        return dict(page, form=rendered, error=error)
    data, invalid = submitted(request, form)
    if invalid:
        return dict(page, form=invalid)
    if data["website"]:
        # A bot filled the hidden field: answer as if all went well, keep nothing.
        return HTTPSeeOther(request.route_path("sighting_thanks", id=notice.id))
    where, contact = data["where"], data["contact"]
    try:
        sightings.submit(request, notice, seen_at=data["seen_at"], text=data["text"], place=where["place"],
                         lat=where["lat"], lon=where["lon"], accuracy_m=where["accuracy_m"],
                         contact_name=contact["name"], contact_phone=contact["phone"],
                         photos=chosen_files(request, "photo"))
    except UploadRefused as exc:
        return dict(page, form=_refused(request, form, exc.message))
    return HTTPSeeOther(request.route_path("sighting_thanks", id=notice.id))


@view_config(route_name="sighting_thanks", renderer="sightings/thanks.html")
def sighting_thanks(context, request):
    if context.closed:
        return _closed(request)
    return {"notice": context.notice}
