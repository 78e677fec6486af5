"""The public clue form on a published notice, and its thank-you page."""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from portal.abuse.ratelimit import RateLimited, minutes
from portal.core.forms import FormView
from portal.core.i18n import _
from portal.core.refused import Refused
from portal.media.uploads import UploadRefused, chosen_files
from portal.sightings import services as sightings
from portal.sightings.forms import sighting_schema

TEMPLATE = "sightings/new.html"


def _closed(request):
    """A closed appeal takes no more clues: the neutral page, as a 404, nothing of the person."""
    response = render_to_response("notices/closed.html", {}, request=request)
    response.status_int = 404
    return response


@view_config(route_name="sighting_new", renderer=TEMPLATE)
class NewSighting(FormView):
    schema_factory = staticmethod(sighting_schema)
    buttons = (("send", _("Send to the police")),)
    # No autofocus: people first read which notice this is about (and a phone would open its picker).
    form_options = {"focus": "off"}

    def __call__(self):
        if self.context.closed:
            return _closed(self.request)
        return super().__call__()

    def page(self, **values):
        return {"notice": self.context.notice, **values}

    def before(self, form):
        """Every sending counts, valid or not; over the limit, what was typed is kept to send later."""
        try:
            sightings.count_attempt(self.request)
        except RateLimited as limited:
            raise limited.saying(_(
                "Many reports have been sent from this address. Please wait ${minutes} minutes and send it again. "
                "If it is urgent, call ${police} now.",
                mapping={"minutes": minutes(limited.retry_after),
                         "police": self.request.registry["fallbacks"].police})) from None

    def send_success(self, data):
        request, notice = self.request, self.context.notice
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
            # The photo was not taken: the message at it, what was typed kept, no file left behind.
            raise Refused(exc.message, 400, "photo") from None
        return HTTPSeeOther(request.route_path("sighting_thanks", id=notice.id))


@view_config(route_name="sighting_thanks", renderer="sightings/thanks.html")
def sighting_thanks(context, request):
    if context.closed:
        return _closed(request)
    return {"notice": context.notice}
