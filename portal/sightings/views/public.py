"""The public clue form on a published notice; the answer is the receipt page, shown once."""
import secrets

from pyramid.renderers import render_to_response
from pyramid.view import view_config

from portal.abuse.ratelimit import RateLimited, minutes
from portal.core.forms import FormView
from portal.core.i18n import _
from portal.core.refused import Refused
from portal.media.uploads import UploadRefused, chosen_files
from portal.phones import services as phones
from portal.phones.forms import PhoneCodeStep
from portal.privacy.receipts import CODE_DIGITS, format_code
from portal.sightings import services as sightings
from portal.sightings.forms import sighting_schema

TEMPLATE = "sightings/new.html"
RECEIPT = "sightings/receipt.html"


def _closed(request):
    """A closed appeal takes no more clues: the neutral page, as a 404, nothing of the person."""
    response = render_to_response("notices/closed.html", {}, request=request)
    response.status_int = 404
    return response


def _receipt(request, notice, code: str):
    request.response.cache_control = "no-store"  # the receipt code is shown once, to this sender
    return render_to_response(RECEIPT, {"notice": notice, "code": format_code(code)}, request=request,
                              response=request.response)


@view_config(route_name="sighting_new", renderer=TEMPLATE)
class NewSighting(PhoneCodeStep, FormView):
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
            # A bot filled the hidden field: answer as if all went well with a code that opens nothing.
            return _receipt(request, notice, "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS)))
        where, contact = data["where"], data["contact"]
        try:
            _sighting, code = sightings.submit(
                request, notice, seen_at=data["seen_at"], text=data["text"], place=where["place"], lat=where["lat"],
                lon=where["lon"], accuracy_m=where["accuracy_m"], contact_name=contact["name"],
                contact_phone=contact["phone"], contact_email=contact["email"], notify=contact["notify"],
                phone_verified=bool(contact.get("phone_verified")), photos=chosen_files(request, "photo"))
            phones.consume(request, request.proven_phone)
        except UploadRefused as exc:
            # The photo was not taken: the message at it, what was typed kept, no file left behind.
            raise Refused(exc.message, 400, "photo") from None
        return _receipt(request, notice, code)
